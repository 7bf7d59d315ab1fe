#include "analysis/distance_statistics.h"

#include <torch/torch.h>

#include <limits>

#include "analysis/pairwise_distance.h"
#include "core/error.h"

namespace loce::analysis {

DistanceStatistics distance_statistics(const at::Tensor& x_in, const at::Tensor& labels_in,
                                       int64_t n_concepts, const DistanceOptions& options,
                                       dist::Communicator* comm) {
  LOCE_CHECK(x_in.dim() == 2 && labels_in.dim() == 1 && x_in.size(0) == labels_in.size(0),
             "distance statistics: need points [n, d] and labels [n]");
  const auto wd = options.mixed_precision ? torch::kFloat32 : torch::kFloat64;
  const auto f64 = x_in.options().dtype(torch::kFloat64);
  const int64_t n = x_in.size(0), k = options.knn_k;
  const double inf = std::numeric_limits<double>::infinity();
  // Centring changes no distance but shrinks the norms in |a|^2 - 2ab + |b|^2.
  at::Tensor xd = x_in.to(torch::kFloat64);
  at::Tensor x = (xd - xd.mean(0)).to(wd);
  at::Tensor x_sq = squared_norms(x);
  at::Tensor labels = labels_in.to(x.device(), torch::kInt64);
  at::Tensor onehot = torch::one_hot(labels, n_concepts).to(wd);  // [n, C]

  DistanceStatistics s;
  s.n_points = n;
  s.rows = shard_rows(n, comm);
  s.counts = onehot.to(torch::kFloat64).sum(0);
  const int64_t r0 = s.rows.begin, nr = s.rows.size();
  s.labels = labels.narrow(0, r0, nr);
  s.sum_to = torch::zeros({nr, n_concepts}, f64);
  s.nearest = torch::full({nr, n_concepts}, inf, f64);
  at::Tensor knn_dist = torch::full({nr, k}, inf, f64);
  s.knn = torch::full({nr, k}, -1, labels.options());

  for (int64_t rs = 0; rs < nr; rs += options.row_tile) {
    const int64_t tr = std::min(options.row_tile, nr - rs), g0 = r0 + rs;
    at::Tensor xr = x.narrow(0, g0, tr), xr_sq = x_sq.narrow(0, g0, tr);
    at::Tensor sums = torch::zeros({tr, n_concepts}, f64);
    at::Tensor near = torch::full({tr, n_concepts}, inf, f64);
    at::Tensor best_d = knn_dist.narrow(0, rs, tr), best_l = s.knn.narrow(0, rs, tr);
    for (int64_t cs = 0; cs < n; cs += options.col_tile) {
      const int64_t tc = std::min(options.col_tile, n - cs);
      at::Tensor d = squared_distances(xr, x.narrow(0, cs, tc), xr_sq, x_sq.narrow(0, cs, tc));
      at::Tensor col_labels = labels.narrow(0, cs, tc);
      // Self pairs: exactly 0 in the sums (as scikit-learn zeroes the diagonal), excluded
      // from nearest neighbours.
      at::Tensor self_mask;
      const int64_t lo = std::max(g0, cs), hi = std::min(g0 + tr, cs + tc);
      if (lo < hi) {
        at::Tensor idx = torch::arange(lo, hi, labels.options());
        d.index_put_({idx - g0, idx - cs}, 0.0);
        self_mask = torch::zeros_like(d, d.options().dtype(torch::kBool));
        self_mask.index_put_({idx - g0, idx - cs}, true);
      }
      d.sqrt_();
      sums += torch::mm(d, onehot.narrow(0, cs, tc)).to(torch::kFloat64);
      at::Tensor d_other = self_mask.defined() ? d.masked_fill(self_mask, inf) : d;
      for (int64_t c = 0; c < n_concepts; ++c) {
        at::Tensor cols = col_labels.eq(c).nonzero().squeeze(1);
        if (cols.numel() == 0) continue;
        near.select(1, c).copy_(torch::minimum(
            near.select(1, c), d_other.index_select(1, cols).amin(1).to(torch::kFloat64)));
      }
      if (k > 0) {
        auto [td, ti] = d_other.topk(std::min(k, tc), 1, /*largest=*/false);
        at::Tensor cand_d = torch::cat({best_d, td.to(torch::kFloat64)}, 1);
        at::Tensor cand_l = torch::cat({best_l, col_labels.index_select(0, ti.flatten()).view(ti.sizes())}, 1);
        auto [md, mi] = cand_d.topk(k, 1, /*largest=*/false);
        best_d.copy_(md);
        // An infinite distance is no neighbour (the point itself, or fewer than k others).
        best_l.copy_(cand_l.gather(1, mi).masked_fill(md.isinf(), -1));
      }
    }
    s.sum_to.narrow(0, rs, tr).copy_(sums);
    s.nearest.narrow(0, rs, tr).copy_(near);
  }
  return s;
}

}  // namespace loce::analysis
