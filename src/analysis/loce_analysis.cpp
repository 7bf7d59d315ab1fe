#include "analysis/loce_analysis.h"

#include <torch/torch.h>

#include <cmath>
#include <iomanip>
#include <sstream>

#include "analysis/collectives.h"
#include "analysis/distance_statistics.h"
#include "analysis/pca.h"
#include "analysis/silhouette.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/hdf5.h"
#include "core/json.h"
#include "core/log.h"
#include "core/timer.h"
#include "core/version.h"

namespace loce::analysis {

std::vector<Metric> AnalysisResult::table1() const {
  std::vector<Metric> m;
  for (size_t c = 0; c < concept_names.size(); ++c)
    m.emplace_back("intra_" + concept_names[c], separation.intra[c].item<double>());
  m.emplace_back("inter_mean", separation.inter_mean);
  m.emplace_back("separability_ratio", separation.separability_ratio);
  m.emplace_back("silhouette", silhouette);
  m.emplace_back("homogeneity", scores.homogeneity);
  m.emplace_back("completeness", scores.completeness);
  m.emplace_back("v_measure", scores.v_measure);
  m.emplace_back("ari", scores.ari);
  m.emplace_back("nmi", scores.nmi);
  m.emplace_back("error_rate", scores.error_rate);
  return m;
}

std::vector<Metric> AnalysisResult::all_metrics() const {
  std::vector<Metric> m = table1();
  m.emplace_back("purity", scores.purity);
  m.emplace_back("knn_accuracy", separation.knn_accuracy);
  for (size_t c = 0; c < concept_names.size(); ++c)
    m.emplace_back("one_vs_rest_" + concept_names[c], separation.one_vs_rest[c].item<double>());
  m.emplace_back("gmm_components", double(gmm.options().n_components));
  m.emplace_back("gmm_log_likelihood", log_likelihood);
  m.emplace_back("gmm_bic", bic);
  m.emplace_back("gmm_aic", aic);
  m.emplace_back("gmm_n_iter", double(gmm.n_iter()));
  m.emplace_back("gmm_converged", gmm.converged() ? 1.0 : 0.0);
  m.emplace_back("n_points", double(n_points));
  return m;
}

AnalysisResult analyze_loces(const LoceSet& set, const AnalyzeOptions& o,
                             dist::Communicator* comm, const c10::Device& device) {
  AnalysisResult r;
  r.method = set.method;
  r.source_path = set.path;
  r.layer = set.layer;
  r.concept_names = set.concept_names;
  r.n_points = set.size();
  r.rows = set.rows;
  r.unknown_left_out = set.unknown_left_out;
  r.dims = set.vectors.size(1);
  const int64_t C = set.n_concepts(), n = set.size();
  // Options first, so that a typo fails before minutes of GMM rather than after.
  if (o.k < 0) bad_input("--k must be >= 0 (0: one component per concept), got ", o.k);
  if (o.k_max < 0) bad_input("--k-max must be >= 0, got ", o.k_max);
  if (o.projections) {
    check_umap_options(o.umap);
    if (o.grid_resolution < 2 || o.grid_resolution > kMaxGridResolution)
      bad_input("--grid must lie in 2..", kMaxGridResolution, " cells per axis, got ",
                o.grid_resolution);
    // The 2-D PCA needs 2 channels, and it runs after the GMM and the distance pass.
    if (r.dims < 2)
      bad_input(set.path, ": ", r.dims, " channel(s) per LoCE; the 2-D projections need at least 2 "
                "(use --no-projections)");
  }
  const int64_t k = o.k > 0 ? o.k : C;
  if (o.k_max <= 0 && k > n) bad_input(set.path, ": --k ", k, " is larger than the number of LoCEs (", n, ")");
  if (o.k_max > n) bad_input(set.path, ": --k-max ", o.k_max, " is larger than the number of LoCEs (", n, ")");
  // Like --k: each point has n - 1 other points to be neighbours (and the search holds n x k).
  if (o.knn_k < 1) bad_input("--knn must be >= 1, got ", o.knn_k);
  int64_t knn_k = o.knn_k;
  if (knn_k > n - 1) {
    if (o.knn_k_given)
      bad_input(set.path, ": --knn ", o.knn_k, " is larger than the number of other LoCEs (", n - 1,
                ")");
    knn_k = n - 1;
    log::warn(set.path, ": kNN accuracy over ", knn_k, " neighbours (the default --knn ", o.knn_k,
              " is more than the ", n - 1, " other LoCEs)");
  }
  at::Tensor x = set.vectors.to(device);
  at::Tensor labels = set.concept_index.to(device);
  r.labels = set.concept_index;

  // GMM on this rank's shard.
  Timer t;
  GmmOptions g;
  g.n_components = k;
  g.covariance_type = o.covariance_type;
  g.n_init = o.n_init;
  g.init = o.gmm_init;
  g.max_iter = o.max_iter;
  g.tol = o.tol;
  g.reg_covar = o.reg_covar;
  g.seed = o.seed;
  g.mixed_precision = o.mixed_precision;
  RowRange shard = shard_rows(n, comm);
  at::Tensor x_local = x.narrow(0, shard.begin, shard.size());
  if (o.k_max > 0) r.gmm = select_components_by_bic(x_local, 1, o.k_max, g, comm, &r.bics);
  else {
    r.gmm = GaussianMixture(g, comm);
    r.gmm.fit(x_local);
  }
  const double fit_seconds = t.seconds();
  // Likelihood (for BIC and AIC) and assignments from one E-step: each over 1024-D points costs
  // as much as the E half of an EM iteration.
  auto scored = r.gmm.score_and_predict(x_local);
  r.log_likelihood = scored.mean_log_likelihood;
  const double p = double(r.gmm.n_parameters()), nd = double(n);
  r.bic = -2 * r.log_likelihood * nd + p * std::log(nd);
  r.aic = -2 * r.log_likelihood * nd + 2 * p;
  r.assignment = gather_rows(comm, scored.labels).to(torch::kCPU);
  r.timings.emplace_back("gmm", t.seconds());
  log::debug("GMM: fit ", fit_seconds, " s, final E-step (likelihood, assignments) ",
             t.seconds() - fit_seconds, " s");
  log::info("GMM: ", r.gmm.options().n_components, " components (", to_string(o.covariance_type),
            "), ", r.gmm.n_iter(), " iterations, mean log-likelihood ", r.log_likelihood, " [",
            t.seconds(), " s]");

  // Clustering scores from the contingency table.
  r.contingency = contingency_table(set.concept_index, r.assignment, C, r.gmm.options().n_components);
  r.scores = clustering_scores(r.contingency);

  // The O(N^2) distance pass, then everything that follows from it.
  t.reset();
  DistanceOptions d;
  d.knn_k = knn_k;
  d.mixed_precision = o.mixed_precision;
  DistanceStatistics stats = distance_statistics(x, labels, C, d, comm);
  r.silhouette = silhouette_score(stats, comm);
  r.separation = concept_separation(x, labels, stats, comm);
  r.timings.emplace_back("distances", t.seconds());
  log::info("distances and silhouette: ", t.seconds(), " s");

  if (o.projections && comm_rank(comm) == 0) {
    t.reset();
    r.pca = fit_pca(x, 2).transform(x).to(torch::kCPU, torch::kFloat32);
    r.pca_grid = decision_grid(r.pca, set.concept_index, C, o.grid_resolution, o.seed);
    r.timings.emplace_back("pca", t.seconds());
    t.reset();
    if (n >= 4) {
      UmapOptions u = o.umap;
      u.seed = o.seed == 0 ? u.seed : o.seed;
      r.umap = umap_embed(x, u).to(torch::kCPU, torch::kFloat32);
      r.umap_grid = decision_grid(r.umap, set.concept_index, C, o.grid_resolution, o.seed);
    }
    r.timings.emplace_back("umap", t.seconds());
    log::info("projections: PCA ", r.timings[r.timings.size() - 2].second, " s, UMAP ",
              t.seconds(), " s");
  }
  return r;
}

namespace {

void write_grid(h5::File& f, const std::string& base, const DecisionGrid& g) {
  h5::write_tensor(f, base + "/x", g.x);
  h5::write_tensor(f, base + "/y", g.y);
  h5::write_tensor(f, base + "/component", g.component, true);
  h5::write_tensor(f, base + "/concept", g.concept_index, true);
  h5::write_tensor(f, base + "/weights", g.weights.to(torch::kCPU));
  h5::write_tensor(f, base + "/means", g.means.to(torch::kCPU));
  h5::write_tensor(f, base + "/covariances", g.covariances.to(torch::kCPU));
}

}  // namespace

void write_analysis(const std::string& path, const AnalysisResult& r, const AnalyzeOptions& o) {
  AtomicFile out(path);
  {
    h5::File f = h5::File::create(out.temp_path());
    h5::set_attr(f, "/analysis", "method", r.method);
    h5::set_attr(f, "/analysis", "source", r.source_path);
    h5::set_attr(f, "/analysis", "layer", r.layer);
    h5::set_attr(f, "/analysis", "concepts", r.concept_names);
    h5::set_attr(f, "/analysis", "git_revision", std::string(loce::git_revision()));
    h5::set_attr(f, "/analysis", "covariance_type", to_string(o.covariance_type));
    h5::set_attr(f, "/analysis", "seed", int64_t(o.seed));
    h5::set_attr(f, "/analysis", "mixed_precision", int64_t(o.mixed_precision));
    // Which rows of the LoCE file the points are (LoCEs of unknown concept are left out).
    h5::set_attr(f, "/analysis", "unknown_left_out", r.unknown_left_out);
    if (r.rows.defined()) h5::write_tensor(f, "/analysis/loce_row", r.rows.to(torch::kInt32));

    h5::write_tensor(f, "/analysis/gmm/weights", r.gmm.weights().to(torch::kCPU));
    h5::write_tensor(f, "/analysis/gmm/means", r.gmm.means().to(torch::kCPU));
    h5::write_tensor(f, "/analysis/gmm/covariances", r.gmm.covariances().to(torch::kCPU), true);
    h5::write_tensor(f, "/analysis/gmm/assignment", r.assignment.to(torch::kInt32));
    h5::set_attr(f, "/analysis/gmm", "n_components", r.gmm.options().n_components);
    h5::set_attr(f, "/analysis/gmm", "covariance_type", to_string(o.covariance_type));
    h5::set_attr(f, "/analysis/gmm", "init", to_string(o.gmm_init));
    h5::set_attr(f, "/analysis/gmm", "log_likelihood", r.log_likelihood);
    h5::set_attr(f, "/analysis/gmm", "bic", r.bic);
    h5::set_attr(f, "/analysis/gmm", "aic", r.aic);
    h5::set_attr(f, "/analysis/gmm", "n_iter", int64_t(r.gmm.n_iter()));
    h5::set_attr(f, "/analysis/gmm", "converged", int64_t(r.gmm.converged()));
    if (!r.bics.empty())
      h5::write_tensor(f, "/analysis/gmm/bic_by_k", torch::tensor(r.bics, torch::kFloat64));

    for (const auto& [name, value] : r.all_metrics()) h5::set_attr(f, "/analysis/metrics", name, value);
    h5::write_tensor(f, "/analysis/metrics/contingency", r.contingency);
    h5::write_tensor(f, "/analysis/metrics/intra", r.separation.intra);
    h5::write_tensor(f, "/analysis/metrics/one_vs_rest", r.separation.one_vs_rest);
    h5::write_tensor(f, "/analysis/metrics/overlap", r.separation.overlap);
    h5::write_tensor(f, "/analysis/metrics/centroid_distances", r.separation.centroid_distances);
    h5::write_strings(f, "/analysis/metrics/concepts", r.concept_names);
    for (const auto& [stage, seconds] : r.timings) h5::set_attr(f, "/analysis/timing", stage, seconds);

    h5::write_tensor(f, "/analysis/projection/labels", r.labels.to(torch::kInt32));
    h5::write_strings(f, "/analysis/projection/concepts", r.concept_names);
    if (r.pca.defined()) {
      h5::write_tensor(f, "/analysis/projection/pca", r.pca);
      write_grid(f, "/analysis/decision_grid/pca", r.pca_grid);
    }
    if (r.umap.defined()) {
      h5::write_tensor(f, "/analysis/projection/umap", r.umap);
      write_grid(f, "/analysis/decision_grid/umap", r.umap_grid);
    }
    f.close();
  }
  out.commit();
}

std::string metrics_json(const AnalysisResult& r) {
  std::ostringstream os;
  os << "{\"method\": " << json_string(r.method) << ", \"concepts\": [";
  for (size_t i = 0; i < r.concept_names.size(); ++i)
    os << (i ? ", " : "") << json_string(r.concept_names[i]);
  os << "], \"unknown_left_out\": " << r.unknown_left_out;
  for (const auto& [name, value] : r.all_metrics())
    os << ", " << json_string(name) << ": " << json_number(value);
  os << "}";
  return os.str();
}

std::string metrics_text(const AnalysisResult& r) {
  std::ostringstream os;
  os << "Table 1 (" << (r.method.empty() ? "unnamed method" : r.method) << ", " << r.n_points
     << " LoCEs of " << r.dims << " channels)\n";
  auto row = [&](const Metric& m) {
    os << "  " << std::left << std::setw(26) << m.first << std::right << std::fixed
       << std::setprecision(4) << m.second << "\n";
  };
  for (const auto& m : r.table1()) row(m);
  os << "Supplementary\n";
  auto all = r.all_metrics();
  for (size_t i = r.table1().size(); i < all.size(); ++i) row(all[i]);
  return os.str();
}

}  // namespace loce::analysis
