#pragma once
// torch.optim.AdamW's single-tensor step (as in PyTorch 1.13) for the LoCE vectors V: on the
// whole tensor with tensor operations (any device), or piece by piece on CPU float32 tensors
// from inside the fused iteration (row_products.h), where each block of channels is updated as
// soon as its gradient is complete.
#include <cstdint>

#include <ATen/Tensor.h>

#include "loce/settings.h"

namespace loce::embedding {

class AdamW {
 public:
  AdamW(const at::Tensor& param, const OptimizerSettings& s);

  // One step on the whole tensor.
  void step(at::Tensor& param, const at::Tensor& grad);

  // One step in pieces: begin_step() once, then update() on disjoint runs of elements that
  // together cover the tensor (from any threads). param is the first element of the (contiguous
  // float32 CPU) parameter, offset and count the run, grad the run's gradients.
  void begin_step();
  void update(float* param, const float* grad, int64_t offset, int64_t count) const;

  // Whether each row of `dims` trailing elements kept a finite second moment: a gradient past
  // float32's square root (1.8e19) makes it inf, and the steps of that row 0 from then on, the
  // parameter frozen where it was rather than NaN.
  at::Tensor finite_second_moment(int64_t dims) const;

 private:
  const OptimizerSettings& s_;
  at::Tensor m_, v_;  // first and second moments, shaped like the parameter
  int64_t t_ = 0;
  double bias1_ = 1.0, bias2_sqrt_ = 1.0;
};

}  // namespace loce::embedding
