#include "models/unet_encoder.h"

#include <torch/torch.h>

#include "core/error.h"

namespace loce::models {

namespace nn = torch::nn;

DoubleConvImpl::DoubleConvImpl(int64_t in_channels, int64_t out_channels) {
  // No conv bias: the BatchNorm right after it has its own shift.
  auto conv = [](int64_t in, int64_t out) {
    return nn::Conv2d(nn::Conv2dOptions(in, out, 3).padding(1).bias(false));
  };
  body_ = register_module(
      "body", nn::Sequential(conv(in_channels, out_channels), nn::BatchNorm2d(out_channels),
                             nn::ReLU(nn::ReLUOptions(true)), conv(out_channels, out_channels),
                             nn::BatchNorm2d(out_channels), nn::ReLU(nn::ReLUOptions(true))));
}

at::Tensor DoubleConvImpl::forward(const at::Tensor& x) { return body_->forward(x); }

UNetEncoderImpl::UNetEncoderImpl(const UNetConfig& config) : config_(config) {
  if (config.base_width < 1 || config.depth < 0 || config.in_channels < 1)
    bad_input("U-Net: base width, depth and input channels must be positive (got ",
              config.base_width, ", ", config.depth, ", ", config.in_channels, ")");
  levels_ = register_module("levels", nn::ModuleList());
  levels_->push_back(DoubleConv(config.in_channels, config.width(0)));
  for (int64_t l = 1; l <= config.depth; ++l)
    levels_->push_back(DoubleConv(config.width(l - 1), config.width(l)));
}

std::vector<at::Tensor> UNetEncoderImpl::forward(const at::Tensor& x) {
  LOCE_CHECK(x.dim() == 4 && x.size(1) == config_.in_channels, "U-Net encoder: expected [B, ",
             config_.in_channels, ", H, W] input, got ", x.sizes());
  const int64_t min_side = int64_t(1) << config_.depth;
  LOCE_CHECK(x.size(2) >= min_side && x.size(3) >= min_side, "U-Net encoder: input ",
             x.size(2), "x", x.size(3), " is too small for depth ", config_.depth);
  std::vector<at::Tensor> features;
  features.reserve(levels_->size());
  at::Tensor h = x;
  for (size_t l = 0; l < levels_->size(); ++l) {
    if (l > 0) h = at::max_pool2d(h, {2, 2});
    h = levels_[l]->as<DoubleConvImpl>()->forward(h);
    features.push_back(h);
  }
  return features;
}

}  // namespace loce::models
