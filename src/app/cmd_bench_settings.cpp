// loce bench settings: the CPU settings this process runs with (core/cpu_tuning.h), as KEY=VALUE
// lines, so that benchmark scripts can give the programs they compare against the same ones.
#include <cstdio>
#include <cstdlib>

#include "app/command.h"
#include "core/cpu_tuning.h"

namespace loce::app {
namespace {

RunFn setup_bench_settings(CLI::App& cli) {
  auto& bench = subcommand_group(cli, "bench", "Benchmarks");
  bench.add_subcommand("settings",
                       "Print the CPU settings loce runs with (OpenBLAS kernel and threads, "
                       "malloc), as KEY=VALUE lines for other programs");
  return [](const Context& ctx) {
    if (ctx.world.rank != 0) return 0;
    // After the start-up restart these are the values in force, whether loce or the user set them.
    for (const char* key : kTunedVariables)
      if (const char* value = std::getenv(key)) std::printf("%s=%s\n", key, value);
    return 0;
  };
}

const CommandRegistration register_bench_settings("bench", setup_bench_settings);

}  // namespace
}  // namespace loce::app
