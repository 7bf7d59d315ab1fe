#include "train/optimizer.h"

#include <torch/torch.h>

#include <sstream>

#include "core/error.h"

namespace loce::train {

namespace {

// adamw and sgd: torch's own implementations and serialisation.
template <class TorchOptim>
class TorchOptimizer : public Optimizer {
 public:
  template <class Options>
  TorchOptimizer(const std::vector<at::Tensor>& params, Options options)
      : optim_(params, options) {}
  void set_lr(double lr) override {
    for (auto& group : optim_.param_groups()) group.options().set_lr(lr);
  }
  void zero_grad() override { optim_.zero_grad(); }
  void step() override { optim_.step(); }
  std::string save() override {
    std::ostringstream os;
    torch::save(optim_, os);
    return os.str();
  }
  void load(const std::string& bytes) override {
    std::istringstream is(bytes);
    // The state (moments, momentum buffers) onto the parameters' device, not back onto the
    // device that saved it (rank 0's GPU).
    c10::optional<c10::Device> device;
    if (!optim_.param_groups().empty() && !optim_.param_groups()[0].params().empty())
      device = optim_.param_groups()[0].params()[0].device();
    torch::load(optim_, is, device);
  }

 private:
  TorchOptim optim_;
};

class Lars : public Optimizer {
 public:
  Lars(const std::vector<at::Tensor>& params, const OptimizerSettings& s)
      : params_(params), s_(s), lr_(s.lr) {
    for (const auto& p : params_) momentum_.push_back(at::zeros_like(p));
  }
  void set_lr(double lr) override { lr_ = lr; }
  void zero_grad() override {
    for (auto& p : params_)
      if (p.grad().defined()) p.mutable_grad() = at::Tensor();
  }
  void step() override {
    torch::NoGradGuard no_grad;
    for (size_t i = 0; i < params_.size(); ++i) {
      auto& p = params_[i];
      if (!p.grad().defined()) continue;
      at::Tensor dp = p.grad();
      // Biases and BatchNorm parameters (1-D) are excluded from decay and adaptation.
      if (p.dim() > 1) {
        dp = dp.add(p, s_.weight_decay);
        auto param_norm = p.norm(), update_norm = dp.norm();
        auto one = at::ones_like(param_norm);
        auto q = at::where(param_norm > 0.0,
                           at::where(update_norm > 0.0, s_.lars_eta * param_norm / update_norm, one),
                           one);
        dp = dp.mul(q);
      }
      momentum_[i].mul_(s_.momentum).add_(dp);
      p.add_(momentum_[i], -lr_);
    }
  }
  std::string save() override {
    std::ostringstream os;
    torch::save(momentum_, os);
    return os.str();
  }
  void load(const std::string& bytes) override {
    std::istringstream is(bytes);
    std::vector<at::Tensor> loaded;
    torch::load(loaded, is);
    if (loaded.size() != momentum_.size())
      bad_input("LARS state has ", loaded.size(), " momentum buffers, the model needs ",
                momentum_.size());
    for (size_t i = 0; i < loaded.size(); ++i) momentum_[i].copy_(loaded[i]);
  }

 private:
  std::vector<at::Tensor> params_, momentum_;
  OptimizerSettings s_;
  double lr_;
};

}  // namespace

std::unique_ptr<Optimizer> make_optimizer(const std::vector<at::Tensor>& params,
                                          const OptimizerSettings& s) {
  if (s.name == "adamw")
    return std::make_unique<TorchOptimizer<torch::optim::AdamW>>(
        params, torch::optim::AdamWOptions(s.lr).weight_decay(s.weight_decay));
  if (s.name == "sgd")
    return std::make_unique<TorchOptimizer<torch::optim::SGD>>(
        params, torch::optim::SGDOptions(s.lr).momentum(s.momentum).weight_decay(s.weight_decay));
  if (s.name == "lars") return std::make_unique<Lars>(params, s);
  bad_input("optimizer: expected adamw, sgd or lars, got '", s.name, "'");
}

}  // namespace loce::train
