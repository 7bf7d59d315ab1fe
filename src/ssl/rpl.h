#pragma once
// Relative patch location's pieces, exposed for tests.
#include <cstdint>

#include <ATen/Tensor.h>

namespace loce::ssl {

// Crop boxes (top, left, height, width) [B, 4] of grid cells `cell` [B] (row-major index) in a
// grid x grid split of an height x width image.
at::Tensor grid_cell_boxes(const at::Tensor& cell, int64_t grid, int64_t height, int64_t width);

struct PatchLocationLoss {
  at::Tensor loss;      // cross-entropy of the cell logits
  at::Tensor accuracy;  // fraction of cells predicted right (no gradient)
};
PatchLocationLoss patch_location_loss(const at::Tensor& logits, const at::Tensor& cell);

}  // namespace loce::ssl
