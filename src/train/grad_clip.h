#pragma once
// Gradient-norm clipping that leaves the norm on the device. It scales the gradients exactly as
// torch::nn::utils::clip_grad_norm_ does (joint L2 norm, coefficient max_norm / (norm + 1e-6)
// capped at 1), but LibTorch's C++ version returns the norm as a double and so reads it on the
// host: every step would wait there for the GPU to finish backward. This one returns the norm
// before clipping as a 0-dim tensor, which the trainer logs with the loss.
#include <vector>

#include <ATen/Tensor.h>

namespace loce::train {

// params: the trained parameters; those without a gradient are skipped. Returns the norm of the
// gradients before clipping (0 when none has a gradient), float32, on their device.
at::Tensor clip_grad_norm(const std::vector<at::Tensor>& params, double max_norm);

}  // namespace loce::train
