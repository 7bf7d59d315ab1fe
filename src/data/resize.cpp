#include "data/resize.h"

#include <torch/torch.h>

#include <cmath>

namespace loce::data {
namespace F = torch::nn::functional;

namespace {

at::Tensor interpolate(const at::Tensor& x, int64_t height, int64_t width, bool area) {
  auto opts = F::InterpolateFuncOptions().size(std::vector<int64_t>{height, width});
  if (area) opts.mode(torch::kArea);
  else opts.mode(torch::kBilinear).align_corners(false);
  return F::interpolate(x, opts);
}

// Source index under the centre of each of `out` cells over `in` pixels:
// min(floor((i + 0.5) * in / out), in - 1). Computed as LibTorch's 'nearest-exact' does (a
// float scale, the product rounded to float before the floor), so that the labels equal
// F::interpolate(kNearestExact) pixel for pixel, without its warning about align_corners on
// every call (which nearest-exact does not use).
at::Tensor nearest_exact_indices(int64_t in, int64_t out) {
  const float scale = float(in) / float(out);
  std::vector<int64_t> idx(static_cast<size_t>(out));
  for (int64_t i = 0; i < out; ++i)
    idx[size_t(i)] = std::min<int64_t>(int64_t(std::floor(float((double(i) + 0.5) * scale))), in - 1);
  return torch::tensor(idx, torch::kLong);
}

}  // namespace

at::Tensor resize_image(const at::Tensor& image, int height, int width) {
  if (image.size(1) == height && image.size(2) == width) return image;
  at::Tensor x = image.unsqueeze(0).to(torch::kFloat);
  // Per axis: area averaging where it shrinks, bilinear where it grows. When one axis shrinks
  // and the other grows, first average down the shrinking one, then stretch the other (both
  // kinds leave an axis of unchanged size as it is).
  const int64_t h = std::min<int64_t>(height, image.size(1));
  const int64_t w = std::min<int64_t>(width, image.size(2));
  if (h != image.size(1) || w != image.size(2)) x = interpolate(x, h, w, /*area=*/true);
  if (h != height || w != width) x = interpolate(x, height, width, /*area=*/false);
  return x.round_().clamp_(0, 255).to(torch::kByte).squeeze(0);
}

at::Tensor resize_labels(const at::Tensor& labels, int height, int width) {
  if (labels.size(0) == height && labels.size(1) == width) return labels;
  return labels.index_select(0, nearest_exact_indices(labels.size(0), height))
      .index_select(1, nearest_exact_indices(labels.size(1), width))
      .contiguous();
}

}  // namespace loce::data
