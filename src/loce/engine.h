#pragma once
// The sharded LoCE run: plan the pairs, give each rank an equal run of the rows that have a kept
// pair (pair_plan.h), optimise each rank's rows chunk by chunk (chunks sized by the memory
// budget) on its own device, and gather the vectors on rank 0. Both front ends use it:
// activations a user computed (from_activations.h; one row per pair) and an encoder over a split
// (extraction.h; one row per image, one slot per concept).
#include <array>
#include <cstdint>
#include <functional>

#include <ATen/Tensor.h>
#include <c10/core/Device.h>

#include "dist/communicator.h"
#include "loce/settings.h"
#include "loce/targets.h"

namespace loce::embedding {

// Rows of activations, each with K concept masks. The functions are called with rows
// [first, first + count) and may be called more than once for the same rows; masks are read by
// every rank (for the plan), activations only by the rank that owns the rows, and never for a
// row none of whose pairs is kept.
struct RowSource {
  int64_t rows = 0;
  int64_t slots = 1;  // K
  int64_t channels = 0, act_h = 0, act_w = 0;
  int64_t mask_h = 0, mask_w = 0;
  std::function<at::Tensor(int64_t first, int64_t count)> activations;  // float [count, C, h, w]
  std::function<at::Tensor(int64_t first, int64_t count)> masks;  // [count, K, H, W] in [0, 1]
};

// Kept pairs in (row, slot) order. Complete on rank 0; other ranks get only the counts.
struct EmbedResult {
  at::Tensor vectors;           // float32 [P, C]
  at::Tensor row, slot;         // int64 [P]
  at::Tensor iou, loss, area;   // float32 [P]
  std::array<int64_t, kNumSkipReasons> skipped{};  // indexed by Skip code; [0] unused
  int64_t considered = 0;       // rows * slots
  int64_t iou_zero = 0;         // kept pairs with IoU 0, which the reference calls not converged
};

EmbedResult run_embedding(const RowSource& source, const OptimizerSettings& settings,
                          const c10::Device& device, dist::Communicator& comm);

}  // namespace loce::embedding
