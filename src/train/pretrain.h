#pragma once
// `loce pretrain`: a pretext task (barlow | dae | rpl | baseline) on the dataset cache, through
// the shared trainer, into a run folder (layout in train/run_dir.h).
#include <string>

#include <c10/core/Device.h>

#include "train/config.h"
#include "train/trainer.h"

namespace loce::train {

// The network's initial weights are drawn from (seed, kind) only, identical on every rank.
models::Network initial_network(const TrainConfig& config, const models::HeadSet& heads);

TrainOutcome run_pretraining(const TrainConfig& config, const std::string& run_dir, bool resume,
                             const c10::Device& device);

}  // namespace loce::train
