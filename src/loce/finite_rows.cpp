#include "loce/finite_rows.h"

#include <torch/torch.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "core/cpu_clones.h"
#include "core/error.h"
#include "core/parallel.h"

namespace loce::embedding {
namespace {

constexpr uint32_t kExponent = 0x7f800000u;  // all exponent bits set: inf or NaN
constexpr int64_t kBlock = int64_t(1) << 18;  // elements per work item (1 MiB of float32)

// The largest exponent field among bits[0, n): an integer max, which vectorises without
// reassociating floating-point sums.
LOCE_CPU_CLONES uint32_t max_exponent(const uint32_t* bits, int64_t n) {
  uint32_t m = 0;
  for (int64_t i = 0; i < n; ++i) m = std::max(m, bits[i] & kExponent);
  return m;
}

}  // namespace

at::Tensor finite_rows(const at::Tensor& x) {
  LOCE_CHECK(x.dim() >= 1, "finite_rows: a tensor with rows expected, got ", x.sizes());
  const int64_t n = x.size(0);
  if (x.numel() == 0) return torch::ones({n}, x.options().dtype(torch::kBool));
  if (!cpu_loops_take(x))
    return torch::isfinite(x.reshape({n, -1})).all(1);
  const at::Tensor bits = x.contiguous().view(at::kInt);
  const auto* p = reinterpret_cast<const uint32_t*>(bits.data_ptr<int32_t>());
  const int64_t per_row = bits.numel() / n;
  const int64_t blocks = std::max<int64_t>(1, (per_row + kBlock - 1) / kBlock);
  std::vector<uint8_t> bad(size_t(n * blocks), 0);
  parallel_ranges(n * blocks, [&](int64_t first, int64_t last) {
    for (int64_t item = first; item < last; ++item) {
      const int64_t row = item / blocks, j0 = (item % blocks) * kBlock;
      const int64_t len = std::min(kBlock, per_row - j0);
      bad[item] = len > 0 && max_exponent(p + row * per_row + j0, len) == kExponent;
    }
  });
  at::Tensor out = torch::ones({n}, torch::kBool);
  bool* o = out.data_ptr<bool>();
  for (int64_t item = 0; item < n * blocks; ++item)
    if (bad[item]) o[item / blocks] = false;
  return out;
}

}  // namespace loce::embedding
