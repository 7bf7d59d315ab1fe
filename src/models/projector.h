#pragma once
// The Barlow Twins projector on top of the encoder's deepest features: global average pooling,
// then (Linear -> BatchNorm1d -> ReLU) for every hidden size and a final Linear, all without
// bias, as in facebookresearch/barlowtwins (sizes default 2048-2048-2048).
#include <cstdint>
#include <vector>

#include <torch/nn/module.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/pimpl.h>

namespace loce::models {

class ProjectorImpl : public torch::nn::Module {
 public:
  // sizes: output sizes of the layers, last = embedding size (at least one).
  ProjectorImpl(int64_t in_features, const std::vector<int64_t>& sizes);
  at::Tensor forward(const at::Tensor& deepest_features);  // [B, C, h, w] -> [B, sizes.back()]

 private:
  torch::nn::Sequential mlp_{nullptr};
};
TORCH_MODULE(Projector);

}  // namespace loce::models
