// loce inspect: method, step, config and the weights' SHA-256 of a run or checkpoint.
#include <cstdio>

#include "app/command.h"
#include "train/inspect.h"

namespace loce::app {
namespace {

struct InspectArgs {
  std::string path;
  bool json = false;
};

RunFn setup_inspect(CLI::App& cli) {
  auto a = std::make_shared<InspectArgs>();
  auto* sub = cli.add_subcommand("inspect", "Show a run's or checkpoint's state and weight digest");
  sub->add_option("path", a->path, "Run folder (newest checkpoint) or checkpoint file")
      ->required()->check(CLI::ExistingPath);
  sub->add_flag("--json", a->json, "One JSON object instead of text");
  return [a](const Context& ctx) {
    if (ctx.world.rank != 0) return 0;
    auto s = train::summarize_checkpoint(a->path);
    std::fputs((a->json ? train::summary_json(s) : train::summary_text(s)).c_str(), stdout);
    return 0;
  };
}

const CommandRegistration register_inspect("inspect", setup_inspect);

}  // namespace
}  // namespace loce::app
