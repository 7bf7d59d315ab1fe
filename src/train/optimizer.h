#pragma once
// The optimisers a run can use behind one small interface, so the trainer sets the learning rate,
// steps, and saves/restores state the same way for each:
//   adamw, sgd (momentum)  torch::optim, state saved with torch::save
//   lars                   LARS as in facebookresearch/barlowtwins: weight decay and the trust
//                          ratio eta * |w| / |g| skipped for biases and norm parameters (1-D),
//                          then heavy-ball momentum.
#include <memory>
#include <string>
#include <vector>

#include <ATen/Tensor.h>

namespace loce::train {

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  virtual void set_lr(double lr) = 0;
  virtual void zero_grad() = 0;
  virtual void step() = 0;
  virtual std::string save() = 0;                   // state as bytes
  virtual void load(const std::string& bytes) = 0;  // InputError if it does not fit
};

struct OptimizerSettings {
  std::string name = "adamw";
  double lr = 1e-3, weight_decay = 1e-4, momentum = 0.9, lars_eta = 0.001;
};

std::unique_ptr<Optimizer> make_optimizer(const std::vector<at::Tensor>& params,
                                          const OptimizerSettings& settings);

}  // namespace loce::train
