#pragma once
// The run folder: what pretraining and fine-tuning write and what later stages read.
//
//   RUN_DIR/
//     run.json                   kind (pretrain | finetune), method, config entries, config hash,
//                                git revision, world size: for people and tools (written at start;
//                                removed again if the run fails before its first checkpoint)
//     train.lock                 "HOST PID SLURM_JOB_ID" of the process training into the folder
//                                (core/lock_file.h), held by rank 0 from before it looks at the
//                                checkpoints until the process ends
//     checkpoints/
//       ckpt-00001200.bin        one file per checkpoint (step zero-padded to 8 digits), written
//                                by rank 0 to a temporary name and renamed; the last K are kept.
//                                Contents: see train/checkpoint.h (a Boost.Serialization archive
//                                of the run state, with the model and optimiser as torch::save
//                                bytes inside).
//     train.h5                   /train/step int64 [n], /train/loss float32 [n], /train/lr
//                                float32 [n], /train/<metric> float32 [n] (e.g. accuracy for rpl);
//                                attributes on /train: method, config (key = value lines),
//                                config_hash, git_revision. Rewritten at every checkpoint.
//     eval.json, eval.md, eval.h5  `loce evaluate` (fine-tuned runs): miou, pixel_acc,
//                                per_class_iou (by class name), confusion matrix in eval.h5.
//
// A fine-tuning run's config names its encoder run (encoder_run). The newest checkpoint of a
// pretraining run holds its final encoder; load_encoder() below is how LoCE gets it.
#include <string>
#include <vector>

#include <c10/core/Device.h>

#include "models/network.h"
#include "train/config.h"

namespace loce::train {

struct RunState;  // train/checkpoint.h

std::string checkpoints_dir(const std::string& run_dir);
std::string checkpoint_path(const std::string& run_dir, int64_t step);
std::string curves_path(const std::string& run_dir);   // train.h5
std::string run_info_path(const std::string& run_dir); // run.json
std::string lock_path(const std::string& run_dir);     // train.lock

// Checkpoint files of a run, oldest first (temporary files of interrupted writes are ignored).
std::vector<std::string> list_checkpoints(const std::string& run_dir);
// The newest checkpoint; InputError naming the folder when there is none.
std::string newest_checkpoint(const std::string& run_dir);
// A checkpoint file given directly, or the newest one of a run folder.
std::string resolve_checkpoint(const std::string& run_dir_or_checkpoint);

// A run's trained network and what it was trained with, ready for inference.
struct LoadedRun {
  std::string checkpoint;
  std::string method;
  std::string kind;            // pretrain | finetune
  int64_t step = 0;
  int64_t total_steps = 0;     // of the run; step < total_steps: stopped before its end
  TrainConfig config;          // the fields network_config() needs, parsed back
  ConfigEntries entries;
  models::Network network{nullptr};
};
// Loads the network of a run (or a checkpoint file) with the requested heads (the encoder is
// always there) onto `device`, in eval mode, without gradients.
LoadedRun load_run(const std::string& run_dir_or_checkpoint, const models::HeadSet& heads,
                   const c10::Device& device);
// The same from a checkpoint already read (read_checkpoint(checkpoint) gave `state`).
LoadedRun load_run(const RunState& state, const std::string& checkpoint,
                   const models::HeadSet& heads, const c10::Device& device);
// A run is used on images of the size it was trained on: an InputError naming both files when the
// cache at `cache_path` holds another size (a cache of another resolution is a slip of the user;
// full-resolution evaluation goes through `loce evaluate --full-res-labels`).
void check_cache_matches_run(const LoadedRun& run, const std::string& cache_path);
// The encoder alone (LoCE activation extraction). Inputs are data::normalize()d float images.
models::UNetEncoder load_encoder(const std::string& run_dir_or_checkpoint,
                                 const c10::Device& device);

// Parses config entries back into a TrainConfig (unknown keys are ignored, bad values are
// InputErrors naming the key).
TrainConfig config_from_entries(const ConfigEntries& entries);

}  // namespace loce::train
