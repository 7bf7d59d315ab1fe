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

std::vector<int64_t> shard_rows(const at::Tensor& kept_per_row, int world) {
  LOCE_CHECK(world >= 1, "shard_rows: world size ", world);
  at::Tensor counts = kept_per_row.to(torch::kInt64).cpu().contiguous();
  const int64_t rows = counts.numel();
  const int64_t* c = counts.data_ptr<int64_t>();
  int64_t total = 0;
  for (int64_t r = 0; r < rows; ++r) total += c[r];
  std::vector<int64_t> begin(world + 1, rows);
  begin[0] = 0;
  // Rank r starts at the first row whose preceding pairs reach r/world of the total.
  int64_t row = 0, before = 0;
  for (int r = 1; r < world; ++r) {
    const int64_t goal = (total * r + world - 1) / world;
    while (row < rows && before < goal) before += c[row++];
    begin[r] = row;
  }
  return begin;
}

std::vector<int64_t> chunk_rows(int64_t begin, int64_t end, int64_t rows_per_chunk) {
  LOCE_CHECK(rows_per_chunk >= 1, "chunk_rows: chunk of ", rows_per_chunk, " rows");
  std::vector<int64_t> starts;
  for (int64_t r = begin; r < end; r += rows_per_chunk) starts.push_back(r);
  starts.push_back(end);
  return starts;
}

}  // namespace loce::embedding
