#pragma once
// The whole trainable model of a run: the U-Net encoder plus the heads its task needs. Heads are
// registered under fixed names ("encoder", "projector", "classifier", "reconstruction",
// "segmentation"), so a checkpoint of any run can be loaded into a Network that asks only for
// some of them (e.g. just the encoder, for fine-tuning or LoCE).
#include <cstdint>
#include <string>
#include <vector>

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include "models/patch_classifier.h"
#include "models/projector.h"
#include "models/unet_decoder.h"
#include "models/unet_encoder.h"

namespace loce::models {

struct HeadSet {
  bool projector = false;       // Barlow Twins
  bool classifier = false;      // relative patch location
  bool reconstruction = false;  // denoising autoencoder: U-Net decoder -> 3 channels
  bool segmentation = false;    // fine-tuning: U-Net decoder -> 19 classes
};

struct NetworkConfig {
  UNetConfig unet;
  std::vector<int64_t> projector_sizes{2048, 2048, 2048};
  int64_t classifier_hidden = 512;
  int64_t grid_cells = 9;  // RPL classes
  int64_t segmentation_classes = 19;
};

class NetworkImpl : public torch::nn::Module {
 public:
  NetworkImpl(const NetworkConfig& config, const HeadSet& heads);
  const NetworkConfig& config() const { return config_; }
  const HeadSet& heads() const { return heads_; }

  UNetEncoder encoder{nullptr};
  Projector projector{nullptr};
  PatchClassifier classifier{nullptr};
  UNetDecoder reconstruction{nullptr};
  UNetDecoder segmentation{nullptr};

 private:
  NetworkConfig config_;
  HeadSet heads_;
};
TORCH_MODULE(Network);

// Every parameter and buffer, by its full name ("encoder.levels.0.body.0.weight"), in the stable
// order the module defines them: what checkpoints digest and compare.
std::vector<std::pair<std::string, at::Tensor>> named_state(const torch::nn::Module& module);

}  // namespace loce::models
