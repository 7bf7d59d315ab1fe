#include "models/patch_classifier.h"

#include <torch/torch.h>

namespace loce::models {

namespace nn = torch::nn;

PatchClassifierImpl::PatchClassifierImpl(int64_t in_features, int64_t hidden, int64_t classes) {
  mlp_ = register_module(
      "mlp", nn::Sequential(nn::Linear(nn::LinearOptions(in_features, hidden).bias(false)),
                            nn::BatchNorm1d(hidden), nn::ReLU(nn::ReLUOptions(true)),
                            nn::Linear(hidden, classes)));
}

at::Tensor PatchClassifierImpl::forward(const at::Tensor& deepest_features) {
  return mlp_->forward(deepest_features.mean({2, 3}));
}

}  // namespace loce::models
