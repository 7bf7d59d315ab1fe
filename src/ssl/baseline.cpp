// The baseline: random initialisation, no training. It still goes through the trainer, which
// saves the initial weights as the run's final checkpoint, so fine-tuning, evaluation and LoCE
// treat it like the pretrained methods.
#include <torch/torch.h>

#include "core/error.h"
#include "ssl/task.h"

namespace loce::ssl {

namespace {

class Baseline : public Task {
 public:
  std::string name() const override { return "baseline"; }
  models::HeadSet heads() const override { return {}; }
  bool trains() const override { return false; }
  TaskBatch make_batch(const data::Batch&, const c10::Device&, at::Generator&) const override {
    fail("baseline: the untrained baseline makes no batches");
  }
  TaskLoss loss(models::NetworkImpl&, const TaskBatch&, dist::Communicator&) const override {
    fail("baseline: the untrained baseline has no loss");
  }
};

}  // namespace

std::unique_ptr<Task> make_baseline_task() { return std::make_unique<Baseline>(); }

}  // namespace loce::ssl
