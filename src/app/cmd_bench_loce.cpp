// loce bench loce: LoCEs per second of both modes at the paper's deepest-layer shape
// (C 1024, 8x16 for 128x256 input) and at full resolution (C 1024, 64x128), with one
// activation row per pair (as the reference harness) and with five concepts sharing each
// image's activations (as `loce embed` over a split). tools/bench/bench_loce.sh puts the
// reference harness's figure beside these on the same machine.
#include <cstdio>

#include "app/command.h"
#include "core/error.h"
#include "loce/benchmark.h"

namespace loce::app {
namespace {

struct BenchLoceOptions {
  int64_t deep_pairs = 0, full_pairs = 0;  // 0: a size that suits the device
  std::vector<std::string> modes = {"reference", "native"};
  std::vector<std::string> shapes = {"deep", "full"};
  std::vector<int64_t> sharing = {1, 5};
  int64_t mask_scale = 1;
  double memory_budget_mib = 4096;
};

RunFn setup_bench_loce(CLI::App& cli) {
  auto o = std::make_shared<BenchLoceOptions>();
  auto& bench = subcommand_group(cli, "bench", "Benchmarks");
  auto* sub = bench.add_subcommand("loce", "LoCEs per second of the LoCE engine");
  sub->add_option("--modes", o->modes, "reference and/or native")->capture_default_str();
  sub->add_option("--shapes", o->shapes, "deep (C 1024, 8x16) and/or full (C 1024, 64x128)")
      ->capture_default_str();
  sub->add_option("--sharing", o->sharing,
                  "concepts per activation row: 1 = own activations per pair, 5 = per image")
      ->capture_default_str()
      ->check(at_least_one());
  sub->add_option("--deep-pairs", o->deep_pairs, "pairs at the deep shape (0: by device)")
      ->check(at_least(0));
  sub->add_option("--full-pairs", o->full_pairs, "pairs at the full shape (0: by device)")
      ->check(at_least(0));
  sub->add_option("--mask-scale", o->mask_scale,
                  "masks at this multiple of the activation resolution (16: image resolution)")
      ->capture_default_str()
      ->check(at_least_one());
  sub->add_option("--memory-budget", o->memory_budget_mib, "MiB per optimisation chunk")
      ->capture_default_str()
      ->check(finite_in(1, 1 << 30));
  return [o](const Context& ctx) {
    const bool cuda = ctx.device.is_cuda();
    std::vector<embedding::BenchCase> cases;
    for (const std::string& shape : o->shapes) {
      embedding::BenchCase c;
      if (shape == "deep") {
        c.act_h = 8, c.act_w = 16;
        c.pairs = o->deep_pairs > 0 ? o->deep_pairs : (cuda ? 20000 : 500);
      } else if (shape == "full") {
        c.act_h = 64, c.act_w = 128;
        c.pairs = o->full_pairs > 0 ? o->full_pairs : (cuda ? 2000 : 20);
      } else {
        bad_input("bench loce: unknown shape '", shape, "' (deep, full)");
      }
      c.mask_h = c.act_h * o->mask_scale;
      c.mask_w = c.act_w * o->mask_scale;
      for (int64_t k : o->sharing) {
        embedding::BenchCase ck = c;
        ck.concepts_per_row = k;
        ck.pairs = (c.pairs + k - 1) / k * k;
        ck.name = cat(shape, " C", c.channels, " ", c.act_h, "x", c.act_w, " masks ", c.mask_h,
                      "x", c.mask_w, " K", k);
        cases.push_back(ck);
      }
    }
    for (const std::string& mode : o->modes) embedding::parse_mode(mode);  // all, before any work
    if (cuda) {  // first-use costs (context, kernels, cuBLAS handles) out of the figures
      embedding::BenchCase warm;
      warm.pairs = 64;
      embedding::OptimizerSettings s;
      s.iterations = 2;
      embedding::run_bench_case(warm, s, ctx.device, ctx.global.seed);
    }
    std::printf("%-44s %-9s %7s %9s %10s\n", "case", "mode", "LoCEs", "seconds", "LoCEs/s");
    for (const auto& c : cases) {
      for (const std::string& mode : o->modes) {
        embedding::OptimizerSettings s;
        s.mode = embedding::parse_mode(mode);
        s.memory_budget_bytes = int64_t(o->memory_budget_mib * 1024 * 1024);
        auto r = embedding::run_bench_case(c, s, ctx.device, ctx.global.seed);
        std::printf("%-44s %-9s %7lld %9.3f %10.2f\n", c.name.c_str(), mode.c_str(),
                    (long long)r.loces, r.seconds, r.loces_per_second());
        std::printf("RESULT device=%s case=\"%s\" mode=%s loces=%lld seconds=%.4f loces_per_s=%.3f\n",
                    ctx.device.str().c_str(), c.name.c_str(), mode.c_str(), (long long)r.loces,
                    r.seconds, r.loces_per_second());
        std::fflush(stdout);
      }
    }
    return 0;
  };
}

const CommandRegistration register_bench_loce("bench", setup_bench_loce);

}  // namespace
}  // namespace loce::app
