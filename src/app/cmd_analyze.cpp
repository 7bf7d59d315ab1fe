// loce analyze: GMM, Table 1 metrics, projections and decision regions of one LoCE file.
#include <cstdio>

#include "analysis/loce_analysis.h"
#include "app/command.h"
#include "core/error.h"
#include "dist/world.h"
#include "loce/loce_file.h"

namespace loce::app {
namespace {

struct AnalyzeCli {
  std::string in, out, covariance = "full", gmm_init = "kmeans";
  bool json = false, no_projections = false;
  analysis::AnalyzeOptions o;
};

const CommandRegistration register_analyze("analyze", [](CLI::App& cli) -> RunFn {
  auto c = std::make_shared<AnalyzeCli>();
  auto* sub = cli.add_subcommand("analyze", "GMM and Table 1 metrics of a LoCE file; writes a results file");
  sub->add_option("--in", c->in, "LoCE file (HDF5, /loce/vectors ...)")->required();
  sub->add_option("--out", c->out, "Results file to write (HDF5)")->required();
  sub->add_flag("--json", c->json, "Print the metrics as one JSON object on stdout");
  sub->add_option("--k", c->o.k, "GMM components (0: one per concept)")->capture_default_str();
  sub->add_option("--k-max", c->o.k_max, "Choose k in 1..K-MAX by the lowest BIC instead of --k");
  sub->add_option("--covariance", c->covariance, "full | diag | spherical")
      ->check(CLI::IsMember({"full", "diag", "spherical"}))->capture_default_str();
  sub->add_option("--n-init", c->o.n_init, "GMM restarts (best likelihood kept)")->capture_default_str()
      ->check(at_least_one());
  sub->add_option("--gmm-init", c->gmm_init,
                  "kmeans (k-means++ seeds refined by k-means, scikit-learn's default) | k-means++")
      ->check(CLI::IsMember({"kmeans", "k-means++"}))->capture_default_str();
  sub->add_option("--max-iter", c->o.max_iter, "EM iterations at most")->capture_default_str()
      ->check(at_least_one());
  sub->add_option("--tol", c->o.tol, "EM tolerance on the mean log-likelihood")->capture_default_str();
  sub->add_option("--reg-covar", c->o.reg_covar, "Added to covariance diagonals")->capture_default_str();
  sub->add_flag("--mixed-precision", c->o.mixed_precision,
                "float32 products with float64 sums (faster; ~1e-6 relative)");
  auto* knn = sub->add_option("--knn", c->o.knn_k, "k of the kNN concept accuracy (at most the LoCEs - 1)")
      ->capture_default_str()
      ->check(at_least_one());
  sub->add_flag("--no-projections", c->no_projections, "Skip PCA, UMAP and the decision grids");
  sub->add_option("--grid", c->o.grid_resolution, "Decision grid cells per axis (2..2000)")
      ->capture_default_str()
      ->check(at_least(2));
  sub->add_option("--umap-neighbors", c->o.umap.n_neighbors, "UMAP n_neighbors")->capture_default_str();
  sub->add_option("--umap-min-dist", c->o.umap.min_dist, "UMAP min_dist")->capture_default_str();
  sub->add_option("--umap-epochs", c->o.umap.n_epochs, "UMAP epochs (0: umap-learn's default)");
  sub->add_option("--umap-init", c->o.umap.init, "spectral | pca")
      ->check(CLI::IsMember({"spectral", "pca"}))->capture_default_str();
  return [c, knn](const Context& ctx) {
    analysis::AnalyzeOptions o = c->o;
    o.knn_k_given = knn->count() > 0;
    o.covariance_type = analysis::parse_covariance_type(c->covariance);
    o.gmm_init = analysis::parse_gmm_init(c->gmm_init);
    o.projections = !c->no_projections;
    o.seed = ctx.global.seed;
    // The results file is written only at the end: an unusable --out (empty, a folder, the
    // input itself, an unwritable folder) is refused before minutes of GMM and UMAP.
    embedding::check_output_path(c->out, *dist::cpu_communicator(), c->in, "results file");
    auto comm = dist::make_communicator(ctx.device);
    analysis::LoceSet set = analysis::read_loce_set(c->in);
    analysis::AnalysisResult r = analysis::analyze_loces(set, o, comm.get(), ctx.device);
    if (ctx.world.rank == 0) {
      analysis::write_analysis(c->out, r, o);
      std::string text = c->json ? analysis::metrics_json(r) + "\n" : analysis::metrics_text(r);
      std::fputs(text.c_str(), stdout);
      std::fflush(stdout);
    }
    return 0;
  };
});

}  // namespace
}  // namespace loce::app
