#include "analysis/clustering_scores.h"

#include <torch/torch.h>

#include <cmath>
#include <vector>

#include "analysis/collectives.h"
#include "analysis/hungarian.h"
#include "core/error.h"

namespace loce::analysis {

at::Tensor contingency_table(const at::Tensor& classes, const at::Tensor& clusters,
                             int64_t n_classes, int64_t n_clusters, dist::Communicator* comm) {
  LOCE_CHECK(classes.numel() == clusters.numel(), "contingency: ", classes.numel(), " labels vs ",
             clusters.numel(), " assignments");
  at::Tensor c = classes.to(torch::kInt64).flatten(), k = clusters.to(torch::kInt64).flatten();
  if (c.numel()) {
    LOCE_CHECK(c.min().item<int64_t>() >= 0 && c.max().item<int64_t>() < n_classes,
               "contingency: class label out of range");
    LOCE_CHECK(k.min().item<int64_t>() >= 0 && k.max().item<int64_t>() < n_clusters,
               "contingency: cluster label out of range");
  }
  at::Tensor table = torch::zeros({n_classes * n_clusters}, c.options().dtype(torch::kFloat64));
  table.index_add_(0, c * n_clusters + k, torch::ones({c.numel()}, table.options()));
  table = table.view({n_classes, n_clusters});
  sum_across_ranks(comm, table);
  return table.to(torch::kCPU);
}

namespace {

// Entropy of a vector of counts (zeros skipped), natural log.
double entropy(const std::vector<double>& counts) {
  double n = 0, h = 0;
  for (double v : counts) n += v;
  if (n <= 0) return 0;
  for (double v : counts)
    if (v > 0) h -= (v / n) * std::log(v / n);
  return h;
}

double comb2(double n) { return n * (n - 1) / 2; }

}  // namespace

ClusteringScores clustering_scores(const at::Tensor& contingency) {
  at::Tensor t = contingency.to(torch::kCPU, torch::kFloat64).contiguous();
  LOCE_CHECK(t.dim() == 2, "clustering scores: contingency must be 2-D");
  const int64_t C = t.size(0), K = t.size(1);
  auto a = t.accessor<double, 2>();
  std::vector<double> rows(C, 0), cols(K, 0);
  double N = 0;
  for (int64_t i = 0; i < C; ++i)
    for (int64_t j = 0; j < K; ++j) { rows[i] += a[i][j]; cols[j] += a[i][j]; N += a[i][j]; }
  LOCE_CHECK(N > 0, "clustering scores: no points");
  int64_t n_classes = 0, n_clusters = 0;
  for (double v : rows) n_classes += v > 0;
  for (double v : cols) n_clusters += v > 0;

  double mi = 0;
  for (int64_t i = 0; i < C; ++i)
    for (int64_t j = 0; j < K; ++j)
      if (a[i][j] > 0)
        mi += a[i][j] / N * (std::log(a[i][j]) + std::log(N) - std::log(rows[i]) - std::log(cols[j]));
  mi = std::max(mi, 0.0);
  const double hc = entropy(rows), hk = entropy(cols);

  ClusteringScores s;
  s.homogeneity = hc > 0 ? mi / hc : 1.0;
  s.completeness = hk > 0 ? mi / hk : 1.0;
  s.v_measure = s.homogeneity + s.completeness > 0
                    ? 2 * s.homogeneity * s.completeness / (s.homogeneity + s.completeness)
                    : 0.0;
  if ((n_classes == 1 && n_clusters == 1) || (n_classes == 0 && n_clusters == 0)) s.nmi = 1.0;
  else if (mi <= 0) s.nmi = 0.0;
  else s.nmi = mi / std::max((hc + hk) / 2, std::numeric_limits<double>::epsilon());
  // Each lies in [0, 1] (MI <= min(H(C), H(K)) <= their mean), but MI and the entropies are
  // sums of rounded logarithms: a perfect clustering can come out as 1 + 1e-15. Such excess
  // alone is rounded away; a larger one would be a bug and is left to show.
  for (double* v : {&s.homogeneity, &s.completeness, &s.v_measure, &s.nmi})
    if (*v > 1.0 && *v <= 1.0 + 1e-12) *v = 1.0;

  // ARI through the pair counts, as scikit-learn's pair_confusion_matrix.
  double sum_comb = 0, sum_a = 0, sum_b = 0;
  for (int64_t i = 0; i < C; ++i)
    for (int64_t j = 0; j < K; ++j) sum_comb += comb2(a[i][j]);
  for (double v : rows) sum_a += comb2(v);
  for (double v : cols) sum_b += comb2(v);
  // Pairs together in the clustering but not in the truth (fp) and the converse (fn).
  const double fp = sum_b - sum_comb, fn = sum_a - sum_comb;
  if (fp == 0 && fn == 0) {
    s.ari = 1.0;
  } else {
    const double tp = sum_comb, tn = comb2(N) - tp - fp - fn;
    s.ari = 2.0 * (tp * tn - fn * fp) / ((tp + fn) * (fn + tn) + (tp + fp) * (fp + tn));
  }

  double majority = 0;
  for (int64_t j = 0; j < K; ++j) {
    double best = 0;
    for (int64_t i = 0; i < C; ++i) best = std::max(best, a[i][j]);
    majority += best;
  }
  s.purity = majority / N;

  std::vector<int64_t> match = match_clusters_to_classes(t);
  double matched = 0;
  for (int64_t i = 0; i < C; ++i)
    if (match[i] >= 0) matched += a[i][match[i]];
  s.error_rate = 1.0 - matched / N;
  return s;
}

std::vector<int64_t> match_clusters_to_classes(const at::Tensor& contingency) {
  at::Tensor t = contingency.to(torch::kCPU, torch::kFloat64).contiguous();
  std::vector<double> profit(t.data_ptr<double>(), t.data_ptr<double>() + t.numel());
  return hungarian_max_profit(profit, t.size(0), t.size(1));
}

}  // namespace loce::analysis
