#pragma once
// The U-Net in its common modern form, split so that its downsampling path is a module of its
// own: pretext tasks train it, fine-tuning freezes it, LoCE probes its deepest level.
//
//   level 0: DoubleConv(in -> w)                    at H x W
//   level l: MaxPool 2x2, DoubleConv(w*2^(l-1) -> w*2^l)   at H/2^l x W/2^l,  l = 1..depth
// DoubleConv = [3x3 conv (no bias, BatchNorm follows) -> BatchNorm -> ReLU] x 2.
// The paper's encoder is base width 64 and depth 4: 64-128-256-512-1024.
#include <cstdint>
#include <vector>

#include <torch/nn/module.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/pimpl.h>

namespace loce::models {

struct UNetConfig {
  int64_t in_channels = 3;
  int64_t base_width = 64;
  int64_t depth = 4;      // number of 2x2 downsamplings; depth + 1 levels
  bool bilinear = false;  // decoder upsampling: bilinear + 1x1 conv instead of transposed conv
  int64_t width(int64_t level) const { return base_width << level; }
  int64_t deepest_width() const { return width(depth); }
};

class DoubleConvImpl : public torch::nn::Module {
 public:
  DoubleConvImpl(int64_t in_channels, int64_t out_channels);
  at::Tensor forward(const at::Tensor& x);

 private:
  torch::nn::Sequential body_{nullptr};
};
TORCH_MODULE(DoubleConv);

class UNetEncoderImpl : public torch::nn::Module {
 public:
  explicit UNetEncoderImpl(const UNetConfig& config);
  // Every level's features, shallowest first; back() is the deepest (what LoCE probes).
  std::vector<at::Tensor> forward(const at::Tensor& x);
  const UNetConfig& config() const { return config_; }

 private:
  UNetConfig config_;
  torch::nn::ModuleList levels_{nullptr};
};
TORCH_MODULE(UNetEncoder);

}  // namespace loce::models
