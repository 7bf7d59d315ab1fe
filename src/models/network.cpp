#include "models/network.h"

#include <torch/torch.h>

namespace loce::models {

NetworkImpl::NetworkImpl(const NetworkConfig& config, const HeadSet& heads)
    : config_(config), heads_(heads) {
  encoder = register_module("encoder", UNetEncoder(config.unet));
  const int64_t deepest = config.unet.deepest_width();
  if (heads.projector)
    projector = register_module("projector", Projector(deepest, config.projector_sizes));
  if (heads.classifier)
    classifier = register_module(
        "classifier", PatchClassifier(deepest, config.classifier_hidden, config.grid_cells));
  if (heads.reconstruction)
    reconstruction = register_module("reconstruction", UNetDecoder(config.unet, 3));
  if (heads.segmentation)
    segmentation =
        register_module("segmentation", UNetDecoder(config.unet, config.segmentation_classes));
}

std::vector<std::pair<std::string, at::Tensor>> named_state(const torch::nn::Module& module) {
  std::vector<std::pair<std::string, at::Tensor>> out;
  for (const auto& p : module.named_parameters(/*recurse=*/true)) out.emplace_back(p.key(), p.value());
  for (const auto& b : module.named_buffers(/*recurse=*/true)) out.emplace_back(b.key(), b.value());
  return out;
}

}  // namespace loce::models
