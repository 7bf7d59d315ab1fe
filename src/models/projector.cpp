#include "models/projector.h"

#include <torch/torch.h>

#include "core/error.h"

namespace loce::models {

namespace nn = torch::nn;

ProjectorImpl::ProjectorImpl(int64_t in_features, const std::vector<int64_t>& sizes) {
  if (sizes.empty()) bad_input("projector: needs at least one layer size");
  mlp_ = register_module("mlp", nn::Sequential());
  int64_t in = in_features;
  for (size_t i = 0; i + 1 < sizes.size(); ++i) {
    mlp_->push_back(nn::Linear(nn::LinearOptions(in, sizes[i]).bias(false)));
    mlp_->push_back(nn::BatchNorm1d(sizes[i]));
    mlp_->push_back(nn::ReLU(nn::ReLUOptions(true)));
    in = sizes[i];
  }
  mlp_->push_back(nn::Linear(nn::LinearOptions(in, sizes.back()).bias(false)));
}

at::Tensor ProjectorImpl::forward(const at::Tensor& deepest_features) {
  return mlp_->forward(deepest_features.mean({2, 3}));
}

}  // namespace loce::models
