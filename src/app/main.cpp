// loce: distributed experiment runner for Local Concept Embeddings of self-supervised encoders.
// main only wires the CLI, brings up the world and hands over to the chosen subcommand.
#include <torch/torch.h>

#include <algorithm>
#include <exception>
#include <set>
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

std::set<CLI::App*> all_subcommands(CLI::App& app) {
  std::set<CLI::App*> out;
  for (CLI::App* sub : app.get_subcommands({})) {
    out.insert(sub);
    auto nested = all_subcommands(*sub);
    out.insert(nested.begin(), nested.end());
  }
  return out;
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

  // Subcommands in pipeline order for --help (registration order across files is unspecified).
  static const std::vector<std::string> order = {
      "run", "synth", "prepare", "stats", "pretrain", "finetune", "evaluate", "embed",
      "analyze", "report", "inspect", "bench"};
  auto rank_of = [&](const std::string& name) {
    return std::find(order.begin(), order.end(), name) - order.begin();
  };
  auto registered = app::registered_commands();
  std::stable_sort(registered.begin(), registered.end(),
                   [&](const auto& a, const auto& b) { return rank_of(a.name) < rank_of(b.name); });
  std::vector<std::pair<CLI::App*, app::RunFn>> commands;
  for (auto& reg : registered) {
    // The command's own CLI::App is the leaf that its setup added (it may also have created a
    // group parent such as `bench`).
    auto before = all_subcommands(cli);
    app::RunFn run = reg.setup(cli);
    for (CLI::App* sub : all_subcommands(cli))
      if (!before.count(sub) && sub->get_subcommands({}).empty())
        commands.emplace_back(sub, run);
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
  } catch (const CollectiveInputError& e) {
    if (ctx.world.rank == 0) log::error(e.what());
    dist::finalize_world();
    return 1;
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
