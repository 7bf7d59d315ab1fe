#include "loce/pair_plan.h"

#include <torch/torch.h>

#include <algorithm>

#include "core/error.h"

namespace loce::embedding {

at::Tensor reference_batch_sizes(const at::Tensor& skip, int64_t batch) {
  LOCE_CHECK(skip.dim() == 2 && batch > 0, "reference_batch_sizes: bad arguments");
  at::Tensor kept = (skip == 0).cpu();
  const int64_t rows = kept.size(0), K = kept.size(1);
  at::Tensor out = torch::zeros({rows, K}, torch::kFloat32);
  auto k = kept.accessor<bool, 2>();
  auto o = out.accessor<float, 2>();
  for (int64_t slot = 0; slot < K; ++slot) {
    int64_t total = 0;
    for (int64_t r = 0; r < rows; ++r) total += k[r][slot];
    int64_t index = 0;
    for (int64_t r = 0; r < rows; ++r) {
      if (!k[r][slot]) continue;
      const int64_t first = (index / batch) * batch;
      o[r][slot] = float(std::min(batch, total - first));
      ++index;
    }
  }
  return out;
}

std::vector<std::vector<int64_t>> shard_kept_rows(const at::Tensor& batch, int world) {
  LOCE_CHECK(world >= 1 && batch.dim() == 2, "shard_kept_rows: bad arguments");
  at::Tensor has_kept = (batch > 0).any(1).cpu();
  auto h = has_kept.accessor<bool, 1>();
  std::vector<int64_t> kept_rows;
  for (int64_t r = 0; r < has_kept.size(0); ++r)
    if (h[r]) kept_rows.push_back(r);
  const int64_t n = int64_t(kept_rows.size());
  std::vector<std::vector<int64_t>> shards(world);
  for (int r = 0; r < world; ++r)
    shards[r].assign(kept_rows.begin() + n * r / world, kept_rows.begin() + n * (r + 1) / world);
  return shards;
}

std::vector<int64_t> chunk_rows(int64_t begin, int64_t end, int64_t rows_per_chunk) {
  LOCE_CHECK(rows_per_chunk >= 1, "chunk_rows: chunk of ", rows_per_chunk, " rows");
  std::vector<int64_t> starts;
  for (int64_t r = begin; r < end; r += rows_per_chunk) starts.push_back(r);
  starts.push_back(end);
  return starts;
}

}  // namespace loce::embedding
