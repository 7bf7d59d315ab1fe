// loce prepare: Cityscapes PNG tree -> HDF5 cache at the working resolution.
#include "app/command.h"
#include "data/prepare.h"

namespace loce::app {
namespace {

const CommandRegistration register_prepare("prepare", [](CLI::App& cli) -> RunFn {
  auto o = std::make_shared<data::PrepareOptions>();
  auto* sub = cli.add_subcommand("prepare", "Decode a Cityscapes tree once into an HDF5 cache");
  sub->add_option("--cityscapes", o->cityscapes, "Root of the official layout (leftImg8bit/, gtFine/)")
      ->required();
  sub->add_option("--out", o->out, "Cache file to write (HDF5)")->required();
  sub->add_option("--height", o->height, "Working height")->capture_default_str();
  sub->add_option("--width", o->width, "Working width")->capture_default_str();
  sub->add_option("--splits", o->splits, "Splits to include")->capture_default_str()->delimiter(',');
  sub->add_option("--gzip", o->gzip_level, "gzip level of the cache chunks (0: none)")->capture_default_str()
      ->check(CLI::Range(0, 9));
  return [o](const Context&) {
    data::prepare_cache(*o, *dist::cpu_communicator());
    return 0;
  };
});

}  // namespace
}  // namespace loce::app
