#pragma once
// The batched LoCE optimiser: every pair of a chunk is one tensor problem. Rows carry
// activations (an image, or one pair's own activations), slots carry the concepts of a row, so
// V is [n, K, C], the logits of all pairs are one batched product bmm(V, A), the loss is per
// pair, and AdamW updates the whole V with a few tensor operations (on CPU float32, block by
// block of channels inside one pass over the activations: row_products.h). No loop over pairs,
// no host synchronisation inside the iterations.
#include <cstdint>

#include <ATen/Tensor.h>

#include "loce/settings.h"

namespace loce::embedding {

struct Problem {
  at::Tensor activations;      // float32 [n, C, h, w] on the compute device
  at::Tensor target;           // float32 [n, K, gh, gw] (targets.h), same device
  at::Tensor positive_weight;  // float32 [n, K]: alpha
  // float32 [n, K]: the reference batch size B of each pair (its gradient carries 1/B^2 in
  // reference mode); 0 marks a pair that is not optimised (its vector stays zero).
  at::Tensor batch_size;
};

struct Solution {
  at::Tensor vectors;  // float32 [n, K, C]
  at::Tensor loss;     // float32 [n, K]: the mode's objective per grid pixel at the final vectors
  at::Tensor logits;   // float32 [n, K, gh, gw]: A.v on the grid at the final vectors
  at::Tensor finite;   // bool [n, K]: the pair's activations, vector and loss are all finite
};

// Reference mode: logits on the grid are R_h (A.v) R_w^T with torch's bilinear matrices,
// pseudo-BCE, loss -(1/B) sum(...) per pair and the mean over B. Native mode: logits A.v on the
// activation grid, class-balanced BCE with logits averaged over the grid.
Solution optimize(const Problem& problem, const OptimizerSettings& settings);

// Approximate working memory of one row of a chunk (activations, targets, masks while the
// targets are made, per-iteration temporaries, optimiser state), for sizing chunks.
int64_t bytes_per_row(int64_t channels, int64_t act_h, int64_t act_w, int64_t slots,
                      int64_t mask_h, int64_t mask_w, const OptimizerSettings& settings);

}  // namespace loce::embedding
