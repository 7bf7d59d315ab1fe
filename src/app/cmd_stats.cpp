// loce stats: images, class pixel counts and concept presence of a split.
#include <cstdio>

#include "app/command.h"
#include "core/error.h"
#include "data/stats.h"

namespace loce::app {
namespace {

struct StatsOptions {
  std::string cityscapes, cache, split = "val";
  bool json = false, per_image = false;
};

const CommandRegistration register_stats("stats", [](CLI::App& cli) -> RunFn {
  auto o = std::make_shared<StatsOptions>();
  auto* sub = cli.add_subcommand("stats", "Pixel counts per class and concept presence of a split");
  auto* a = sub->add_option("--cityscapes", o->cityscapes, "Root of a Cityscapes tree");
  auto* b = sub->add_option("--cache", o->cache, "A cache written by `loce prepare`");
  a->excludes(b);
  sub->add_option("--split", o->split, "Split to count")->capture_default_str();
  sub->add_flag("--json", o->json, "Print one JSON object on stdout (with the per-image concepts)");
  sub->add_flag("--per-image", o->per_image, "Text output: also list the concepts of every image");
  return [o](const Context& ctx) {
    if (o->cityscapes.empty() == o->cache.empty())
      bad_input("stats: give exactly one of --cityscapes DIR or --cache FILE");
    auto comm = dist::cpu_communicator();
    data::SplitStats s = o->cache.empty() ? data::stats_from_cityscapes(o->cityscapes, o->split, *comm)
                                          : data::stats_from_cache(o->cache, o->split, *comm);
    if (ctx.world.rank == 0) {
      std::string text = o->json ? data::stats_to_json(s) + "\n" : data::stats_to_text(s, o->per_image);
      std::fputs(text.c_str(), stdout);
    }
    return 0;
  };
});

}  // namespace
}  // namespace loce::app
