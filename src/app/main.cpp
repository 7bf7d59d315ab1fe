// loce: distributed experiment runner for Local Concept Embeddings of self-supervised encoders.
// main only wires the CLI, brings up the world and hands over to the chosen subcommand.
#include <torch/torch.h>

#include <algorithm>
#include <exception>
#include <thread>

#include "app/command.h"
#include "core/log.h"
#include "core/seed.h"

using namespace loce;

namespace {

int default_threads(const dist::WorldInfo& w) {
  int cores = int(std::thread::hardware_concurrency());
  return std::max(1, cores / std::max(1, w.local_size));
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"loce: self-supervised pretraining, fine-tuning, Local Concept Embeddings and "
               "their analysis, on one process or many (mpirun / srun)"};
  cli.require_subcommand(1);
  app::GlobalOptions g;
  cli.set_config("--config", "", "TOML config file; command-line flags override it");
  cli.allow_config_extras(false);  // an unknown key in the config file is an error
  cli.add_option("--seed", g.seed, "Base seed (each rank derives its own streams)");
  cli.add_option("--threads", g.threads, "Intra-op threads per rank (0: cores / ranks per node)");
  cli.add_option("--device", g.device, "cpu | cuda | auto")
      ->check(CLI::IsMember({"cpu", "cuda", "auto"}));
  cli.add_option("--log-level", g.log_level, "debug | info | warn | error | quiet")
      ->check(CLI::IsMember({"debug", "info", "warn", "warning", "error", "quiet"}));
  cli.add_flag_callback("--version", [] {
    std::printf("loce %s (git %s, LibTorch %s)\n", LOCE_VERSION, LOCE_GIT_REVISION,
                TORCH_VERSION);
    throw CLI::Success();
  }, "Print the version and exit");

  std::vector<std::pair<CLI::App*, app::RunFn>> commands;
  for (auto& reg : app::registered_commands()) {
    size_t before = cli.get_subcommands({}).size();
    app::RunFn run = reg.setup(cli);
    auto subs = cli.get_subcommands({});
    if (subs.size() > before) commands.emplace_back(subs.back(), std::move(run));
  }

  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return cli.exit(e);
  }

  app::Context ctx;
  ctx.global = g;
  try {
    log::set_level(log::parse_level(g.log_level));
    ctx.world = dist::init_world(&argc, &argv);
    ctx.device = dist::resolve_device(g.device, ctx.world);
    int threads = g.threads > 0 ? g.threads : default_threads(ctx.world);
    torch::set_num_threads(threads);
    seed_globals(g.seed, ctx.world.rank);
    for (auto& [sub, run] : commands) {
      if (!sub->parsed()) continue;
      log::debug("running '", sub->get_name(), "' on ", ctx.world.size, " rank(s), device ",
                 ctx.device.str(), ", ", threads, " thread(s)");
      int rc = run(ctx);
      dist::finalize_world();
      return rc;
    }
  } catch (const std::exception& e) {
    log::error(e.what());
    // Under MPI a rank that stops alone would leave the others hanging in a collective.
    if (dist::world().size > 1) dist::abort_world(1);
    dist::finalize_world();
    return 1;
  }
  dist::finalize_world();
  return 0;
}
