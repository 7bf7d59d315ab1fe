// loce finetune: a segmentation decoder on a frozen pretrained encoder (train/finetune.h).
#include "app/command.h"
#include "train/finetune.h"
#include "train/stop_signal.h"
#include "train/train_options.h"

namespace loce::app {
namespace {

struct FinetuneArgs {
  train::TrainConfig config;
  std::string out;
  bool resume = false;
  bool allow_unfinished_encoder = false;
};

RunFn setup_finetune(CLI::App& cli) {
  auto a = std::make_shared<FinetuneArgs>();
  auto* sub = cli.add_subcommand(
      "finetune", "Train a 19-class segmentation decoder on a frozen pretrained encoder");
  sub->add_option("--encoder", a->config.encoder_run, "Pretrained run folder (or checkpoint)")
      ->required()->check(CLI::ExistingPath);
  sub->add_option("--data", a->config.data, "Dataset cache (HDF5)")->required()
      ->check(CLI::ExistingFile);
  sub->add_option("--out", a->out, "Run folder of the fine-tuned model")->required();
  sub->add_flag("--resume", a->resume, "Continue from the newest checkpoint in --out");
  sub->add_flag("--allow-unfinished-encoder", a->allow_unfinished_encoder,
                "Accept an --encoder run stopped before its last step (warns)");
  train::add_train_options(*sub, a->config, /*pretext=*/false);
  return [a](const Context& ctx) {
    train::TrainConfig config = a->config;
    config.seed = ctx.global.seed;
    auto outcome = train::run_finetuning(config, a->out, a->resume, ctx.device,
                                         a->allow_unfinished_encoder);
    return outcome.interrupted ? train::kExitRequeue : 0;
  };
}

const CommandRegistration register_finetune("finetune", setup_finetune);

}  // namespace
}  // namespace loce::app
