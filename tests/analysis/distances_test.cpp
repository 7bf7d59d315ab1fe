// Silhouette, intra/inter distances, separability, one-vs-rest, overlap and kNN accuracy against
// scikit-learn and brute-force numpy values.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "analysis/concept_separation.h"
#include "analysis/distance_statistics.h"
#include "analysis/silhouette.h"
#include "reference_data.h"
#include "tied_points.h"

using namespace loce;
using namespace loce::analysis;

namespace {

void expect_close(const at::Tensor& got, const at::Tensor& want, double tol, const char* what) {
  ASSERT_EQ(got.sizes(), want.sizes()) << what;
  double err = (got.to(torch::kFloat64) - want.to(torch::kFloat64)).abs().max().item<double>();
  EXPECT_LT(err, tol) << what << ": max abs error " << err;
}
}  // namespace

TEST(Distances, SilhouetteMatchesScikitLearn) {
  auto f = test::sklearn_reference();
  at::Tensor x = h5::read_tensor(f, "/metrics/x"), y = h5::read_tensor(f, "/metrics/labels");
  at::Tensor k = h5::read_tensor(f, "/metrics/clusters");
  EXPECT_NEAR(silhouette_score(x, y, 4), h5::attr_double(f, "/metrics", "silhouette"), test::kSklearnTol);
  EXPECT_NEAR(silhouette_score(x, k, 5), h5::attr_double(f, "/metrics", "silhouette_clusters"), test::kSklearnTol);
  DistanceOptions o;
  o.tile = 37;  // tiles that do not divide N
  expect_close(silhouette_samples(distance_statistics(x, y, 4, o)),
               h5::read_tensor(f, "/metrics/silhouette_samples"), test::kSklearnTol, "silhouette samples");
}

TEST(Distances, SilhouetteSingletonClusterScoresZero) {
  auto f = test::sklearn_reference();
  at::Tensor x = h5::read_tensor(f, "/silhouette_singleton/x");
  at::Tensor y = h5::read_tensor(f, "/silhouette_singleton/labels");
  EXPECT_NEAR(silhouette_score(x, y, 3), h5::attr_double(f, "/silhouette_singleton", "silhouette"), test::kSklearnTol);
}

TEST(Distances, MixedPrecisionSilhouetteIsClose) {
  auto f = test::sklearn_reference();
  at::Tensor x = h5::read_tensor(f, "/metrics/x").to(torch::kFloat32);
  at::Tensor y = h5::read_tensor(f, "/metrics/labels");
  EXPECT_NEAR(silhouette_score(x, y, 4, nullptr, true), h5::attr_double(f, "/metrics", "silhouette"), 1e-5);
}

// The fused CPU pass over a tile and the LibTorch operations (the GPU path) agree: the same
// distances bit for bit, so the same minima and neighbours, and sums up to summation order.
TEST(Distances, FusedCpuTilesEqualTensorOperations) {
  torch::manual_seed(5);
  const int64_t n = 301, C = 4;
  at::Tensor x = torch::randn({n, 24}, torch::kFloat64) * 3 + 1;
  at::Tensor y = torch::randint(0, C - 1, {n}, torch::kInt64);
  y[17] = C - 1;  // a concept with a single point: no nearest, no intra distance
  for (bool mixed : {false, true}) {
    for (int64_t tile : {37, 64, 512}) {  // tails shorter than a vector, one tile for all
      DistanceOptions o;
      o.mixed_precision = mixed;
      o.tile = tile;
      o.kernel = TileKernel::Tensor;
      DistanceStatistics want = distance_statistics(x, y, C, o);
      o.kernel = TileKernel::FusedCpu;
      DistanceStatistics got = distance_statistics(x, y, C, o);
      SCOPED_TRACE(testing::Message() << "mixed " << mixed << ", tile " << tile);
      expect_close(got.sum_to, want.sum_to, 1e-9 * want.sum_to.abs().max().item<double>(), "sums");
      EXPECT_TRUE(got.nearest.equal(want.nearest));
      EXPECT_TRUE(got.knn.equal(want.knn));
      EXPECT_TRUE(std::isinf(got.nearest[17][C - 1].item<double>()));
    }
  }
}

TEST(Distances, ConceptSeparationMatchesBruteForce) {
  auto f = test::sklearn_reference();
  at::Tensor x = h5::read_tensor(f, "/metrics/x"), y = h5::read_tensor(f, "/metrics/labels");
  DistanceOptions o;
  o.tile = 64;
  DistanceStatistics s = distance_statistics(x, y, 4, o);
  ConceptSeparation r = concept_separation(x, y, s);
  expect_close(r.intra, h5::read_tensor(f, "/metrics/intra"), test::kSklearnTol, "intra");
  expect_close(r.one_vs_rest, h5::read_tensor(f, "/metrics/one_vs_rest"), test::kSklearnTol, "one-vs-rest");
  expect_close(r.overlap, h5::read_tensor(f, "/metrics/overlap"), test::kSklearnTol, "overlap");
  EXPECT_NEAR(r.inter_mean, h5::attr_double(f, "/metrics", "inter_mean"), test::kSklearnTol);
  EXPECT_NEAR(r.separability_ratio, h5::attr_double(f, "/metrics", "separability_ratio"), test::kSklearnTol);
  EXPECT_NEAR(r.knn_accuracy, h5::attr_double(f, "/metrics", "knn_accuracy"), test::kSklearnTol);
}

TEST(Distances, SeparabilityIsInterOverMeanIntraOnAHandExample) {
  // Two concepts, two points each, on a line: intra = 1 and 1, centroids 0.5 and 10.5.
  at::Tensor x = torch::tensor({0.0, 1.0, 10.0, 11.0}, torch::kFloat64).unsqueeze(1);
  at::Tensor y = torch::tensor({0, 0, 1, 1}, torch::kInt64);
  DistanceStatistics s = distance_statistics(x, y, 2);
  ConceptSeparation r = concept_separation(x, y, s);
  EXPECT_DOUBLE_EQ(r.intra[0].item<double>(), 1.0);
  EXPECT_DOUBLE_EQ(r.inter_mean, 10.0);
  EXPECT_DOUBLE_EQ(r.separability_ratio, 10.0);
  EXPECT_DOUBLE_EQ(r.overlap[0][1].item<double>(), 0.0);
  EXPECT_DOUBLE_EQ(r.knn_accuracy, 0.0);  // 5-NN of each point: 1 same, 2 other concept
}

// With exactly tied distances the k nearest neighbours are still one set, whatever the tile
// size, kernel or precision: at equal distances the lower point index counts as the nearer.
TEST(Distances, TiedNeighboursGoToTheLowestIndexWhateverTheTiles) {
  const test::TiedPoints p = test::tied_points();
  const int64_t n = p.x.size(0), k = 5, C = test::TiedPoints::n_concepts;
  // The data do tie: most rows' k-th and (k+1)-th nearest others are at equal distances
  // (column 0 of a sorted row is the point itself).
  at::Tensor sorted = std::get<0>(test::exact_squared_distances(p.x).sort(1));
  ASSERT_GT(sorted.select(1, k).eq(sorted.select(1, k + 1)).sum().item<int64_t>(), n / 2);

  at::Tensor want = test::brute_force_knn(p.x, p.labels, k);
  at::Tensor votes = torch::one_hot(want, C).sum(1);  // argmax: tied votes to the lowest concept
  const double want_accuracy = votes.argmax(1).eq(p.labels).to(torch::kFloat64).mean().item<double>();
  for (auto kernel : {TileKernel::FusedCpu, TileKernel::Tensor}) {
    for (bool mixed : {false, true}) {
      for (int64_t tile : {4, 6, 37, 256}) {  // below k + 1, k + 1, uneven, one for all
        DistanceOptions o;
        o.knn_k = k;
        o.tile = tile;
        o.mixed_precision = mixed;
        o.kernel = kernel;
        SCOPED_TRACE(testing::Message() << "tensor kernel " << (kernel == TileKernel::Tensor)
                                        << ", mixed " << mixed << ", tile " << tile);
        DistanceStatistics s = distance_statistics(p.x, p.labels, C, o);
        EXPECT_TRUE(s.knn.equal(want));
        EXPECT_DOUBLE_EQ(concept_separation(p.x, p.labels, s).knn_accuracy, want_accuracy);
      }
    }
  }
}
