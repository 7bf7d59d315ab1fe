#pragma once
// The relative-patch-location head: global average pooling of the deepest features, then
// Linear -> BatchNorm1d -> ReLU -> Linear to one logit per grid cell (9 for a 3x3 grid).
#include <cstdint>

#include <torch/nn/module.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/pimpl.h>

namespace loce::models {

class PatchClassifierImpl : public torch::nn::Module {
 public:
  PatchClassifierImpl(int64_t in_features, int64_t hidden, int64_t classes);
  at::Tensor forward(const at::Tensor& deepest_features);  // [B, C, h, w] -> [B, classes]

 private:
  torch::nn::Sequential mlp_{nullptr};
};
TORCH_MODULE(PatchClassifier);

}  // namespace loce::models
