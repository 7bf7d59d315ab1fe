// `loce synth`: writes the procedurally generated street-scene dataset in the Cityscapes layout
// (src/data/synth.h), so every later stage runs without a download.
#include <memory>

#include "app/command.h"
#include "data/synth.h"
#include "dist/world.h"

namespace loce::app {
namespace {

struct SynthArgs {
  data::SynthOptions options;
  uint64_t seed = 0;
  CLI::Option* seed_flag = nullptr;
};

RunFn setup_synth(CLI::App& parent) {
  auto args = std::make_shared<SynthArgs>();
  data::SynthOptions& o = args->options;
  CLI::App* sub = parent.add_subcommand(
      "synth", "Generate a synthetic street-scene dataset in the Cityscapes layout "
               "(leftImg8bit + gtFine labelIds/labelTrainIds/instanceIds)");
  sub->add_option("--out", o.out, "Dataset root to create")->required();
  sub->add_option("--train", o.train, "Images in the train split")->capture_default_str();
  sub->add_option("--val", o.val, "Images in the val split")->capture_default_str();
  sub->add_option("--height", o.height, "Image height in pixels")->capture_default_str();
  sub->add_option("--width", o.width, "Image width in pixels")->capture_default_str();
  args->seed_flag = sub->add_option("--seed", args->seed,
                                    "Dataset seed (default: the global --seed)")
                        ->check(seed_value());
  sub->add_flag("--force", o.force, "Replace an existing non-empty --out");

  return [args](const Context& ctx) {
    data::SynthOptions o = args->options;
    o.seed = args->seed_flag->count() > 0 ? args->seed : ctx.global.seed;
    o.threads = ctx.global.threads;
    // One writer: the dataset is small next to training, and a shared folder written by
    // several ranks would need them to agree on the temporary name.
    if (ctx.world.rank == 0) data::generate_synthetic_cityscapes(o);
    if (ctx.world.size > 1) dist::cpu_communicator()->barrier();
    return 0;
  };
}

const CommandRegistration register_synth("synth", setup_synth);

}  // namespace
}  // namespace loce::app
