// loce bench analysis: GMM (one full-covariance component per concept) and every metric on
// LoCE-like vectors, timed per stage. tools/bench/bench_analysis.py runs it beside
// scikit-learn on the same vectors.
#include <unistd.h>

#include <cstdio>

#include "analysis/loce_analysis.h"
#include "analysis/synthetic_loces.h"
#include "app/command.h"
#include "core/log.h"
#include "core/timer.h"
#include "dist/object_io.h"

namespace loce::app {
namespace {

struct BenchCli {
  int64_t n = 20000, dim = 1024, concepts = 5;
  double separation = 3.0;
  std::string in, save, covariance = "full";
  bool mixed = false, json = false, projections = false;
};

const CommandRegistration register_bench_analysis("bench", [](CLI::App& cli) -> RunFn {
  auto c = std::make_shared<BenchCli>();
  auto& bench = subcommand_group(cli, "bench", "Benchmarks");
  auto* sub = bench.add_subcommand("analysis", "Time the GMM and all analysis metrics");
  sub->add_option("--n", c->n, "LoCEs to generate")->capture_default_str()->check(at_least_one());
  sub->add_option("--dim", c->dim, "Channels per LoCE")->capture_default_str()->check(at_least_one());
  sub->add_option("--concepts", c->concepts, "Concepts (= GMM components)")->capture_default_str()
      ->check(at_least_one());
  sub->add_option("--separation", c->separation,
                  "Distance of concept centres relative to their spread (3: silhouette ~0.5)")
      ->capture_default_str()
      ->check(finite_in(0, 1e6));
  sub->add_option("--in", c->in, "Use this LoCE file instead of generated vectors");
  sub->add_option("--save", c->save, "Write the generated vectors as a LoCE file first");
  sub->add_option("--covariance", c->covariance, "full | diag | spherical")->capture_default_str();
  sub->add_flag("--mixed-precision", c->mixed, "float32 products, float64 sums");
  sub->add_flag("--projections", c->projections, "Also time PCA, UMAP and the decision grids");
  sub->add_flag("--json", c->json, "One JSON object on stdout");
  return [c](const Context& ctx) {
    analysis::AnalyzeOptions o;
    o.covariance_type = analysis::parse_covariance_type(c->covariance);  // before any work
    analysis::LoceSet set;
    if (c->in.empty()) {
      auto s = analysis::make_synthetic_loces(c->n, c->dim, c->concepts, ctx.global.seed,
                                                c->separation);
      auto comm = dist::cpu_communicator();
      // One file for all ranks: rank 0's name (each rank's own pid would name a file only
      // rank 0 writes).
      std::string path = c->save;
      if (path.empty()) path = "/tmp/loce_bench_analysis_" + std::to_string(::getpid()) + ".h5";
      dist::broadcast_object(*comm, path);
      if (ctx.world.rank == 0) analysis::write_loce_set(path, s.vectors, s.train_ids, s.concept_names, "bench");
      comm->barrier();
      set = analysis::read_loce_set(path);
      comm->barrier();  // every rank has read it
      if (c->save.empty() && ctx.world.rank == 0) std::remove(path.c_str());
    } else {
      set = analysis::read_loce_set(c->in);
    }
    o.mixed_precision = c->mixed;
    o.projections = c->projections;
    o.seed = ctx.global.seed;
    auto comm = dist::make_communicator(ctx.device);
    Timer t;
    analysis::AnalysisResult r = analysis::analyze_loces(set, o, comm.get(), ctx.device);
    double total = t.seconds();
    if (ctx.world.rank == 0) {
      if (c->json) {
        std::printf("{\"n\": %lld, \"dim\": %lld, \"ranks\": %d, \"device\": \"%s\", \"mixed_precision\": %s",
                    (long long)set.size(), (long long)set.vectors.size(1), ctx.world.size,
                    ctx.device.str().c_str(), c->mixed ? "true" : "false");
        for (const auto& [stage, s] : r.timings) std::printf(", \"%s_s\": %.4f", stage.c_str(), s);
        std::printf(", \"total_s\": %.4f, \"gmm_n_iter\": %d, \"gmm_log_likelihood\": %.8g, \"silhouette\": %.8g, \"ari\": %.8g}\n",
                    total, r.gmm.n_iter(), r.log_likelihood, r.silhouette, r.scores.ari);
      } else {
        std::printf("bench analysis: %lld LoCEs x %lld, %d rank(s), %s%s\n", (long long)set.size(),
                    (long long)set.vectors.size(1), ctx.world.size, ctx.device.str().c_str(),
                    c->mixed ? ", mixed precision" : "");
        for (const auto& [stage, s] : r.timings) std::printf("  %-10s %9.3f s\n", stage.c_str(), s);
        std::printf("  %-10s %9.3f s  (GMM %d iterations)\n", "total", total, r.gmm.n_iter());
      }
    }
    return 0;
  };
});

}  // namespace
}  // namespace loce::app
