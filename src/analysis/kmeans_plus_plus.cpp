#include "analysis/kmeans_plus_plus.h"

#include <torch/torch.h>

#include <cmath>
#include <random>

#include "analysis/collectives.h"
#include "analysis/pairwise_distance.h"
#include "core/error.h"

namespace loce::analysis {
namespace {

// Rows of the points at the given global positions (draws in [0, total) of the global
// cumulative weight), assembled on every rank: each rank fills the rows it owns, then a sum.
at::Tensor rows_at_draws(const at::Tensor& x, const at::Tensor& local_cumsum,
                         const std::vector<double>& draws, dist::Communicator* comm) {
  const int size = comm_size(comm), rank = comm_rank(comm);
  // Global weight held by each rank, for locating a draw.
  at::Tensor totals = torch::zeros({size}, torch::kFloat64);
  double mine = local_cumsum.numel() ? local_cumsum[-1].item<double>() : 0.0;
  totals[rank] = mine;
  sum_across_ranks(comm, totals);
  auto tot = totals.accessor<double, 1>();
  at::Tensor rows = torch::zeros({int64_t(draws.size()), x.size(1)},
                                 x.options().dtype(torch::kFloat64));
  at::Tensor cum_cpu = local_cumsum.to(torch::kCPU);
  for (size_t t = 0; t < draws.size(); ++t) {
    double v = draws[t], offset = 0;
    int owner = -1;
    for (int r = 0; r < size; ++r) {
      if (v < offset + tot[r]) { owner = r; break; }
      offset += tot[r];
    }
    // Rounding can put a draw just past the end: it then goes to the last point that has weight.
    if (owner < 0) {
      for (int r = size - 1; r >= 0; --r) if (tot[r] > 0) { owner = r; break; }
      offset = 0;
      for (int r = 0; r < owner; ++r) offset += tot[r];
      v = offset + tot[owner];
    }
    if (owner == rank) {
      // searchsorted(side='left') like numpy's, clipped to the last row as scikit-learn does.
      at::Tensor key = torch::tensor({v - offset}, torch::kFloat64);
      int64_t idx = torch::searchsorted(cum_cpu, key).item<int64_t>();
      idx = std::min<int64_t>(idx, x.size(0) - 1);
      rows[t].copy_(x[idx].to(torch::kFloat64));
    }
  }
  sum_across_ranks(comm, rows);
  return rows;
}

}  // namespace

at::Tensor kmeans_plus_plus(const at::Tensor& x_local, int64_t k, uint64_t seed,
                            dist::Communicator* comm) {
  LOCE_CHECK(x_local.dim() == 2, "kmeans_plus_plus: points must be [n, d]");
  const int64_t n_local = x_local.size(0), d = x_local.size(1);
  at::Tensor n_all = torch::tensor({n_local}, torch::kInt64);
  sum_across_ranks(comm, n_all);
  const int64_t n = n_all.item<int64_t>();
  if (k < 1 || k > n) bad_input("k-means++: cannot choose ", k, " centres from ", n, " points");

  // One generator, identical on every rank, so that every rank draws the same numbers.
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  const int64_t trials = 2 + int64_t(std::log(double(k)));

  at::Tensor x = x_local.to(torch::kFloat64);
  at::Tensor x_sq = squared_norms(x);
  at::Tensor centres = torch::empty({k, d}, x.options());

  // First centre: a uniformly drawn global index = a draw on a cumulative count of ones.
  at::Tensor ones_cum = torch::arange(1, n_local + 1, x.options());
  // (+0.5: the draw falls strictly inside its point's unit interval of the cumulative count.)
  double first = std::floor(unit(rng) * double(n)) + 0.5;
  centres[0] = rows_at_draws(x, ones_cum, {first}, comm)[0];

  at::Tensor closest = squared_distances(centres.narrow(0, 0, 1), x, {}, x_sq)[0];
  double pot = sum_across_ranks(comm, closest.sum().item<double>());
  for (int64_t c = 1; c < k; ++c) {
    std::vector<double> draws(trials);
    for (auto& v : draws) v = unit(rng) * pot;
    at::Tensor cand = rows_at_draws(x, closest.cumsum(0), draws, comm);        // [T, d]
    at::Tensor to_cand = torch::minimum(closest.unsqueeze(0),
                                        squared_distances(cand, x, {}, x_sq)); // [T, n_local]
    at::Tensor cand_pot = to_cand.sum(1);
    sum_across_ranks(comm, cand_pot);
    int64_t best = cand_pot.argmin().item<int64_t>();
    centres[c] = cand[best];
    closest = to_cand[best].clone();
    pot = cand_pot[best].item<double>();
  }
  return centres;
}

}  // namespace loce::analysis
