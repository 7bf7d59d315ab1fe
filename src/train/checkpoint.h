#pragma once
// A checkpoint is everything needed to continue a run exactly: the model and optimiser
// (torch::save bytes), the step, epoch and sampler position, every RNG state, the loss curves so
// far, the config with its hash, and a format version. The run state is a Boost.Serialization
// binary archive (class version via BOOST_CLASS_VERSION, so older files stay readable);
// the file is written through AtomicFile, so it is either complete or absent.
//
// Format versions: 1, the run state alone; 2 (current), followed in the archive by the SHA-256 of
// the state's contents (model, optimiser, RNG states, curves, config, counters), verified on
// read: a damaged file whose bytes still parse (a flipped bit in the weights) is an
// UnreadableCheckpoint like a truncated one. Version-1 files still load, unverified.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/error.h"
#include "train/config.h"

namespace loce::train {

constexpr const char* kCheckpointMagic = "loce-checkpoint";
constexpr unsigned kCheckpointFormat = 2;  // keep equal to BOOST_CLASS_VERSION(RunState)

struct Curves {
  std::vector<int64_t> step;
  std::vector<float> loss, lr;
  std::map<std::string, std::vector<float>> metrics;  // e.g. "accuracy"
};

struct RunState {
  std::string magic = kCheckpointMagic;
  unsigned format_version = kCheckpointFormat;  // filled on load from the archive's version
  std::string kind;    // pretrain | finetune
  std::string method;  // barlow | dae | rpl | baseline | finetune
  ConfigEntries config;
  std::string config_hash;
  std::string git_revision;
  int64_t step = 0;              // optimiser steps taken
  int64_t total_steps = 0;
  int64_t epoch = 0;             // sampler epoch of the next step
  int64_t batch_in_epoch = 0;    // sampler position of the next step
  int64_t world_size = 1;
  std::string cpu_rng_state;     // torch's default CPU generator (bytes of get_state())
  std::string cuda_rng_state;    // default CUDA generator of the device, if any
  std::string model;             // torch::save of the network
  std::string optimizer;         // the optimiser's save()
  Curves curves;
  bool checksum_verified = false;  // set by read_checkpoint (format >= 2); not stored
};

// SHA-256 over everything the state holds (what a format-2 checkpoint stores after it).
std::string payload_digest(const RunState& state);

// Rank 0 writes; the caller decides who calls.
void write_checkpoint(const std::string& path, const RunState& state);
// A checkpoint whose bytes cannot be read back (truncated, damaged, not a checkpoint), as
// opposed to a sound one this build should not use (a newer format).
class UnreadableCheckpoint : public InputError {
 public:
  using InputError::InputError;
};
RunState read_checkpoint(const std::string& path);  // InputError naming the file when unusable
// Keeps the newest `keep` checkpoint files of the run.
void prune_checkpoints(const std::string& run_dir, int64_t keep);

}  // namespace loce::train
