#pragma once
// The CI-sized training settings every training test starts from: 32x64 images, base width 8.
#include "train/config.h"

namespace loce::test {

inline train::TrainConfig tiny_config(const std::string& method, const std::string& cache) {
  train::TrainConfig c;
  c.method = method;
  c.data = cache;
  c.seed = 5;
  c.base_width = 8;
  c.depth = 3;
  c.projector = "32-32-16";  // narrower than the batch: c can approach the identity
  c.classifier_hidden = 32;
  c.batch_size = 16;
  c.steps = 12;
  c.lr = 3e-3;
  c.weight_decay = 0.0;
  c.warmup_steps = 2;
  c.final_lr_fraction = 0.1;
  c.log_every = 4;
  c.checkpoint_every = 6;
  return c;
}

}  // namespace loce::test
