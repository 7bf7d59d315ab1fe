// The GMM against scikit-learn: label recovery on separated blobs, the same fit from the same
// start on overlapping blobs (all three covariance types), BIC/AIC, model selection, errors.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <limits>

#include "analysis/clustering_scores.h"
#include "analysis/gmm.h"
#include "analysis/kmeans.h"
#include "analysis/kmeans_plus_plus.h"
#include "core/error.h"
#include "reference_data.h"

using namespace loce;
using namespace loce::analysis;

namespace {

double ari(const at::Tensor& y, const at::Tensor& k, int64_t n) {
  return clustering_scores(contingency_table(y, k, n, n)).ari;
}

double max_abs(const at::Tensor& a, const at::Tensor& b) {
  return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>();
}

}  // namespace

TEST(Gmm, RecoversSeparatedBlobs) {
  auto f = test::sklearn_reference();
  at::Tensor x = h5::read_tensor(f, "/gmm_separated/x"), y = h5::read_tensor(f, "/gmm_separated/labels");
  for (auto type : {CovarianceType::Full, CovarianceType::Diag, CovarianceType::Spherical}) {
    for (bool mixed : {false, true}) {
      GmmOptions o;
      o.n_components = 3;
      o.covariance_type = type;
      o.mixed_precision = mixed;
      o.seed = 3;
      GaussianMixture g(o);
      g.fit(mixed ? x.to(torch::kFloat32) : x);
      EXPECT_TRUE(g.converged());
      EXPECT_DOUBLE_EQ(ari(y, g.predict(x), 3), 1.0) << to_string(type) << (mixed ? " mixed" : "");
      EXPECT_NEAR(g.weights().sum().item<double>(), 1.0, 1e-12);
    }
  }
}

TEST(Gmm, SameFitAsScikitLearnFromTheSameStart) {
  auto f = test::sklearn_reference();
  at::Tensor x = h5::read_tensor(f, "/gmm_overlap/x");
  at::Tensor w0 = h5::read_tensor(f, "/gmm_overlap/init_weights");
  at::Tensor m0 = h5::read_tensor(f, "/gmm_overlap/init_means");
  for (const char* name : {"full", "diag", "spherical"}) {
    std::string g_path = std::string("/gmm_overlap/") + name;
    GmmOptions o;
    o.n_components = 3;
    o.covariance_type = parse_covariance_type(name);
    GaussianMixture g(o);
    g.fit_from(x, w0, m0, h5::read_tensor(f, g_path + "/init_covariances"));
    EXPECT_NEAR(g.score(x), h5::attr_double(f, g_path, "score"), 1e-4) << name;
    EXPECT_NEAR(g.lower_bound(), h5::attr_double(f, g_path, "lower_bound"), 1e-6) << name;
    EXPECT_EQ(g.n_iter(), h5::attr_int(f, g_path, "n_iter")) << name;
    EXPECT_LT(max_abs(g.means(), h5::read_tensor(f, g_path + "/means")), 1e-6) << name;
    EXPECT_LT(max_abs(g.weights(), h5::read_tensor(f, g_path + "/weights")), 1e-6) << name;
    EXPECT_LT(max_abs(g.covariances(), h5::read_tensor(f, g_path + "/covariances")), 1e-6) << name;
    EXPECT_LT(max_abs(g.predict_proba(x), h5::read_tensor(f, g_path + "/predict_proba")), 1e-6) << name;
    EXPECT_TRUE(g.predict(x).equal(h5::read_tensor(f, g_path + "/predict"))) << name;
    double bic = h5::attr_double(f, g_path, "bic"), aic = h5::attr_double(f, g_path, "aic");
    EXPECT_NEAR(g.bic(x), bic, 1e-6 * std::abs(bic)) << name;
    EXPECT_NEAR(g.aic(x), aic, 1e-6 * std::abs(aic)) << name;
  }
}

TEST(Gmm, MixedPrecisionStaysClose) {
  auto f = test::sklearn_reference();
  at::Tensor x = h5::read_tensor(f, "/gmm_overlap/x");
  GmmOptions o;
  o.n_components = 3;
  o.mixed_precision = true;
  GaussianMixture g(o);
  g.fit_from(x.to(torch::kFloat32), h5::read_tensor(f, "/gmm_overlap/init_weights"),
             h5::read_tensor(f, "/gmm_overlap/init_means"),
             h5::read_tensor(f, "/gmm_overlap/full/init_covariances"));
  EXPECT_NEAR(g.score(x), h5::attr_double(f, "/gmm_overlap/full", "score"), 1e-4);
}

TEST(Gmm, BicChoosesTheTrueNumberOfBlobs) {
  auto f = test::sklearn_reference();
  at::Tensor x = h5::read_tensor(f, "/gmm_separated/x");
  std::vector<double> bics;
  GmmOptions o;
  o.seed = 1;
  o.n_init = 2;
  GaussianMixture best = select_components_by_bic(x, 1, 5, o, nullptr, &bics);
  EXPECT_EQ(best.options().n_components, 3);
  ASSERT_EQ(bics.size(), 5u);
  EXPECT_LT(bics[2], bics[0]);
  EXPECT_LT(bics[2], bics[4]);
}

TEST(Gmm, KMeansPlusPlusPicksDistinctDataPoints) {
  auto f = test::sklearn_reference();
  at::Tensor x = h5::read_tensor(f, "/gmm_separated/x"), y = h5::read_tensor(f, "/gmm_separated/labels");
  at::Tensor c = kmeans_plus_plus(x, 3, 11);
  // Each centre is a data point, bit for bit (cdist would say "about 5e-7 away": it takes the
  // |a|^2 - 2ab + |b|^2 path, whose rounding depends on the BLAS kernel), and on separated blobs
  // the three come from three blobs.
  at::Tensor same = c.unsqueeze(1).eq(x.unsqueeze(0)).all(2);  // [3, n]
  EXPECT_TRUE(same.any(1).all().item<bool>());
  at::Tensor picked = same.to(torch::kFloat64).argmax(1);
  EXPECT_EQ(std::get<0>(torch::_unique(y.index_select(0, picked))).numel(), 3);
}

TEST(Gmm, KMeansMatchesScikitLearnFromTheSameCentres) {
  auto f = test::sklearn_reference();
  at::Tensor x = h5::read_tensor(f, "/kmeans/x");
  for (bool mixed : {false, true}) {
    KMeansOptions o;
    o.mixed_precision = mixed;
    KMeansResult r = kmeans(mixed ? x.to(torch::kFloat32) : x, h5::read_tensor(f, "/kmeans/init_centres"), o);
    EXPECT_TRUE(r.labels.equal(h5::read_tensor(f, "/kmeans/labels").to(torch::kInt64)));
    EXPECT_LT(max_abs(r.centres, h5::read_tensor(f, "/kmeans/centres")), mixed ? 1e-5 : 1e-10);
    EXPECT_EQ(r.n_iter, h5::attr_int(f, "/kmeans", "n_iter"));
  }
}

TEST(Gmm, StartFromKMeansLabelsAsScikitLearn) {
  // scikit-learn's init_params="kmeans" turns the k-means labels into the first parameters;
  // the reference ran GaussianMixture from exactly those parameters.
  auto f = test::sklearn_reference();
  at::Tensor x = h5::read_tensor(f, "/kmeans/x"), labels = h5::read_tensor(f, "/kmeans/labels");
  for (const char* name : {"full", "diag", "spherical"}) {
    std::string g_path = std::string("/kmeans/") + name;
    GmmOptions o;
    o.n_components = 3;
    o.covariance_type = parse_covariance_type(name);
    GaussianMixture g(o);
    g.fit_from_labels(x, labels);
    EXPECT_NEAR(g.score(x), h5::attr_double(f, g_path, "score"), 1e-6) << name;
    EXPECT_EQ(g.n_iter(), h5::attr_int(f, g_path, "n_iter")) << name;
    EXPECT_LT(max_abs(g.means(), h5::read_tensor(f, g_path + "/means")), 1e-6) << name;
    EXPECT_TRUE(g.predict(x).equal(h5::read_tensor(f, g_path + "/predict").to(torch::kInt64))) << name;
  }
}

TEST(Gmm, TriangularBlocksGiveTheFullProduct) {
  // d = 300: three column blocks (128, 128, 44) in the E-step and in the scatter matrices; the
  // same fit and log-likelihoods as a direct computation from the fitted parameters.
  torch::manual_seed(7);
  at::Tensor gen_centres = torch::randn({3, 300}, torch::kFloat64) * 3;
  at::Tensor y = torch::arange(600, torch::kInt64) % 3;
  at::Tensor x = gen_centres.index_select(0, y) + torch::randn({600, 300}, torch::kFloat64) * (1 + torch::rand({300}, torch::kFloat64));
  GmmOptions o;
  o.n_components = 3;
  GaussianMixture g(o);
  g.fit(x);
  EXPECT_DOUBLE_EQ(ari(y, g.predict(x), 3), 1.0);
  // log N(x | mu_c, S_c) directly: Cholesky of S_c, a triangular solve, the log-determinant.
  at::Tensor direct = torch::empty({600, 3}, torch::kFloat64);
  for (int64_t c = 0; c < 3; ++c) {
    at::Tensor L = torch::linalg_cholesky(g.covariances()[c]);
    at::Tensor z = torch::linalg_solve_triangular(L, (x - g.means()[c]).t(), /*upper=*/false);
    direct.select(1, c).copy_(-0.5 * z.square().sum(0) - L.diagonal().log().sum() -
                              150 * std::log(2 * M_PI) + g.weights()[c].log());
  }
  at::Tensor ours = g.predict_proba(x).log();
  at::Tensor theirs = direct - torch::logsumexp(direct, 1, true);
  EXPECT_LT(max_abs(ours.clamp_min(-50), theirs.clamp_min(-50)), 1e-8);
  EXPECT_NEAR(g.score(x), torch::logsumexp(direct, 1).mean().item<double>(), 1e-9);
  // The covariances are symmetric and match the responsibility-weighted scatter.
  EXPECT_LT(max_abs(g.covariances(), g.covariances().transpose(1, 2)), 1e-12);
}

TEST(Gmm, SkippingNegligibleComponentsChangesNothing) {
  // d = 300 (column blocks 128, 128, 44). Blob 2 lies far from blobs 0 and 1, whose points
  // the E-step settles after a block or two; blobs 0 and 1 overlap, and in the first
  // iterations their points' responsibilities are split (later the components specialise).
  torch::manual_seed(11);
  const int64_t d = 300, n = 3000;
  at::Tensor centres = torch::randn({3, d}, torch::kFloat64) * 2;
  centres[1] = centres[0] + torch::randn({d}, torch::kFloat64) * 0.05;
  centres[2] *= 3;
  at::Tensor y = torch::arange(n, torch::kInt64) % 3;
  at::Tensor x = centres.index_select(0, y) + torch::randn({n, d}, torch::kFloat64) * 1.5;
  at::Tensor w0 = torch::full({3}, 1.0 / 3, torch::kFloat64);
  at::Tensor m0 = centres + 0.1 * torch::randn({3, d}, torch::kFloat64);
  at::Tensor c0 = (torch::eye(d, torch::kFloat64) * 2.25).expand({3, d, d}).contiguous();
  GmmOptions o;
  o.n_components = 3;
  o.max_iter = 2;
  o.skip_negligible = true;
  GaussianMixture skipping(o);
  skipping.fit_from(x, w0, m0, c0);
  o.skip_negligible = false;
  GaussianMixture complete(o);
  complete.fit_from(x, w0, m0, c0);

  EXPECT_EQ(skipping.n_iter(), complete.n_iter());
  at::Tensor p = skipping.predict_proba(x), q = complete.predict_proba(x);
  EXPECT_LT(max_abs(p, q), 1e-9);
  EXPECT_TRUE(torch::equal(skipping.predict(x), complete.predict(x)));
  EXPECT_NEAR(skipping.score(x), complete.score(x), 1e-9 * std::abs(complete.score(x)));
  EXPECT_LT(max_abs(skipping.means(), complete.means()), 1e-9);
  // Both kinds of rows are there: exact zeros, and split responsibilities.
  EXPECT_GT(q.eq(0).sum().item<int64_t>(), n / 2);
  EXPECT_GT((q.gt(1e-6) & q.lt(1 - 1e-6)).sum().item<int64_t>(), 10);
}

TEST(Gmm, BadInputIsAClearError) {
  GmmOptions o;
  o.n_components = 5;
  GaussianMixture g(o);
  EXPECT_THROW(g.fit(torch::randn({3, 2}, torch::kFloat64)), InputError);  // k > N
  at::Tensor x = torch::randn({10, 2}, torch::kFloat64);
  x[3][1] = std::nan("");
  o.n_components = 2;
  GaussianMixture g2(o);
  EXPECT_THROW(g2.fit(x), InputError);
  EXPECT_THROW(parse_covariance_type("tied"), InputError);
  EXPECT_THROW(parse_gmm_init("random"), InputError);
  EXPECT_THROW(g2.fit_from_labels(torch::randn({10, 2}, torch::kFloat64),
                                  torch::full({10}, 7, torch::kInt64)), InputError);
  // Options out of range fail when the model is made, before any work.
  for (double bad : {-1.0, std::nan(""), std::numeric_limits<double>::infinity()}) {
    GmmOptions t = o;
    t.tol = bad;
    EXPECT_THROW(GaussianMixture{t}, InputError) << "tol " << bad;
    GmmOptions r = o;
    r.reg_covar = bad;
    EXPECT_THROW(GaussianMixture{r}, InputError) << "reg_covar " << bad;
  }
}
