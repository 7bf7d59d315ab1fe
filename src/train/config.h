#pragma once
// Everything that defines a training run (pretraining or fine-tuning). A checkpoint stores the
// config as ordered key = value entries; `--resume` compares them key by key and refuses a
// change to any key that alters what the run computes (all but the bookkeeping keys: logging,
// checkpoint cadence, read-ahead, data path), naming the key. Which data the run trains on is
// the data_fingerprint key (the path may change, the content may not); the CPU thread count is
// recorded (threads) and a change only warned about (see the trainer).
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "models/network.h"
#include "ssl/task.h"

namespace loce::train {

struct TrainConfig {
  std::string method;          // barlow | dae | rpl | baseline | finetune
  std::string data;            // cache file
  std::string split = "train";
  std::string encoder_run;     // fine-tuning: the pretrained run's folder
  std::string encoder_digest;  // fine-tuning: SHA-256 of the frozen encoder's weights (set by it)
  uint64_t seed = 0;

  // model
  int64_t base_width = 64;
  int64_t depth = 4;
  bool bilinear = false;
  std::string projector = "2048-2048-2048";
  int64_t classifier_hidden = 512;

  // optimisation
  int64_t batch_size = 32;      // per rank
  int64_t steps = 0;            // total steps; 0: epochs * batches per epoch
  int64_t epochs = 1;
  std::string optimizer = "adamw";  // adamw | sgd | lars
  double lr = 1e-3;
  double weight_decay = 1e-4;
  double momentum = 0.9;        // sgd, lars
  double lars_eta = 0.001;
  int64_t warmup_steps = 0;
  double final_lr_fraction = 0.0;  // cosine decays to lr * this
  double clip_grad_norm = 0.0;     // 0: off
  bool bf16 = false;               // autocast on CUDA only
  bool channels_last = false;      // CUDA only

  ssl::TaskOptions task;

  // bookkeeping (does not matter for resume)
  int64_t log_every = 10;
  int64_t checkpoint_every = 100;
  int64_t keep_checkpoints = 2;
  int64_t prefetch = 2;  // batches read ahead on a background thread (0: read in the step)

  // Derived at start-up, recorded so a resume on another world size is caught.
  int64_t world_size = 1;
  int64_t dataset_size = 0;
  int64_t image_height = 0, image_width = 0;
  // A fingerprint of the training split (data_fingerprint() in train/trainer.h), so that a resume
  // onto other data is refused; empty in runs written before it was recorded.
  std::string data_fingerprint;
  // Intra-op CPU threads the run computed with (at::get_num_threads()): CPU reductions round
  // differently under another count. Recorded, not compared by check_resumable: the trainer warns.
  int64_t threads = 0;

  models::NetworkConfig network_config() const;
  std::vector<std::pair<std::string, std::string>> entries() const;
  void validate() const;  // InputError naming the bad key
};

using ConfigEntries = std::vector<std::pair<std::string, std::string>>;

// Keys whose change does not alter the computation (and threads, whose change the trainer only
// warns about): left out of the hash and of check_resumable.
bool is_bookkeeping_key(const std::string& key);
// Keys recorded only by later versions: a checkpoint without them is resumable (nothing to
// compare), one with them must match.
bool is_later_key(const std::string& key);
// SHA-256 over the entries that matter.
std::string config_hash(const ConfigEntries& entries);
// Throws InputError naming the first key that matters and differs (or is missing).
void check_resumable(const ConfigEntries& saved, const ConfigEntries& now);
// "key = value" lines.
std::string format_entries(const ConfigEntries& entries);
// "2048-2048-2048" -> {2048, 2048, 2048}; InputError otherwise.
std::vector<int64_t> parse_sizes(const std::string& text, const std::string& key);

}  // namespace loce::train
