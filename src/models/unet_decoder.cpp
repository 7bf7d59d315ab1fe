#include "models/unet_decoder.h"

#include <torch/torch.h>

#include "core/error.h"

namespace loce::models {

namespace nn = torch::nn;
namespace F = torch::nn::functional;

UNetDecoderImpl::UNetDecoderImpl(const UNetConfig& config, int64_t out_channels)
    : config_(config) {
  up_ = register_module("up", nn::ModuleList());
  fuse_ = register_module("fuse", nn::ModuleList());
  for (int64_t l = config.depth; l >= 1; --l) {
    const int64_t in = config.width(l), out = config.width(l - 1);
    if (config.bilinear)
      up_->push_back(nn::Conv2d(nn::Conv2dOptions(in, out, 1)));  // after a bilinear 2x
    else
      up_->push_back(nn::ConvTranspose2d(nn::ConvTranspose2dOptions(in, out, 2).stride(2)));
    fuse_->push_back(DoubleConv(2 * out, out));
  }
  head_ = register_module("head", nn::Conv2d(nn::Conv2dOptions(config.width(0), out_channels, 1)));
}

at::Tensor UNetDecoderImpl::forward(const std::vector<at::Tensor>& features) {
  LOCE_CHECK(int64_t(features.size()) == config_.depth + 1, "U-Net decoder: expected ",
             config_.depth + 1, " feature levels, got ", features.size());
  at::Tensor h = features.back();
  for (int64_t step = 0; step < config_.depth; ++step) {
    const at::Tensor& skip = features[config_.depth - 1 - step];
    if (config_.bilinear) {
      h = F::interpolate(h, F::InterpolateFuncOptions()
                                .scale_factor(std::vector<double>{2.0, 2.0})
                                .mode(torch::kBilinear)
                                .align_corners(false));
      h = up_[step]->as<nn::Conv2dImpl>()->forward(h);
    } else {
      h = up_[step]->as<nn::ConvTranspose2dImpl>()->forward(h);
    }
    // Odd sizes (an input not divisible by 2^depth) leave the upsampled map a pixel short.
    const int64_t dy = skip.size(2) - h.size(2), dx = skip.size(3) - h.size(3);
    if (dy != 0 || dx != 0) h = at::constant_pad_nd(h, {dx / 2, dx - dx / 2, dy / 2, dy - dy / 2});
    h = fuse_[step]->as<DoubleConvImpl>()->forward(at::cat({h, skip}, 1));
  }
  return head_->forward(h);
}

}  // namespace loce::models
