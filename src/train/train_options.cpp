#include "train/train_options.h"

namespace loce::train {

void add_train_options(CLI::App& sub, TrainConfig& c, bool pretext) {
  sub.add_option("--split", c.split, "Cache split to train on")->capture_default_str();
  sub.add_option("--batch-size", c.batch_size, "Images per rank per step")->capture_default_str();
  sub.add_option("--steps", c.steps, "Total optimiser steps (0: --epochs)")->capture_default_str();
  sub.add_option("--epochs", c.epochs, "Epochs when --steps is 0")->capture_default_str();
  sub.add_option("--optimizer", c.optimizer, "adamw | sgd | lars")
      ->check(CLI::IsMember({"adamw", "sgd", "lars"}))->capture_default_str();
  sub.add_option("--lr", c.lr, "Base learning rate (after warm-up)")->capture_default_str();
  sub.add_option("--weight-decay", c.weight_decay, "Weight decay")->capture_default_str();
  sub.add_option("--momentum", c.momentum, "Momentum (sgd, lars)")->capture_default_str();
  sub.add_option("--lars-eta", c.lars_eta, "LARS trust coefficient")->capture_default_str();
  sub.add_option("--warmup-steps", c.warmup_steps, "Linear warm-up steps")->capture_default_str();
  sub.add_option("--final-lr-fraction", c.final_lr_fraction,
                 "Cosine schedule ends at lr * this")->capture_default_str();
  sub.add_option("--clip-grad-norm", c.clip_grad_norm,
                 "Clip the gradient norm (0: off); the norm before clipping is logged as grad_norm")
      ->capture_default_str();
  sub.add_flag("--bf16,!--no-bf16", c.bf16, "bf16 autocast (CUDA only; CPU stays fp32)");
  sub.add_flag("--channels-last,!--no-channels-last", c.channels_last,
               "Channels-last memory format (CUDA only)");
  sub.add_option("--log-every", c.log_every, "Log every N steps")->capture_default_str();
  sub.add_option("--checkpoint-every", c.checkpoint_every, "Checkpoint every N steps")
      ->capture_default_str();
  sub.add_option("--keep-checkpoints", c.keep_checkpoints, "Checkpoints kept")
      ->capture_default_str();
  sub.add_option("--prefetch", c.prefetch,
                 "Batches read ahead on a background thread (0: read in the step)")
      ->capture_default_str();
  if (!pretext) return;
  sub.add_option("--base-width", c.base_width, "U-Net base width (paper: 64)")->capture_default_str();
  sub.add_option("--depth", c.depth, "U-Net downsamplings (paper: 4)")->capture_default_str();
  sub.add_flag("--bilinear", c.bilinear, "Bilinear upsampling in the decoder");
  sub.add_option("--projector", c.projector, "Barlow Twins projector sizes")->capture_default_str();
  sub.add_option("--classifier-hidden", c.classifier_hidden, "RPL head hidden size")
      ->capture_default_str();
  sub.add_option("--barlow-lambda", c.task.barlow_lambda, "Barlow Twins off-diagonal weight")
      ->capture_default_str();
  sub.add_option("--dae-sigma", c.task.dae_sigma, "DAE noise std on [0,1] images")
      ->capture_default_str();
  sub.add_option("--rpl-grid", c.task.rpl_grid, "RPL grid side")->capture_default_str();
  sub.add_option("--rpl-grayscale-p", c.task.rpl_grayscale_p, "RPL grayscale probability")
      ->capture_default_str();
  sub.add_option("--rpl-flip-p", c.task.rpl_flip_p, "RPL flip probability")->capture_default_str();
}

}  // namespace loce::train
