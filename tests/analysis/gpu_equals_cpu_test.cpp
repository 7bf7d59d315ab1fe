// On a CUDA build with a GPU: the GMM, k-means and the distance pass give the CPU's results.
// Skipped elsewhere (tools/gpu/check.sh runs them on the GPU machine).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "analysis/distance_statistics.h"
#include "analysis/gmm.h"
#include "analysis/silhouette.h"

using namespace loce::analysis;

namespace {
bool gpu() { return torch::cuda::is_available(); }

at::Tensor blobs(int64_t n, int64_t d, int64_t k, at::Tensor& labels) {
  torch::manual_seed(11);
  labels = torch::arange(n, torch::kInt64) % k;
  return (torch::randn({k, d}) * 4).index_select(0, labels) + torch::randn({n, d});
}
}  // namespace

TEST(GpuEqualsCpu, GmmFitAndPrediction) {
  if (!gpu()) GTEST_SKIP() << "no CUDA device";
  at::Tensor y;
  at::Tensor x = blobs(3000, 200, 4, y);
  for (bool mixed : {false, true}) {
    GmmOptions o;
    o.n_components = 4;
    o.mixed_precision = mixed;
    GaussianMixture cpu(o), cuda(o);
    cpu.fit(x);
    cuda.fit(x.cuda());
    EXPECT_EQ(cpu.n_iter(), cuda.n_iter());
    EXPECT_NEAR(cpu.score(x), cuda.score(x.cuda()), 1e-6 * std::abs(cpu.score(x)));
    EXPECT_TRUE(cpu.predict(x).equal(cuda.predict(x.cuda()).cpu()));
  }
}

TEST(GpuEqualsCpu, DistancePassAndSilhouette) {
  if (!gpu()) GTEST_SKIP() << "no CUDA device";
  at::Tensor y;
  at::Tensor x = blobs(2500, 64, 5, y);
  DistanceOptions o;
  o.tile = 700;
  DistanceStatistics a = distance_statistics(x, y, 5, o);
  DistanceStatistics b = distance_statistics(x.cuda(), y.cuda(), 5, o);
  EXPECT_LT((a.sum_to - b.sum_to.cpu()).abs().max().item<double>(), 1e-6 * a.sum_to.abs().max().item<double>());
  EXPECT_TRUE(torch::allclose(a.nearest, b.nearest.cpu(), 1e-9, 1e-9));
  EXPECT_TRUE(a.knn.equal(b.knn.cpu()));
  EXPECT_NEAR(silhouette_score(a), silhouette_score(b), 1e-9);
}
