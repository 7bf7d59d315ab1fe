#include "analysis/pca.h"

#include <torch/torch.h>

#include "core/error.h"

namespace loce::analysis {

at::Tensor Pca::transform(const at::Tensor& x) const {
  return torch::mm(x.to(torch::kFloat64) - mean, components.t());
}

Pca fit_pca(const at::Tensor& x_in, int64_t k) {
  LOCE_CHECK(x_in.dim() == 2, "PCA: points must be [n, d]");
  const int64_t n = x_in.size(0), d = x_in.size(1);
  if (k < 1 || k > std::min(n, d)) bad_input("PCA: ", k, " components from ", n, "x", d, " points");
  at::Tensor x = x_in.to(torch::kFloat64);
  Pca p;
  p.mean = x.mean(0);
  at::Tensor xc = x - p.mean;
  at::Tensor cov = torch::mm(xc.t(), xc) / double(std::max<int64_t>(1, n - 1));
  auto [evals, evecs] = torch::linalg_eigh(cov);  // ascending
  at::Tensor order = torch::arange(d - 1, d - 1 - k, -1, torch::TensorOptions().dtype(torch::kInt64).device(x.device()));
  p.explained_variance = evals.index_select(0, order).clamp_min(0);
  p.components = evecs.index_select(1, order).t().contiguous();  // [k, d]
  // svd_flip (u-based): the projected column's largest-magnitude entry becomes positive.
  at::Tensor scores = torch::mm(xc, p.components.t());             // [n, k]
  at::Tensor at_max = scores.gather(0, scores.abs().argmax(0, true)).squeeze(0);
  at::Tensor signs = torch::where(at_max.lt(0), -torch::ones_like(at_max), torch::ones_like(at_max));
  p.components = p.components * signs.unsqueeze(1);
  return p;
}

}  // namespace loce::analysis
