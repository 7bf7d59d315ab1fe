#pragma once
// The command-line (and TOML config) options of a training run, shared by `loce pretrain` and
// `loce finetune` so both spell every setting the same way.
#include <CLI/CLI.hpp>

#include "train/config.h"

namespace loce::train {

// Adds --batch-size, --steps, --epochs, --optimizer, --lr, ... bound to `c`.
// `pretext`: also the model and pretext-task options (fine-tuning takes the architecture from
// the pretrained run).
void add_train_options(CLI::App& sub, TrainConfig& c, bool pretext);

}  // namespace loce::train
