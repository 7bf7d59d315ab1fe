#include "train/grad_clip.h"

#include <torch/torch.h>

namespace loce::train {

at::Tensor clip_grad_norm(const std::vector<at::Tensor>& params, double max_norm) {
  torch::NoGradGuard no_grad;
  std::vector<at::Tensor> grads, norms;
  for (const auto& p : params)
    if (p.grad().defined()) {
      grads.push_back(p.grad());
      norms.push_back(p.grad().norm().to(at::kFloat));
    }
  if (grads.empty()) return at::zeros({}, at::kFloat);
  const at::Tensor total = norms.size() == 1 ? norms[0] : at::stack(norms).norm();
  const at::Tensor coef = (max_norm / (total + 1e-6)).clamp_max(1.0);
  for (auto& g : grads) g.mul_(coef.to(g.scalar_type()));
  return total;
}

}  // namespace loce::train
