#include "train/pretrain.h"

#include <torch/torch.h>

#include "core/seed.h"
#include "ssl/task.h"

namespace loce::train {

models::Network initial_network(const TrainConfig& config, const models::HeadSet& heads) {
  // Initialisation uses torch's global generator; seed it from the run's seed alone (not the
  // rank) so all ranks build the same network, then restore the per-rank stream.
  at::Generator gen = at::detail::getDefaultCPUGenerator();  // a handle on the global one
  at::Tensor saved = gen.get_state();
  torch::manual_seed(derive_seed(config.seed, 0, 0x1417));
  models::Network net(config.network_config(), heads);
  gen.set_state(saved);
  return net;
}

TrainOutcome run_pretraining(const TrainConfig& config, const std::string& run_dir, bool resume,
                             const c10::Device& device) {
  auto task = ssl::make_pretext_task(config.method, config.task);
  models::Network net = initial_network(config, task->heads());
  TrainerSetup setup{config, run_dir, "pretrain", resume, device};
  return run_training(setup, *task, net, net.ptr());
}

}  // namespace loce::train
