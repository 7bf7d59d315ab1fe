#pragma once
// Which pairs are optimised, in which reference batch, on which rank. Every rank computes the
// same plan from the same masks, so no communication is needed and the result cannot depend on
// the number of ranks.
#include <cstdint>
#include <vector>

#include <ATen/Tensor.h>

namespace loce::embedding {

// The batch size B the reference would give each kept pair: within each slot (concept), the
// kept pairs in row order form consecutive batches of `batch`; the last one is smaller.
// skip: uint8 [rows, K] (0 = kept). Returns float32 [rows, K], 0 for skipped pairs.
at::Tensor reference_batch_sizes(const at::Tensor& skip, int64_t batch);

// Each rank's rows, in order: the rows with at least one kept pair (batch [rows, K] > 0), split
// into contiguous runs of equal length. A row with no kept pair is neither read nor optimised; a
// row with one is optimised in all its K slots (skipped slots carry zero coefficients), so every
// such row costs the same and equal counts balance the ranks.
std::vector<std::vector<int64_t>> shard_kept_rows(const at::Tensor& batch, int world);

// Splits positions [begin, end) into consecutive chunks of at most `rows_per_chunk`; returns the
// chunk starts followed by `end`.
std::vector<int64_t> chunk_rows(int64_t begin, int64_t end, int64_t rows_per_chunk);

}  // namespace loce::embedding
