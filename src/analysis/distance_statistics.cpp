#include "analysis/distance_statistics.h"

#include <torch/torch.h>

#include <limits>
#include <tuple>
#include <utility>
#include <vector>

#include "analysis/distance_tile.h"
#include "analysis/pairwise_distance.h"
#include "core/error.h"
#include "core/matmul.h"

namespace loce::analysis {
namespace {

// Neighbours are ranked by (distance, original point index): at equal distances the point that
// comes first in the caller's order wins. That is a total order, and the k best of a union are
// the k best of its parts' k best, so the neighbours found do not depend on the tile size, the
// order the tiles come in (concept order, diagonal first) or the number of ranks; topk alone
// breaks ties arbitrarily, which made the kNN accuracy depend on all three when LoCEs coincide.

// The k best of each row's candidates by (distance, index): d [m, c] and index [m, c] (the
// indices of a row distinct, except -1 at infinite distance), k <= c. Sorted best first.
std::pair<at::Tensor, at::Tensor> k_best(const at::Tensor& d, const at::Tensor& index, int64_t k) {
  // By index, then stably by distance: equal distances stay in index order.
  at::Tensor by_index = std::get<1>(index.sort(/*stable=*/true, 1, /*descending=*/false));
  at::Tensor d_sorted = d.gather(1, by_index), index_sorted = index.gather(1, by_index);
  at::Tensor by_distance = std::get<1>(d_sorted.sort(/*stable=*/true, 1, /*descending=*/false));
  at::Tensor best = by_distance.narrow(1, 0, k);
  return {d_sorted.gather(1, best), index_sorted.gather(1, best)};
}

// The (up to) k best columns of each row of d [m, t] by (distance, index), the columns' original
// indices in col_index [t]: distances [m, min(k, t)] float64 and original indices. A topk finds
// them unless a row's k-th and (k+1)-th smallest distances are equal; only such rows (rare
// outside duplicated LoCEs) pay for the exact ordering of their whole row.
std::pair<at::Tensor, at::Tensor> nearest_in_block(const at::Tensor& d, const at::Tensor& col_index,
                                                   int64_t k) {
  const int64_t m = d.size(0), t = d.size(1);
  at::Tensor index = col_index.unsqueeze(0).expand({m, t});
  if (t <= k) return {d.to(torch::kFloat64), index};  // every column is a candidate
  auto [td, ti] = d.topk(k + 1, 1, /*largest=*/false, /*sorted=*/true);
  at::Tensor near_d = td.narrow(1, 0, k).to(torch::kFloat64, /*non_blocking=*/false, /*copy=*/true);
  at::Tensor near_i = col_index.index_select(0, ti.narrow(1, 0, k).flatten()).view({m, k});
  at::Tensor tied = td.select(1, k).eq(td.select(1, k - 1)).nonzero().squeeze(1);
  if (tied.numel() > 0) {
    auto [exact_d, exact_i] = k_best(d.index_select(0, tied).to(torch::kFloat64),
                                     index.index_select(0, tied), k);
    near_d.index_copy_(0, tied, exact_d);
    near_i.index_copy_(0, tied, exact_i);
  }
  return {near_d, near_i};
}

// Folds a block of distances d [m, t] (the columns' original point indices in col_index [t];
// each row's smallest distance in row_min [m]) into the running k nearest neighbours of its m
// rows: best_d [m, k] float64 and best_i [m, k] original indices (-1: none yet). Only rows whose
// nearest entry in the block is no farther than their current k-th best can change (at an equal
// distance a lower index may win); once the diagonal tiles have been seen (they come first)
// that is a small fraction.
void merge_neighbours(at::Tensor best_d, at::Tensor best_i, const at::Tensor& d,
                      const at::Tensor& row_min, const at::Tensor& col_index) {
  const int64_t k = best_d.size(1);
  at::Tensor rows = row_min.le(best_d.select(1, k - 1)).nonzero().squeeze(1);
  if (rows.numel() == 0) return;
  const bool all = rows.numel() == d.size(0);
  at::Tensor sub = all ? d : d.index_select(0, rows);
  at::Tensor old_d = all ? best_d : best_d.index_select(0, rows);
  at::Tensor old_i = all ? best_i : best_i.index_select(0, rows);
  auto [new_d, new_i] = nearest_in_block(sub, col_index, k);
  auto [md, mi] = k_best(torch::cat({old_d, new_d}, 1), torch::cat({old_i, new_i}, 1), k);
  best_d.index_copy_(0, rows, md);
  best_i.index_copy_(0, rows, mi);
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
  at::Tensor knn_i = torch::full({n, k}, -1, labels.options());  // original point indices

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
        merge_neighbours(knn_d.narrow(0, r0, tr), knn_i.narrow(0, r0, tr), tile.d, m.rows,
                         order.narrow(0, c0, tc));
        if (!tile.diagonal())
          merge_neighbours(knn_d.narrow(0, c0, tc), knn_i.narrow(0, c0, tc), tile.d.t(), m.cols,
                           order.narrow(0, r0, tr));
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
      std::tie(knn_d, knn_i) = k_best(merge_ranks(knn_d), merge_ranks(knn_i), k);
    }
  }
  // The neighbours' concepts; an infinite distance is no neighbour (the point itself, or fewer
  // than k others).
  at::Tensor knn_l = labels_all.index_select(0, knn_i.clamp_min(0).flatten())
                         .view(knn_i.sizes())
                         .masked_fill(knn_d.isinf(), -1);

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
