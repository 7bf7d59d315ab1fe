#pragma once
// The one training loop for every task (pretext tasks and fine-tuning): data-parallel through
// dist::DataParallel, the configured optimiser under a warm-up + cosine schedule, gradient
// clipping, optional bf16 autocast and channels-last on CUDA, loss/lr/throughput logging, curves
// in RUN_DIR/train.h5, and checkpoints (every N steps, at the end, and on SIGTERM/SIGUSR2) from
// which `resume` continues bit-exactly.
//
// Reproducibility: the sampler's order depends on (seed, epoch) only, and every step's
// augmentations come from a generator derived from (seed, rank, step), so no random stream has
// to be carried across a restart for the data; torch's global generators are saved anyway.
#include <cstdint>
#include <memory>
#include <string>

#include <c10/core/Device.h>
#include <torch/nn/module.h>

#include "models/network.h"
#include "ssl/task.h"
#include "train/config.h"

namespace loce::data {
class Cache;
}

namespace loce::train {

struct TrainOutcome {
  int64_t step = 0;              // steps taken in total
  bool interrupted = false;      // stopped by a signal: exit with kExitRequeue
  double images_per_second = 0;  // global throughput of this process's steps
  float first_loss = 0, last_loss = 0;
  std::string checkpoint;        // the last one written
};

struct TrainerSetup {
  TrainConfig config;            // world_size, dataset_size, image size filled in by the trainer
  std::string run_dir;
  std::string kind;              // "pretrain" | "finetune"
  bool resume = false;
  c10::Device device{c10::kCPU};
};

// `net` holds initial weights (identical on every rank, or rank 0's are broadcast); `trained` is
// the part whose parameters the optimiser updates and DataParallel synchronises (the whole
// network, or the segmentation decoder when fine-tuning a frozen encoder).
// A fingerprint of a cache split, recorded in the run's config as data_fingerprint so that a
// resume onto other data is refused: SHA-256 of the split's name, size, image size, frame names
// and a fixed sample of 8 rows (images and labels). Cheap for any cache size; not a checksum of
// every byte.
std::string data_fingerprint(const data::Cache& cache, const std::string& split);

TrainOutcome run_training(const TrainerSetup& setup, const ssl::Task& task, models::Network net,
                          std::shared_ptr<torch::nn::Module> trained);

}  // namespace loce::train
