#pragma once
// LoCEs of a trained encoder (or the baseline) over a split: the entry point that
// `loce embed --model RUN_DIR --data CACHE --split S` drives once the models module provides
// the encoder. The encoder and the split come in as functions, so this file depends on neither:
//   * activations(first, count): the encoder's forward pass over images [first, first + count)
//     of the split, returning every level (select_level picks one; the deepest by default);
//   * labels(first, count): trainId maps uint8 [count, H, W] (255 = ignore) of the same images.
// One row per image, one slot per concept: each image's activations are shared by its concepts
// in one batched product.
#include <functional>
#include <string>
#include <vector>

#include <ATen/Tensor.h>
#include <c10/core/Device.h>

#include "dist/communicator.h"
#include "loce/settings.h"

namespace loce::embedding {

// Concepts by name from the 19 Cityscapes classes ("traffic light" or "traffic_light");
// an empty list means the paper's five: road, building, vegetation, car, person.
std::vector<int> parse_concepts(const std::vector<std::string>& names);

// Binary concept masks from trainId maps: uint8 [n, H, W] -> float32 [n, K, H, W], 1 where the
// label is the concept; ignored (255) pixels count as background.
at::Tensor concept_masks(const at::Tensor& train_ids, const std::vector<int>& concepts);

// Level `level` of an encoder's outputs; negative counts from the deepest (-1 = deepest).
at::Tensor select_level(const std::vector<at::Tensor>& levels, int level);

using RowFunction = std::function<at::Tensor(int64_t first, int64_t count)>;

// Activations of any rows [first, first + count) of `images` from `forward` called only on the
// fixed windows [j * batch, (j + 1) * batch) (the last one cut at `images`), sliced to the rows
// asked for. LibTorch's convolutions do not give bit-identical per-image outputs for different
// batch compositions, so batches that followed the requests (whose boundaries move with the
// rank count and --memory-budget) would make the vectors depend on them. The last window is
// kept, so consecutive requests inside it run `forward` once.
RowFunction aligned_batches(int64_t images, int64_t batch, RowFunction forward);

struct EncoderSplit {
  int64_t images = 0;
  std::vector<std::string> image_names;  // one per image
  // The activations of the chosen level, float [count, C, h, w] on any device.
  RowFunction activations;
  RowFunction labels;  // uint8 [count, H, W]
  std::string layer, model_run, method;  // provenance for the output file
};

// Collective: every rank calls it with the same split; rank 0 writes `output`. The activation
// shape is probed from image 0, the label shape from labels(0, 1).
void embed_encoder(const EncoderSplit& split, const std::vector<int>& concepts,
                   const std::string& output, const OptimizerSettings& settings,
                   const c10::Device& device, dist::Communicator& comm);

}  // namespace loce::embedding
