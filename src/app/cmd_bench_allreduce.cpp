// loce bench allreduce: bus bandwidth of the all-reduce from 1 KB to 256 MB for each backend
// (the table and formula of nccl-tests), then the share of the gradient all-reduce that
// DataParallel hides behind backward in a training step. Run it under mpirun/srun.
#include <cstdio>

#include "app/command.h"
#include "core/error.h"
#include "core/log.h"
#include "dist/benchmark.h"

namespace loce::app {
namespace {

struct BenchAllReduceOptions {
  int64_t min_bytes = 1024, max_bytes = int64_t(256) << 20, factor = 4;
  int iterations = 0, warmup = 3;
  double seconds_per_size = 0.3;
  std::string dtype = "float32";
  std::vector<std::string> backends;  // empty: mpi, and nccl on a GPU
  bool overlap = true;
  dist::OverlapCase overlap_case;
  int drill_fail_rank = -1;
};

c10::ScalarType parse_dtype(const std::string& s) {
  if (s == "float32") return c10::kFloat;
  if (s == "float64") return c10::kDouble;
  if (s == "bfloat16") return c10::kBFloat16;
  if (s == "float16") return c10::kHalf;
  bad_input("bench allreduce --dtype '", s, "': use float32, float64, bfloat16 or float16");
}

void print_table(const std::string& backend, int ranks, const std::string& dtype,
                 const std::vector<dist::AllReduceRow>& rows) {
  std::printf("\n# all-reduce (sum, %s, in place), backend %s, %d rank(s)\n", dtype.c_str(),
              backend.c_str(), ranks);
  std::printf("# time: mean per call of the slowest rank; algbw = size / time;\n"
              "# busbw = algbw * 2 (n - 1) / n, n = %d (nccl-tests: the traffic each rank's link "
              "carries in a ring)\n", ranks);
  if (backend == "self")
    std::printf("# a world of one without NCCL: the collective does nothing, these rows only time "
                "the call; run under mpirun -np N (or srun) for MPI figures\n");
  else if (ranks == 1)
    std::printf("# a world of one: no link is used, busbw is 0 by definition; algbw is the speed of "
                "the collective's local pass over the buffer, not a network figure\n");
  std::printf("%12s %12s %7s %12s %12s %12s\n", "size", "count", "iters", "time (us)",
              "algbw (GB/s)", "busbw (GB/s)");
  for (const auto& r : rows)
    std::printf("%12s %12lld %7d %12.1f %12.3f %12.3f\n", dist::format_bytes(r.bytes).c_str(),
                (long long)r.count, r.iterations, r.seconds * 1e6, r.algbw, r.busbw);
  std::fflush(stdout);
}

RunFn setup_bench_allreduce(CLI::App& cli) {
  auto o = std::make_shared<BenchAllReduceOptions>();
  auto& bench = subcommand_group(cli, "bench", "Benchmarks");
  auto* sub = bench.add_subcommand(
      "allreduce", "All-reduce bus bandwidth per backend and the overlap of gradient all-reduce "
                   "with backward (run under mpirun/srun)");
  sub->add_option("--min-bytes", o->min_bytes, "Smallest message")->capture_default_str()
      ->check(at_least_one());
  sub->add_option("--max-bytes", o->max_bytes, "Largest message")->capture_default_str()
      ->check(at_least_one());
  sub->add_option("--factor", o->factor, "Size multiplier between rows")->capture_default_str()
      ->check(at_least(2));
  sub->add_option("--iters", o->iterations, "Timed calls per size (0: about --seconds each)")
      ->capture_default_str()->check(at_least(0));
  sub->add_option("--warmup", o->warmup, "Untimed calls per size")->capture_default_str()
      ->check(at_least(0));
  sub->add_option("--seconds", o->seconds_per_size, "Timed seconds per size when --iters is 0")
      ->capture_default_str()->check(finite_in(1e-3, 3600));
  sub->add_option("--dtype", o->dtype, "float32 | float64 | bfloat16 | float16")
      ->capture_default_str();
  sub->add_option("--backends", o->backends,
                  "mpi and/or nccl (default: mpi, plus nccl when the device is a GPU)");
  sub->add_option("--overlap", o->overlap, "Also measure the overlap in a training step")
      ->capture_default_str();
  sub->add_option("--overlap-channels", o->overlap_case.channels, "Conv stack width")
      ->capture_default_str()
      ->check(at_least_one());
  sub->add_option("--overlap-layers", o->overlap_case.layers, "Conv stack depth")
      ->capture_default_str()
      ->check(at_least_one());
  sub->add_option("--overlap-batch", o->overlap_case.batch, "Per-rank batch")
      ->capture_default_str()
      ->check(at_least_one());
  sub->add_option("--overlap-size", o->overlap_case.height, "Input height = width")
      ->capture_default_str()
      ->check(at_least_one());
  sub->add_option("--drill-fail-rank", o->drill_fail_rank,
                  "Testing: this rank throws after the first size (the job must die at once)")
      ->group("");
  return [o](const Context& ctx) {
    auto dtype = parse_dtype(o->dtype);
    std::vector<std::string> backends = o->backends;
    if (backends.empty()) {
      backends.push_back("mpi");
      if (ctx.device.is_cuda()) backends.push_back("nccl");
    }
    // Every backend checked before the first one is timed.
    for (const auto& b : backends) {
      if (b != "mpi" && b != "nccl") bad_input("bench allreduce --backends: unknown '", b, "'");
      if (b == "nccl" && !ctx.device.is_cuda())
        bad_input("bench allreduce --backends nccl needs --device cuda");
    }
    for (const auto& b : backends) {
      c10::Device device = b == "mpi" ? c10::Device(c10::kCPU) : ctx.device;
      // NCCL itself even in a world of one (a copy on one GPU, reported as such), where the
      // program's own collectives would skip it.
      auto comm = b == "mpi" ? dist::cpu_communicator() : dist::make_nccl_communicator(device);
      int64_t max_bytes = o->max_bytes;
      if (o->drill_fail_rank >= 0) max_bytes = o->min_bytes * o->factor;
      auto rows = dist::bench_all_reduce(*comm, device, dtype, o->min_bytes, max_bytes,
                                         o->factor, o->iterations, o->warmup,
                                         o->seconds_per_size);
      if (ctx.world.rank == o->drill_fail_rank)
        fail("bench allreduce: injected failure on rank ", ctx.world.rank, " (--drill-fail-rank)");
      if (ctx.world.rank == 0) print_table(comm->backend(), comm->size(), o->dtype, rows);
      if (!o->overlap) continue;
      o->overlap_case.width = o->overlap_case.height;
      auto r = dist::bench_overlap(comm, device, o->overlap_case);
      if (ctx.world.rank == 0) {
        std::printf("\n# overlap of gradient all-reduce with backward, backend %s, %d rank(s): "
                    "conv stack %lld x %lld ch, batch %lld at %lldx%lld, %s of gradients in %d "
                    "bucket(s)\n",
                    comm->backend().c_str(), comm->size(), (long long)o->overlap_case.layers,
                    (long long)o->overlap_case.channels, (long long)o->overlap_case.batch,
                    (long long)o->overlap_case.height, (long long)o->overlap_case.width,
                    dist::format_bytes(r.parameter_bytes).c_str(), r.buckets);
        std::printf("%-44s %10.2f ms\n", "backward alone", r.backward * 1e3);
        std::printf("%-44s %10.2f ms\n", "backward, then all-reduce (no overlap)",
                    r.backward_then_reduce * 1e3);
        std::printf("%-44s %10.2f ms\n", "backward with bucketed all-reduce (overlap)",
                    r.backward_overlapped * 1e3);
        std::printf("overlap achieved: %.0f%% of the all-reduce time hidden "
                    "(1 - (overlapped - backward) / (no-overlap - backward))\n",
                    100 * r.overlap());
        std::fflush(stdout);
      }
    }
    return 0;
  };
}

const CommandRegistration register_bench_allreduce("bench allreduce", setup_bench_allreduce);

}  // namespace
}  // namespace loce::app
