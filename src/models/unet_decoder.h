#pragma once
// The U-Net's upsampling path: from the deepest level up, each step upsamples 2x (transposed
// conv, or bilinear + 1x1 conv), concatenates the encoder's skip features of that level and
// applies a DoubleConv; a 1x1 conv maps the top level to `out_channels` (3 for reconstruction,
// 19 for segmentation).
#include <cstdint>
#include <vector>

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/pimpl.h>

#include "models/unet_encoder.h"

namespace loce::models {

class UNetDecoderImpl : public torch::nn::Module {
 public:
  UNetDecoderImpl(const UNetConfig& config, int64_t out_channels);
  // `features` as the encoder returns them (shallowest first).
  at::Tensor forward(const std::vector<at::Tensor>& features);

 private:
  UNetConfig config_;
  torch::nn::ModuleList up_{nullptr};     // per step: the channel-halving upsampler
  torch::nn::ModuleList fuse_{nullptr};   // per step: DoubleConv over [upsampled, skip]
  torch::nn::Conv2d head_{nullptr};
};
TORCH_MODULE(UNetDecoder);

}  // namespace loce::models
