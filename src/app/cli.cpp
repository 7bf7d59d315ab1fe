#include "app/cli.h"

#include <sched.h>
#include <torch/torch.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <thread>

#include "core/error.h"
#include "core/log.h"
#include "core/seed.h"
#include "core/version.h"

namespace loce::app {
namespace {

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

Cli::Cli()
    : app_(std::make_unique<CLI::App>(
          "loce: self-supervised pretraining, fine-tuning, Local Concept Embeddings and their "
          "analysis, on one process or many (mpirun / srun)")) {
  CLI::App& cli = *app_;
  cli.require_subcommand(1);
  // Subcommands (created below, inheriting this) hand options they do not know to the parent,
  // so global options such as --config may come after the subcommand too.
  cli.fallthrough();
  GlobalOptions& g = global_;
  cli.set_config("--config", "", "TOML config file; command-line flags override it");
  cli.allow_config_extras(false);  // an unknown key in the config file is an error
  cli.add_option("--seed", g.seed, "Base seed (each rank derives its own streams)")
      ->capture_default_str()
      ->check(seed_value());
  cli.add_option("--threads", g.threads, "Intra-op threads per rank (0: cores / ranks per node, within the CPUs this rank may use)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1024));
  cli.add_option("--device", g.device, "cpu | cuda | auto")
      ->capture_default_str()
      ->check(CLI::IsMember({"cpu", "cuda", "auto"}));
  cli.add_option("--log-level", g.log_level, "debug | info | warn | error | quiet")
      ->capture_default_str()
      ->check(CLI::IsMember({"debug", "info", "warn", "warning", "error", "quiet"}));
  cli.add_flag("--cudnn-benchmark,!--no-cudnn-benchmark", g.cudnn_benchmark,
               "CUDA: cuDNN times the convolution algorithms once per input shape and keeps the "
               "fastest (the choice may differ between runs; off: its heuristic choice). "
               "Default: on")
      ->capture_default_str();
  cli.add_flag_callback("--version", [] {
    std::printf("loce %s (git %s, LibTorch %s)\n", loce::version(), loce::git_revision(),
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
  auto registered = registered_commands();
  std::stable_sort(registered.begin(), registered.end(),
                   [&](const auto& a, const auto& b) { return rank_of(a.name) < rank_of(b.name); });
  for (auto& reg : registered) {
    // The command's own CLI::App is the leaf that its setup added (it may also have created a
    // group parent such as `bench`).
    auto before = all_subcommands(cli);
    RunFn run = reg.setup(cli);
    for (CLI::App* sub : all_subcommands(cli))
      if (!before.count(sub) && sub->get_subcommands({}).empty()) commands_.emplace_back(sub, run);
  }
}

std::string Cli::describe(const CLI::ConfigError& e) const {
  std::string file = "--config";
  const CLI::Option* config = app_->get_config_ptr();
  if (config && config->count() > 0) file = "--config " + config->as<std::string>();
  const std::string text = e.what();
  const std::string marker = "not able to parse ";
  const size_t at = text.find(marker);
  if (at == std::string::npos) return file + ": " + text;
  std::string key = text.substr(at + marker.size());
  auto ends_with = [&](const std::string& tail) {
    return key.size() > tail.size() && key.compare(key.size() - tail.size(), tail.size(), tail) == 0;
  };
  if (ends_with(".++") || ends_with(".--"))
    return file + ": unknown section [" + key.substr(0, key.size() - 3) + "]";
  if (!key.empty() && key.front() == '[')  // "[evaluate" read as a key
    return file + ": malformed section header '" + key + "' (a ']' missing?)";
  return file + ": unknown key '" + key + "' (`loce [SUBCOMMAND] --help` lists the options)";
}

bool Cli::typed(const std::string& name) const {
  // CLI11 counts a value from the config file like one typed, so look at the tokens.
  return std::any_of(tokens_.begin(), tokens_.end(), [&](const std::string& t) {
    return t == name || t.rfind(name + "=", 0) == 0;
  });
}

std::string Cli::describe(const CLI::ParseError& e) const {
  const std::string text = e.what();
  const std::string help =
      std::string(" (see loce ") + (app_->get_subcommands().empty() ? "" : "SUBCOMMAND ") + "--help)";
  if (text.find("subcommand is required") != std::string::npos) {
    // CLI11 says only that one is missing when the word given is none it knows: name it, and
    // what the level where it stood offers.
    const CLI::App* level = app_.get();
    std::set<std::string> chosen;
    while (!level->get_subcommands().empty()) {
      level = level->get_subcommands().front();
      chosen.insert(level->get_name());
    }
    std::string offered;
    for (const CLI::App* sub : level->get_subcommands({}))
      offered += (offered.empty() ? "" : ", ") + sub->get_name();
    for (size_t i = 0; i < tokens_.size(); ++i) {
      const std::string& t = tokens_[i];
      const bool option_value = i > 0 && tokens_[i - 1].rfind("--", 0) == 0 &&
                                tokens_[i - 1].find('=') == std::string::npos;
      if (t.empty() || t[0] == '-' || chosen.count(t) || option_value) continue;
      return "unknown subcommand '" + t + "' (one of: " + offered + ")";
    }
    return "a subcommand is required (one of: " + offered + ")";
  }
  const CLI::Option* config = app_->get_config_ptr();
  if (!config || config->count() == 0) return text + help;
  // The option CLI11 names ("--steps: ..." or "Could not convert: --steps = abc").
  const size_t at = text.find("--");
  if (at == std::string::npos) return text + help;
  size_t end = at + 2;
  while (end < text.size() && (std::isalnum(static_cast<unsigned char>(text[end])) ||
                               text[end] == '-' || text[end] == '_'))
    ++end;
  const std::string name = text.substr(at, end - at);
  if (typed(name) || name.size() <= 2) return text + help;
  return "--config " + config->as<std::string>() + ": key '" + name.substr(2) + "': " + text + help;
}

void Cli::parse(const std::vector<std::string>& args) {
  tokens_ = args;
  std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 consumes from the back
  app_->parse(reversed);
}

void Cli::parse(int argc, char** argv) {
  tokens_.assign(argv + std::min(argc, 1), argv + argc);
  app_->parse(argc, argv);
}

std::vector<std::string> Cli::command_line_globals() const {
  const GlobalOptions& g = global_;
  std::vector<std::string> out;
  if (typed("--threads")) out.insert(out.end(), {"--threads", std::to_string(g.threads)});
  if (typed("--device")) out.insert(out.end(), {"--device", g.device});
  if (typed("--log-level")) out.insert(out.end(), {"--log-level", g.log_level});
  if (typed("--cudnn-benchmark") || typed("--no-cudnn-benchmark"))
    out.push_back(g.cudnn_benchmark ? "--cudnn-benchmark" : "--no-cudnn-benchmark");
  return out;
}

std::string Cli::selected_name() const {
  for (const auto& [sub, run] : commands_) {
    if (!sub->parsed()) continue;
    std::string name = sub->get_name();
    for (CLI::App* p = sub->get_parent(); p && p != app_.get(); p = p->get_parent())
      name = p->get_name() + " " + name;
    return name;
  }
  return "";
}

int Cli::run_selected(const Context& ctx) const {
  for (const auto& [sub, run] : commands_)
    if (sub->parsed()) return run(ctx);
  fail("no subcommand selected");
}

void apply_global_options(const GlobalOptions& g, const dist::WorldInfo& world) {
  log::set_level(log::parse_level(g.log_level));
  // The node's cores shared by its ranks, but never more than this rank may run on (its CPU
  // affinity: SLURM's --cpus-per-task binding, taskset, mpirun --bind-to).
  const int online = std::max(1, int(std::thread::hardware_concurrency()));
  int allowed = online;
  cpu_set_t mask;
  if (sched_getaffinity(0, sizeof mask, &mask) == 0) allowed = std::max(1, CPU_COUNT(&mask));
  int threads = g.threads > 0 ? g.threads
                              : std::max(1, std::min(allowed, online / std::max(1, world.local_size)));
  torch::set_num_threads(threads);
  at::globalContext().setBenchmarkCuDNN(g.cudnn_benchmark);  // no effect on the CPU
  seed_globals(g.seed, world.rank);
}

}  // namespace loce::app
