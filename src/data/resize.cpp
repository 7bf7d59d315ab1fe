#include "data/resize.h"

#include <torch/torch.h>

namespace loce::data {
namespace F = torch::nn::functional;

at::Tensor resize_image(const at::Tensor& image, int height, int width) {
  if (image.size(1) == height && image.size(2) == width) return image;
  at::Tensor x = image.unsqueeze(0).to(torch::kFloat);
  std::vector<int64_t> size{height, width};
  bool shrinking = height <= image.size(1) && width <= image.size(2);
  auto opts = F::InterpolateFuncOptions().size(size);
  if (shrinking) opts.mode(torch::kArea);
  else opts.mode(torch::kBilinear).align_corners(false);
  x = F::interpolate(x, opts);
  return x.round_().clamp_(0, 255).to(torch::kByte).squeeze(0);
}

at::Tensor resize_labels(const at::Tensor& labels, int height, int width) {
  if (labels.size(0) == height && labels.size(1) == width) return labels;
  at::Tensor x = labels.unsqueeze(0).unsqueeze(0).to(torch::kFloat);
  x = F::interpolate(x, F::InterpolateFuncOptions()
                            .size(std::vector<int64_t>{height, width})
                            .mode(torch::kNearestExact));
  return x.to(torch::kByte).squeeze(0).squeeze(0);
}

}  // namespace loce::data
