// Agreement scores, purity, error rate and the Hungarian algorithm against scikit-learn/scipy.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <random>

#include "analysis/clustering_scores.h"
#include "analysis/hungarian.h"
#include "reference_data.h"

using namespace loce;
using namespace loce::analysis;

namespace {

at::Tensor table_of(const at::Tensor& classes, const at::Tensor& clusters) {
  return contingency_table(classes, clusters, classes.max().item<int64_t>() + 1,
                           clusters.max().item<int64_t>() + 1);
}

}  // namespace

TEST(ClusteringScores, MatchScikitLearn) {
  auto f = test::sklearn_reference();
  at::Tensor y = h5::read_tensor(f, "/metrics/labels"), k = h5::read_tensor(f, "/metrics/clusters");
  ClusteringScores s = clustering_scores(table_of(y, k));
  auto ref = [&](const char* name) { return h5::attr_double(f, "/metrics", name); };
  EXPECT_NEAR(s.homogeneity, ref("homogeneity"), test::kSklearnTol);
  EXPECT_NEAR(s.completeness, ref("completeness"), test::kSklearnTol);
  EXPECT_NEAR(s.v_measure, ref("v_measure"), test::kSklearnTol);
  EXPECT_NEAR(s.ari, ref("ari"), test::kSklearnTol);
  EXPECT_NEAR(s.nmi, ref("nmi"), test::kSklearnTol);
  EXPECT_NEAR(s.purity, ref("purity"), test::kSklearnTol);
  EXPECT_NEAR(s.error_rate, ref("error_rate"), test::kSklearnTol);
}

TEST(ClusteringScores, PerfectAndRelabelledClusteringScoresOne) {
  at::Tensor y = torch::tensor({0, 0, 1, 1, 2, 2, 2}, torch::kInt64);
  at::Tensor k = torch::tensor({2, 2, 0, 0, 1, 1, 1}, torch::kInt64);  // a permutation
  ClusteringScores s = clustering_scores(table_of(y, k));
  EXPECT_DOUBLE_EQ(s.homogeneity, 1.0);
  EXPECT_DOUBLE_EQ(s.completeness, 1.0);
  EXPECT_DOUBLE_EQ(s.v_measure, 1.0);
  EXPECT_DOUBLE_EQ(s.ari, 1.0);
  EXPECT_NEAR(s.nmi, 1.0, 1e-12);
  EXPECT_DOUBLE_EQ(s.error_rate, 0.0);
}

TEST(ClusteringScores, SingleClusterIsCompleteButNotHomogeneous) {
  at::Tensor y = torch::tensor({0, 0, 1, 1}, torch::kInt64);
  at::Tensor k = torch::zeros({4}, torch::kInt64);
  ClusteringScores s = clustering_scores(table_of(y, k));
  EXPECT_DOUBLE_EQ(s.homogeneity, 0.0);
  EXPECT_DOUBLE_EQ(s.completeness, 1.0);
  EXPECT_DOUBLE_EQ(s.ari, 0.0);
  EXPECT_DOUBLE_EQ(s.nmi, 0.0);
  EXPECT_DOUBLE_EQ(s.error_rate, 0.5);
}

TEST(Hungarian, OptimalCostsMatchScipy) {
  auto f = test::sklearn_reference();
  for (const char* name : {"square", "wide", "tall"}) {
    std::string path = std::string("/hungarian/") + name;
    at::Tensor c = h5::read_tensor(f, path).contiguous();
    const int64_t r = c.size(0), n = c.size(1);
    std::vector<double> cost(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
    auto a = hungarian_min_cost(cost, r, n);
    double total = 0;
    std::vector<int> used(n, 0);
    int64_t assigned = 0;
    for (int64_t i = 0; i < r; ++i) {
      if (a[i] < 0) continue;
      ASSERT_LT(a[i], n);
      EXPECT_EQ(used[a[i]]++, 0) << name << ": column used twice";
      total += cost[i * n + a[i]];
      ++assigned;
    }
    EXPECT_EQ(assigned, std::min(r, n)) << name;
    EXPECT_NEAR(total, h5::attr_double(f, path, "optimal_cost"), 1e-9) << name;
  }
}

TEST(Hungarian, MatchesBruteForceOnRandomSquareProblems) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> u(0, 10);
  for (int trial = 0; trial < 20; ++trial) {
    const int n = 5;
    std::vector<double> cost(n * n);
    for (auto& v : cost) v = std::floor(u(rng));  // integer costs: many ties
    std::vector<int> perm = {0, 1, 2, 3, 4};
    double best = 1e300;
    do {
      double t = 0;
      for (int i = 0; i < n; ++i) t += cost[i * n + perm[i]];
      best = std::min(best, t);
    } while (std::next_permutation(perm.begin(), perm.end()));
    auto a = hungarian_min_cost(cost, n, n);
    double total = 0;
    for (int i = 0; i < n; ++i) total += cost[i * n + a[i]];
    EXPECT_DOUBLE_EQ(total, best);
  }
}

TEST(ClusteringScores, PerfectClusteringsNeverScoreAboveOne) {
  // Sums of rounded logarithms put MI a few ulp above the entropies for some tables (2, 2, 13
  // gave 1.0000000000000007, where scikit-learn reports 1.0): such excess is rounded away.
  for (auto sizes : {std::vector<double>{2, 2, 13}, {2, 2, 6}, {3, 5, 7}, {7, 11, 13, 17, 19}}) {
    const int64_t n = int64_t(sizes.size());
    at::Tensor table = torch::diag(torch::tensor(sizes, torch::kFloat64));
    for (const at::Tensor& t : {table, table.flip({1})}) {  // columns permuted: the same clustering
      ClusteringScores s = clustering_scores(t);
      for (double v : {s.homogeneity, s.completeness, s.v_measure, s.nmi}) {
        EXPECT_LE(v, 1.0) << n;
        EXPECT_NEAR(v, 1.0, 1e-12) << n;
      }
    }
  }
  // An imperfect one is left alone.
  ClusteringScores s = clustering_scores(torch::tensor({{5.0, 1.0}, {0.0, 6.0}}));
  EXPECT_LT(s.homogeneity, 1.0);
  EXPECT_LT(s.nmi, 1.0);
}
