#pragma once
// What `loce inspect` shows of a run or checkpoint, and the SHA-256 digest of a network's
// parameters and buffers (names, dtypes, shapes and raw bytes in module order): equal digests
// mean bit-identical weights.
#include <string>

#include <torch/nn/module.h>

#include "train/config.h"

namespace loce::train {

std::string state_digest(const torch::nn::Module& module);

struct CheckpointSummary {
  std::string path, kind, method, config_hash, git_revision, digest;
  std::string checksum;  // "verified" (format >= 2) or "none (format 1)"; a mismatch is an error
  unsigned format_version = 0;
  int64_t step = 0, total_steps = 0, epoch = 0, batch_in_epoch = 0, world_size = 0;
  int64_t parameters = 0;  // element count of parameters
  ConfigEntries config;
};
CheckpointSummary summarize_checkpoint(const std::string& run_dir_or_checkpoint);

std::string summary_text(const CheckpointSummary& s);
std::string summary_json(const CheckpointSummary& s);

}  // namespace loce::train
