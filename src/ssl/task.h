#pragma once
// One interface for every training objective: the three pretext tasks (barlow, dae, rpl), the
// untrained baseline, and the segmentation fine-tuning of train/. A task says which heads it
// needs, turns a batch read from the cache into network inputs and targets (every random draw
// from the generator it is given, so the trainer controls reproducibility), and computes the loss
// from a forward pass. The trainer owns everything else (optimiser, data parallelism,
// checkpoints), so adding a task touches nothing outside its own file.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <ATen/Tensor.h>
#include <ATen/core/Generator.h>
#include <c10/core/Device.h>

#include "data/cache.h"
#include "dist/communicator.h"
#include "models/network.h"

namespace loce::ssl {

struct TaskBatch {
  std::vector<at::Tensor> inputs;  // normalised network inputs (Barlow Twins: two views)
  at::Tensor target;               // clean image, cell index or label map; undefined if unused
};

struct TaskLoss {
  at::Tensor loss;  // scalar to backpropagate; its value is the same kind on every rank
  // Extra scalars the trainer averages over ranks and logs, e.g. {"accuracy", ...}.
  std::vector<std::pair<std::string, at::Tensor>> metrics;
};

// Settings of the pretext tasks (paper defaults).
struct TaskOptions {
  double barlow_lambda = 0.0051;  // weight of the off-diagonal (redundancy reduction) term
  double dae_sigma = 0.1;         // noise std on images in [0, 1]
  int64_t rpl_grid = 3;           // grid side: rpl_grid^2 classes
  double rpl_grayscale_p = 0.5;
  double rpl_flip_p = 0.5;
};

class Task {
 public:
  virtual ~Task() = default;
  virtual std::string name() const = 0;
  virtual models::HeadSet heads() const = 0;
  // False for the baseline: the trainer saves the initialisation as the final checkpoint.
  virtual bool trains() const { return true; }
  virtual TaskBatch make_batch(const data::Batch& batch, const c10::Device& device,
                               at::Generator& gen) const = 0;
  // Forward pass and loss on this rank's part of the batch. Losses defined over the global
  // batch (Barlow Twins) reduce across ranks through `comm`.
  virtual TaskLoss loss(models::NetworkImpl& net, const TaskBatch& batch,
                        dist::Communicator& comm) const = 0;
  // Puts the modules into training mode; fine-tuning keeps the frozen encoder in eval mode.
  virtual void set_train_mode(models::NetworkImpl& net) const { net.train(true); }
};

// "barlow" | "dae" | "rpl" | "baseline"; InputError naming the valid choices otherwise.
std::unique_ptr<Task> make_pretext_task(const std::string& method, const TaskOptions& options);
const std::vector<std::string>& pretext_methods();

std::unique_ptr<Task> make_barlow_task(const TaskOptions& options);
std::unique_ptr<Task> make_dae_task(const TaskOptions& options);
std::unique_ptr<Task> make_rpl_task(const TaskOptions& options);
std::unique_ptr<Task> make_baseline_task();

}  // namespace loce::ssl
