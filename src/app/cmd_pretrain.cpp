// loce pretrain: self-supervised pretraining of the U-Net encoder (train/pretrain.h).
#include "app/command.h"
#include "core/log.h"
#include "train/pretrain.h"
#include "train/stop_signal.h"
#include "train/train_options.h"

namespace loce::app {
namespace {

struct PretrainArgs {
  train::TrainConfig config;
  std::string out;
  bool resume = false;
};

RunFn setup_pretrain(CLI::App& cli) {
  auto a = std::make_shared<PretrainArgs>();
  auto* sub = cli.add_subcommand("pretrain", "Pretrain the U-Net encoder with a pretext task");
  sub->add_option("--method", a->config.method, "barlow | dae | rpl | baseline")
      ->required()->check(CLI::IsMember({"barlow", "dae", "rpl", "baseline"}));
  sub->add_option("--data", a->config.data, "Dataset cache (HDF5)")->required()
      ->check(CLI::ExistingFile);
  sub->add_option("--out", a->out, "Run folder")->required();
  sub->add_flag("--resume", a->resume, "Continue from the newest checkpoint in --out");
  train::add_train_options(*sub, a->config, /*pretext=*/true);
  return [a](const Context& ctx) {
    train::TrainConfig config = a->config;
    config.seed = ctx.global.seed;
    auto outcome = train::run_pretraining(config, a->out, a->resume, ctx.device);
    return outcome.interrupted ? train::kExitRequeue : 0;
  };
}

const CommandRegistration register_pretrain("pretrain", setup_pretrain);

}  // namespace
}  // namespace loce::app
