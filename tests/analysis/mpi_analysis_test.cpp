// Multi-rank analysis (run under mpirun -np 2 and 3): the GMM on sharded points and the
// distance-based metrics with rows spread over ranks equal the one-process results (computed on
// every rank without a communicator) to 1e-6 relative; the k nearest neighbours exactly, ties
// included.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "analysis/clustering_scores.h"
#include "analysis/collectives.h"
#include "analysis/concept_separation.h"
#include "analysis/distance_statistics.h"
#include "analysis/gmm.h"
#include "analysis/kmeans_plus_plus.h"
#include "analysis/silhouette.h"
#include "analysis/synthetic_loces.h"
#include "dist/world.h"
#include "tied_points.h"

using namespace loce;
using namespace loce::analysis;

namespace {

double rel_err(const at::Tensor& a, const at::Tensor& b) {
  at::Tensor x = a.to(torch::kFloat64), y = b.to(torch::kFloat64);
  return ((x - y).abs().max() / y.abs().max().clamp_min(1e-300)).item<double>();
}

struct Data {
  at::Tensor x, labels;
};
Data synthetic_points() {
  auto s = make_synthetic_loces(301, 12, 4, 9, 1.0);  // 301: shards of unequal size
  at::Tensor ids = s.train_ids.to(torch::kInt64);
  // trainIds 0, 2, 8, 13 -> 0..3
  at::Tensor lut = torch::full({19}, -1, torch::kInt64);
  lut[0] = 0; lut[2] = 1; lut[8] = 2; lut[13] = 3;
  return {s.vectors.to(torch::kFloat64), lut.index_select(0, ids)};
}

}  // namespace

TEST(MpiAnalysis, KMeansPlusPlusIsTheSameOnAnyNumberOfRanks) {
  auto comm = dist::cpu_communicator();
  Data d = synthetic_points();
  RowRange r = shard_rows(d.x.size(0), comm.get());
  at::Tensor mine = kmeans_plus_plus(d.x.narrow(0, r.begin, r.size()), 4, 17, comm.get());
  at::Tensor one = kmeans_plus_plus(d.x, 4, 17, nullptr);
  EXPECT_LT(rel_err(mine, one), 1e-12);
}

TEST(MpiAnalysis, GmmIsTheSameOnAnyNumberOfRanks) {
  auto comm = dist::cpu_communicator();
  Data d = synthetic_points();
  RowRange r = shard_rows(d.x.size(0), comm.get());
  at::Tensor local = d.x.narrow(0, r.begin, r.size());
  for (auto type : {CovarianceType::Full, CovarianceType::Diag, CovarianceType::Spherical}) {
    GmmOptions o;
    o.n_components = 4;
    o.covariance_type = type;
    o.n_init = 2;
    o.seed = 5;
    GaussianMixture sharded(o, comm.get()), single(o, nullptr);
    sharded.fit(local);
    single.fit(d.x);
    EXPECT_EQ(sharded.n_iter(), single.n_iter()) << to_string(type);
    EXPECT_LT(rel_err(sharded.means(), single.means()), 1e-6) << to_string(type);
    EXPECT_LT(rel_err(sharded.weights(), single.weights()), 1e-6) << to_string(type);
    EXPECT_LT(rel_err(sharded.covariances(), single.covariances()), 1e-6) << to_string(type);
    double ll_sharded = sharded.score(local), ll_single = single.score(d.x);
    EXPECT_NEAR(ll_sharded, ll_single, 1e-6 * std::abs(ll_single)) << to_string(type);
    EXPECT_NEAR(sharded.bic(local), single.bic(d.x), 1e-6 * std::abs(single.bic(d.x)));
    at::Tensor assignment = gather_rows(comm.get(), sharded.predict(local));
    EXPECT_TRUE(assignment.equal(single.predict(d.x))) << to_string(type);
  }
}

TEST(MpiAnalysis, MetricsAreTheSameOnAnyNumberOfRanks) {
  auto comm = dist::cpu_communicator();
  Data d = synthetic_points();
  DistanceOptions o;
  o.tile = 40;
  DistanceStatistics sharded = distance_statistics(d.x, d.labels, 4, o, comm.get());
  DistanceStatistics single = distance_statistics(d.x, d.labels, 4, o, nullptr);
  double sil_sharded = silhouette_score(sharded, comm.get()), sil_single = silhouette_score(single);
  EXPECT_NEAR(sil_sharded, sil_single, 1e-6 * std::abs(sil_single));
  ConceptSeparation a = concept_separation(d.x, d.labels, sharded, comm.get());
  ConceptSeparation b = concept_separation(d.x, d.labels, single, nullptr);
  EXPECT_LT(rel_err(a.intra, b.intra), 1e-6);
  EXPECT_LT(rel_err(a.overlap, b.overlap), 1e-12);
  EXPECT_NEAR(a.separability_ratio, b.separability_ratio, 1e-6 * b.separability_ratio);
  EXPECT_DOUBLE_EQ(a.knn_accuracy, b.knn_accuracy);

  // Contingency from sharded assignments.
  RowRange r = shard_rows(d.x.size(0), comm.get());
  at::Tensor clusters = (d.labels + (torch::arange(d.x.size(0)) % 7).eq(0).to(torch::kInt64)) % 4;
  at::Tensor t_sharded = contingency_table(d.labels.narrow(0, r.begin, r.size()),
                                           clusters.narrow(0, r.begin, r.size()), 4, 4, comm.get());
  at::Tensor t_single = contingency_table(d.labels, clusters, 4, 4);
  EXPECT_TRUE(t_sharded.equal(t_single));
  EXPECT_DOUBLE_EQ(clustering_scores(t_sharded).ari, clustering_scores(t_single).ari);
}

// Exactly tied distances: every rank count finds the same k nearest neighbours (the one-process
// result, which distances_test.cpp checks against brute force), so the same kNN accuracy.
TEST(MpiAnalysis, TiedNeighboursAreTheSameOnAnyNumberOfRanks) {
  auto comm = dist::cpu_communicator();
  const test::TiedPoints p = test::tied_points();
  const int64_t C = test::TiedPoints::n_concepts;
  DistanceOptions o;
  o.tile = 37;
  DistanceStatistics sharded = distance_statistics(p.x, p.labels, C, o, comm.get());
  DistanceStatistics single = distance_statistics(p.x, p.labels, C, o, nullptr);
  EXPECT_TRUE(sharded.knn.equal(single.knn.narrow(0, sharded.rows.begin, sharded.rows.size())));
  EXPECT_DOUBLE_EQ(concept_separation(p.x, p.labels, sharded, comm.get()).knn_accuracy,
                   concept_separation(p.x, p.labels, single, nullptr).knn_accuracy);
}
