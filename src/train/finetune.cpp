#include "train/finetune.h"

#include <torch/torch.h>

#include "core/error.h"
#include "core/log.h"
#include "core/to_device.h"
#include "data/augment.h"
#include "data/labels.h"
#include "train/inspect.h"
#include "train/pretrain.h"
#include "train/run_dir.h"

namespace loce::train {

namespace {

class SegmentationFineTuning : public ssl::Task {
 public:
  std::string name() const override { return "finetune"; }
  models::HeadSet heads() const override {
    models::HeadSet h;
    h.segmentation = true;
    return h;
  }

  ssl::TaskBatch make_batch(const data::Batch& batch, const c10::Device& device,
                            at::Generator& gen) const override {
    auto x = data::to_unit_float(to_device(batch.images, device));
    auto labels = to_device(batch.labels, device);
    const int64_t B = x.size(0), H = x.size(2), W = x.size(3);
    auto boxes = data::sample_crop_boxes(B, H, W, gen, {0.5, 1.0});
    auto flip = data::sample_apply_mask(B, 0.5, gen);
    x = data::hflip(data::resized_crop(x, boxes, H, W), flip);
    labels = data::hflip(data::resized_crop_labels(labels, boxes, H, W), flip);
    ssl::TaskBatch out;
    out.inputs = {data::normalize(x)};
    out.target = labels.to(at::kLong);
    return out;
  }

  ssl::TaskLoss loss(models::NetworkImpl& net, const ssl::TaskBatch& batch,
                     dist::Communicator&) const override {
    std::vector<at::Tensor> features;
    {
      torch::NoGradGuard frozen;  // the encoder is a fixed feature extractor
      features = net.encoder->forward(batch.inputs[0]);
    }
    auto logits = net.segmentation->forward(features).to(at::kFloat);
    // The mean cross-entropy over the labelled pixels, 0 for a crop that shows only ignored ones
    // (where the mean is 0/0), without reading their count on the host (a synchronisation).
    auto total = at::cross_entropy_loss(logits, batch.target, {}, at::Reduction::Sum, data::kIgnore);
    auto labelled = (batch.target != data::kIgnore).sum().clamp_min(1).to(total.scalar_type());
    return {total / labelled, {}};
  }

  void set_train_mode(models::NetworkImpl& net) const override {
    net.train(true);
    net.encoder->eval();  // frozen BatchNorm statistics
  }
};

}  // namespace

std::unique_ptr<ssl::Task> make_segmentation_task() {
  return std::make_unique<SegmentationFineTuning>();
}

TrainOutcome run_finetuning(TrainConfig config, const std::string& run_dir, bool resume,
                            const c10::Device& device, bool allow_unfinished_encoder) {
  if (config.encoder_run.empty()) bad_input("finetune: --encoder RUN_DIR is required");
  LoadedRun pretrained = load_run(config.encoder_run, models::HeadSet{}, c10::Device(c10::kCPU));
  // Only a pretraining run's encoder, and only a finished one unless asked for: a half-trained
  // (interrupted) encoder would go on silently into fine-tuning, evaluation and the tables.
  if (pretrained.kind != "pretrain")
    bad_input("finetune: --encoder ", config.encoder_run, " is a ",
              pretrained.kind.empty() ? std::string("unknown") : pretrained.kind, " run (method ",
              pretrained.method, "), not a pretraining run; pass the folder of a `loce pretrain` run");
  if (pretrained.step < pretrained.total_steps) {
    if (!allow_unfinished_encoder)
      bad_input("finetune: --encoder ", config.encoder_run, " is unfinished: ", pretrained.checkpoint,
                " is at step ", pretrained.step, " of ", pretrained.total_steps,
                "; finish it with `loce pretrain ... --resume`, or pass --allow-unfinished-encoder");
    log::warn("fine-tuning on an unfinished encoder: ", pretrained.checkpoint, " is at step ",
              pretrained.step, " of ", pretrained.total_steps, " (--allow-unfinished-encoder)");
  }
  check_cache_matches_run(pretrained, config.data);
  config.base_width = pretrained.config.base_width;
  config.depth = pretrained.config.depth;
  config.bilinear = pretrained.config.bilinear;
  config.method = "finetune";
  // Which encoder, by its weights (the folder's name says nothing once it was retrained): a
  // resume onto another encoder is refused like any other changed key.
  config.encoder_digest = state_digest(*pretrained.network->encoder);
  log::info("fine-tuning on the frozen encoder of ", pretrained.checkpoint, " (", pretrained.method,
            ", step ", pretrained.step, " of ", pretrained.total_steps, ")");

  auto task = make_segmentation_task();
  models::Network net = initial_network(config, task->heads());
  {
    torch::NoGradGuard no_grad;
    auto src = models::named_state(*pretrained.network->encoder);
    auto dst = models::named_state(*net->encoder);
    LOCE_CHECK(src.size() == dst.size(), "finetune: encoder layouts differ");
    for (size_t i = 0; i < src.size(); ++i) dst[i].second.copy_(src[i].second);
  }
  for (auto& p : net->encoder->parameters()) p.set_requires_grad(false);
  TrainerSetup setup{config, run_dir, "finetune", resume, device};
  return run_training(setup, *task, net, net->segmentation.ptr());
}

}  // namespace loce::train
