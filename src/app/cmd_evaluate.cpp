// loce evaluate: mIoU, per-class IoU and pixel accuracy of a fine-tuned run (train/evaluation.h).
#include <cstdio>

#include "app/command.h"
#include "train/evaluation.h"

namespace loce::app {
namespace {

RunFn setup_evaluate(CLI::App& cli) {
  auto o = std::make_shared<train::EvaluationSetup>();
  auto* sub = cli.add_subcommand("evaluate", "Evaluate a fine-tuned run on a split of the cache");
  sub->add_option("--model", o->model_run, "Fine-tuned run folder (or a checkpoint in its checkpoints/)")->required()
      ->check(CLI::ExistingPath);
  sub->add_option("--data", o->data, "Dataset cache (HDF5)")->required()->check(CLI::ExistingFile);
  sub->add_option("--split", o->split, "Split to evaluate (results: eval.*; eval-SPLIT.* for another split)")->capture_default_str();
  sub->add_option("--full-res-labels", o->full_res_labels,
                  "Cache of the same images at full resolution: score upsampled predictions "
                  "against its labels (official protocol)")->check(CLI::ExistingFile);
  sub->add_option("--batch-size", o->batch_size, "Images per forward pass")->capture_default_str()
      ->check(at_least_one());
  return [o](const Context& ctx) {
    train::EvaluationSetup setup = *o;
    setup.device = ctx.device;
    const train::SegmentationScores s = train::run_evaluation(setup);
    // The result on stdout (the files hold the rest: per-class IoU, the confusion matrix).
    if (ctx.world.rank == 0)
      std::printf("mIoU %.4f  pixel accuracy %.4f  (split %s)\n", s.miou, s.pixel_accuracy,
                  setup.split.c_str());
    return 0;
  };
}

const CommandRegistration register_evaluate("evaluate", setup_evaluate);

}  // namespace
}  // namespace loce::app
