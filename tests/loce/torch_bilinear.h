#pragma once
// torch's own bilinear interpolation (align_corners false), the independent reference that the
// LoCE tests hold the resize matrices and the reference-mode optimiser against.
#include <vector>

#include <torch/torch.h>

namespace loce::test {

inline at::Tensor torch_bilinear(const at::Tensor& x, int64_t h, int64_t w) {
  namespace F = torch::nn::functional;
  return F::interpolate(x, F::InterpolateFuncOptions()
                               .size(std::vector<int64_t>{h, w})
                               .mode(torch::kBilinear)
                               .align_corners(false));
}

}  // namespace loce::test
