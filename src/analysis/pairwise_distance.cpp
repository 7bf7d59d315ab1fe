#include "analysis/pairwise_distance.h"

#include <torch/torch.h>

#include <algorithm>

#include "core/matmul.h"

namespace loce::analysis {

at::Tensor squared_norms(const at::Tensor& x) { return (x * x).sum(1); }

at::Tensor squared_distances(const at::Tensor& a, const at::Tensor& b, at::Tensor a_sq,
                             at::Tensor b_sq) {
  if (!a_sq.defined()) a_sq = squared_norms(a);
  if (!b_sq.defined()) b_sq = squared_norms(b);
  return squared_distances_from_products(matmul_nt(a, b), a_sq, b_sq);
}

at::Tensor squared_distances_from_products(at::Tensor p, const at::Tensor& a_sq,
                                           const at::Tensor& b_sq) {
  return p.mul_(-2).add_(b_sq.unsqueeze(0)).add_(a_sq.unsqueeze(1)).clamp_min_(0);
}

int64_t tile_rows(int64_t cols, int64_t budget_bytes) {
  return std::max<int64_t>(1, budget_bytes / (8 * std::max<int64_t>(1, cols)));
}

}  // namespace loce::analysis
