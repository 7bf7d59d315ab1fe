// PCA against scikit-learn; UMAP and the decision grid on separated clusters.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <functional>
#include <limits>

#include "analysis/clustering_scores.h"
#include "analysis/decision_grid.h"
#include "analysis/pca.h"
#include "analysis/synthetic_loces.h"
#include "analysis/umap.h"
#include "core/error.h"
#include "reference_data.h"

using namespace loce;
using namespace loce::analysis;

TEST(Projection, PcaMatchesScikitLearn) {
  auto f = test::sklearn_reference();
  at::Tensor x = h5::read_tensor(f, "/pca/x");
  Pca p = fit_pca(x, 2);
  double err = (p.transform(x) - h5::read_tensor(f, "/pca/projection")).abs().max().item<double>();
  EXPECT_LT(err, 1e-6);
  double ev = (p.explained_variance - h5::read_tensor(f, "/pca/explained_variance")).abs().max().item<double>();
  EXPECT_LT(ev, 1e-6);
}

TEST(Projection, UmapOptionsOutOfRangeAreErrorsNamingTheOption) {
  const at::Tensor x = torch::randn({20, 4}, torch::kFloat64);
  const std::vector<std::pair<std::string, std::function<void(UmapOptions&)>>> cases = {
      {"n_neighbors", [](UmapOptions& o) { o.n_neighbors = 1; }},
      {"min_dist", [](UmapOptions& o) { o.min_dist = -0.1; }},
      {"min_dist", [](UmapOptions& o) { o.min_dist = std::nan(""); }},
      {"min_dist", [](UmapOptions& o) { o.min_dist = 1.5; }},  // above spread
      {"spread", [](UmapOptions& o) { o.spread = 0; }},
      {"n_epochs", [](UmapOptions& o) { o.n_epochs = -1; }},
      {"learning_rate", [](UmapOptions& o) { o.learning_rate = std::numeric_limits<double>::infinity(); }},
      {"init", [](UmapOptions& o) { o.init = "random"; }},
  };
  for (const auto& [name, spoil] : cases) {
    UmapOptions o;
    spoil(o);
    try {
      umap_embed(x, o);
      ADD_FAILURE() << name << " out of range was accepted";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
    }
  }
  UmapOptions ok;
  ok.n_epochs = 5;
  EXPECT_NO_THROW(check_umap_options(ok));
}

TEST(Projection, UmapCurveParametersMatchUmapLearn) {
  // umap-learn's find_ab_params(1.0, 0.1) = (1.5769434603113077, 0.8950608779109733).
  auto [a, b] = umap_curve_parameters(0.1, 1.0);
  EXPECT_NEAR(a, 1.5769434603113077, 2e-3);
  EXPECT_NEAR(b, 0.8950608779109733, 2e-3);
}

namespace {
// Fraction of points whose 5 nearest neighbours in the embedding share their label.
double neighbourhood_purity(const at::Tensor& emb, const at::Tensor& labels) {
  at::Tensor d = torch::cdist(emb.to(torch::kFloat64), emb.to(torch::kFloat64));
  d.fill_diagonal_(1e300);
  at::Tensor nn = std::get<1>(d.topk(5, 1, false));
  return labels.index_select(0, nn.flatten()).view(nn.sizes()).eq(labels.unsqueeze(1))
      .to(torch::kFloat64).mean().item<double>();
}
}  // namespace

TEST(Projection, UmapKeepsSeparatedConceptsApartAndIsSeeded) {
  SyntheticLoces s = make_synthetic_loces(300, 32, 3, 5, 3.0);
  at::Tensor labels = s.train_ids.to(torch::kInt64);
  UmapOptions o;
  o.n_epochs = 100;
  at::Tensor a = umap_embed(s.vectors, o);
  ASSERT_EQ(a.sizes(), (std::vector<int64_t>{300, 2}));
  EXPECT_TRUE(torch::isfinite(a).all().item<bool>());
  EXPECT_GT(neighbourhood_purity(a, labels), 0.95);
  EXPECT_TRUE(a.equal(umap_embed(s.vectors, o)));  // same seed, same embedding
  o.init = "pca";
  at::Tensor b = umap_embed(s.vectors, o);
  EXPECT_GT(neighbourhood_purity(b, labels), 0.95);
}

TEST(Projection, DecisionGridRegionsFollowTheConcepts) {
  // Three 2-D blobs: the grid cell at each blob's centre belongs to that blob's concept.
  at::Generator gen = at::detail::createCPUGenerator(3);
  at::Tensor centres = torch::tensor({{0.0, 0.0}, {10.0, 0.0}, {0.0, 10.0}}, torch::kFloat64);
  at::Tensor labels = torch::arange(3, torch::kInt64).repeat_interleave(50);
  at::Tensor pts = centres.index_select(0, labels) + torch::randn({150, 2}, gen, torch::kFloat64);
  DecisionGrid g = decision_grid(pts, labels, 3, 64, 0);
  ASSERT_EQ(g.concept_index.sizes(), (std::vector<int64_t>{64, 64}));
  for (int c = 0; c < 3; ++c) {
    int64_t ix = (g.x - centres[c][0]).abs().argmin().item<int64_t>();
    int64_t iy = (g.y - centres[c][1]).abs().argmin().item<int64_t>();
    EXPECT_EQ(g.concept_index[iy][ix].item<int>(), c);
  }
}

// Far apart concepts give a kNN graph in several pieces, whose spectral layout is arbitrary
// (whole concepts started on one point): the spectral initialisation then falls back to PCA,
// and with the same seed gives exactly the PCA-initialised embedding. A connected graph keeps
// the spectral one.
TEST(Projection, UmapSpectralInitialisationFallsBackToPcaOnADisconnectedGraph) {
  at::Generator gen = at::detail::createCPUGenerator(7);
  const int64_t per_concept = 40, concepts = 3;
  at::Tensor labels = torch::arange(concepts, torch::kInt64).repeat_interleave(per_concept);
  at::Tensor centres = torch::randn({concepts, 8}, gen, torch::kFloat64) * 1000;
  at::Tensor noise = torch::randn({concepts * per_concept, 8}, gen, torch::kFloat64);
  UmapOptions spectral, pca;
  spectral.n_epochs = pca.n_epochs = 200;  // prunes few edges (below 1/200 of the largest weight)
  pca.init = "pca";
  at::Tensor apart = centres.index_select(0, labels) + noise;
  EXPECT_TRUE(umap_embed(apart, spectral).equal(umap_embed(apart, pca)));
  EXPECT_FALSE(umap_embed(noise, spectral).equal(umap_embed(noise, pca)));  // one blob
}
