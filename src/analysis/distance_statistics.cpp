#include "analysis/distance_statistics.h"

#include <torch/torch.h>

#include <limits>
#include <vector>

#include "analysis/distance_tile.h"
#include "analysis/pairwise_distance.h"
#include "core/error.h"
#include "core/matmul.h"

namespace loce::analysis {
namespace {

// Folds a block of distances d [m, t] (the columns' concepts in col_labels [t]; each row's
// smallest distance in row_min [m]) into the running k nearest neighbours of its m rows:
// best_d [m, k] float64, best_l [m, k] concepts. Only rows whose nearest entry in the block
// beats their current k-th best can change; once the diagonal tiles have been seen (they come
// first) that is a small fraction.
void merge_neighbours(at::Tensor best_d, at::Tensor best_l, const at::Tensor& d,
                      const at::Tensor& row_min, const at::Tensor& col_labels) {
  const int64_t k = best_d.size(1);
  at::Tensor rows = row_min.lt(best_d.select(1, k - 1)).nonzero().squeeze(1);
  if (rows.numel() == 0) return;
  const bool all = rows.numel() == d.size(0);
  at::Tensor sub = all ? d : d.index_select(0, rows);
  at::Tensor old_d = all ? best_d : best_d.index_select(0, rows);
  at::Tensor old_l = all ? best_l : best_l.index_select(0, rows);
  auto [td, ti] = sub.topk(std::min(k, sub.size(1)), 1, /*largest=*/false);
  at::Tensor cand_d = torch::cat({old_d, td.to(torch::kFloat64)}, 1);
  at::Tensor cand_l =
      torch::cat({old_l, col_labels.index_select(0, ti.flatten()).view(ti.sizes())}, 1);
  auto [md, mi] = cand_d.topk(k, 1, /*largest=*/false);
  // An infinite distance is no neighbour (the point itself, or fewer than k others).
  at::Tensor ml = cand_l.gather(1, mi).masked_fill(md.isinf(), -1);
  best_d.index_copy_(0, rows, md);
  best_l.index_copy_(0, rows, ml);
}

}  // namespace

DistanceStatistics distance_statistics(const at::Tensor& x_in, const at::Tensor& labels_in,
                                       int64_t n_concepts, const DistanceOptions& options,
                                       dist::Communicator* comm) {
  LOCE_CHECK(x_in.dim() == 2 && labels_in.dim() == 1 && x_in.size(0) == labels_in.size(0),
             "distance statistics: need points [n, d] and labels [n]");
  LOCE_CHECK(options.tile >= 1, "distance statistics: tile must be >= 1");
  const auto wd = options.mixed_precision ? torch::kFloat32 : torch::kFloat64;
  const auto f64 = x_in.options().dtype(torch::kFloat64);
  const int64_t n = x_in.size(0), k = options.knn_k, C = n_concepts, T = options.tile;
  const double inf = std::numeric_limits<double>::infinity();

  // Sorted by concept (stable, so ties keep their order on every rank): concept c occupies
  // rows [acc.first[c], acc.first[c + 1]).
  DistanceAccumulators acc;
  at::Tensor labels_all = labels_in.to(x_in.device(), torch::kInt64);
  at::Tensor order = std::get<1>(labels_all.sort(/*stable=*/true, 0, /*descending=*/false));
  at::Tensor labels = labels_all.index_select(0, order);
  at::Tensor counts = torch::one_hot(labels, C).to(torch::kFloat64).sum(0);
  acc.first.assign(C + 1, 0);
  {
    at::Tensor c = counts.to(torch::kCPU);
    for (int64_t i = 0; i < C; ++i) acc.first[i + 1] = acc.first[i] + int64_t(c[i].item<double>());
  }
  // Centring changes no distance but shrinks the norms in |a|^2 - 2ab + |b|^2.
  at::Tensor xd = x_in.to(torch::kFloat64);
  at::Tensor x = (xd - xd.mean(0)).index_select(0, order).to(wd);

  acc.x_sq = squared_norms(x);
  acc.sum_to = torch::zeros({n, C}, f64);
  acc.nearest = torch::full({n, C}, inf, f64);
  at::Tensor knn_d = torch::full({n, k}, inf, f64);
  at::Tensor knn_l = torch::full({n, k}, -1, labels.options());

  // Tile pairs (I, J), I <= J, by distance from the diagonal: the diagonal tiles first, which
  // hold each point's own concept, so that the neighbour search soon has tight bounds.
  const int64_t tiles = (n + T - 1) / T;
  const int world = comm_size(comm), rank = comm_rank(comm);
  int64_t pair = 0;
  for (int64_t off = 0; off < tiles; ++off) {
    for (int64_t I = 0; I + off < tiles; ++I, ++pair) {
      const int64_t J = I + off;
      if (pair % world != rank) continue;
      const int64_t r0 = I * T, tr = std::min(T, n - r0), c0 = J * T, tc = std::min(T, n - c0);
      DistanceTile tile{matmul_nt(x.narrow(0, r0, tr), x.narrow(0, c0, tc)), r0, c0};
      TileMinima m = fold_distance_tile(tile, acc, options.kernel);
      if (k > 0) {
        merge_neighbours(knn_d.narrow(0, r0, tr), knn_l.narrow(0, r0, tr), tile.d, m.rows,
                         labels.narrow(0, c0, tc));
        if (!tile.diagonal())
          merge_neighbours(knn_d.narrow(0, c0, tc), knn_l.narrow(0, c0, tc), tile.d.t(), m.cols,
                           labels.narrow(0, r0, tr));
      }
    }
  }

  if (world > 1) {
    sum_across_ranks(comm, acc.sum_to);
    min_across_ranks(comm, acc.nearest);
    if (k > 0) {  // every rank's k best per point, then the k best of those
      auto merge_ranks = [&](const at::Tensor& t) {
        return gather_rows(comm, t).view({world, n, k}).permute({1, 0, 2}).reshape({n, world * k});
      };
      at::Tensor all_d = merge_ranks(knn_d), all_l = merge_ranks(knn_l);
      auto [md, mi] = all_d.topk(k, 1, /*largest=*/false);
      knn_l = all_l.gather(1, mi).masked_fill(md.isinf(), -1);
    }
  }

  // Back to the caller's order, this rank's rows only.
  DistanceStatistics s;
  s.n_points = n;
  s.rows = shard_rows(n, comm);
  s.counts = counts;
  at::Tensor position = torch::empty_like(order);  // position[i]: where point i went
  position.index_put_({order}, torch::arange(n, order.options()));
  at::Tensor mine = position.narrow(0, s.rows.begin, s.rows.size());
  s.labels = labels_all.narrow(0, s.rows.begin, s.rows.size());
  s.sum_to = acc.sum_to.index_select(0, mine);
  s.nearest = acc.nearest.index_select(0, mine);
  s.knn = knn_l.index_select(0, mine);
  return s;
}

}  // namespace loce::analysis
