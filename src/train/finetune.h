#pragma once
// `loce finetune`: the pretrained encoder of a run, frozen (no gradients, BatchNorm in eval
// mode), with a U-Net segmentation decoder trained by cross-entropy over the 19 trainIds
// (255 ignored), data-parallel, through the shared trainer.
#include <string>

#include <c10/core/Device.h>

#include "train/config.h"
#include "train/trainer.h"

namespace loce::train {

// The fine-tuning objective (exposed for tests): random resized crop (scale 0.5..1) and flip
// with the labels following, cross-entropy ignoring 255.
std::unique_ptr<ssl::Task> make_segmentation_task();

// config.encoder_run names the pretrained run; the architecture keys (base_width, depth,
// bilinear) are taken from it. It must be a pretraining run (kind pretrain) that reached its
// last step; an unfinished one only with `allow_unfinished_encoder` (and a warning).
TrainOutcome run_finetuning(TrainConfig config, const std::string& run_dir, bool resume,
                            const c10::Device& device, bool allow_unfinished_encoder = false);

}  // namespace loce::train
