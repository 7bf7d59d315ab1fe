#include "loce/axis_resize.h"

#include <torch/torch.h>

#include <algorithm>
#include <limits>

#include "core/cpu_clones.h"
#include "core/error.h"
#include "core/flush_subnormals.h"
#include "core/parallel.h"

namespace loce::embedding {

AxisResize::AxisResize(const at::Tensor& matrix)
    : in_(matrix.size(1)), out_(matrix.size(0)), dense_(matrix) {
  LOCE_CHECK(matrix.dim() == 2, "axis resize: a matrix expected, got ", matrix.sizes());
  LOCE_CHECK(in_ <= std::numeric_limits<int32_t>::max(), "axis resize: ", in_, " inputs");
  const at::Tensor m = matrix.to(torch::kCPU, torch::kFloat32).contiguous();
  const float* p = m.data_ptr<float>();
  std::vector<std::vector<int32_t>> nonzeros(out_);
  for (int64_t i = 0; i < out_; ++i) {
    for (int64_t j = 0; j < in_; ++j)
      if (p[i * in_ + j] != 0.0f) nonzeros[i].push_back(int32_t(j));
    taps_ = std::max<int64_t>(taps_, int64_t(nonzeros[i].size()));
  }
  index_.assign(taps_ * out_, 0);
  weight_.assign(taps_ * out_, 0.0f);
  for (int64_t i = 0; i < out_; ++i)
    for (int64_t t = 0; t < int64_t(nonzeros[i].size()); ++t) {
      index_[t * out_ + i] = nonzeros[i][t];
      weight_[t * out_ + i] = p[i * in_ + nonzeros[i][t]];
    }
  // Padding reads an input the output already uses (an all-zero row: input 0), times zero.
  for (int64_t i = 0; i < out_; ++i)
    for (int64_t t = int64_t(nonzeros[i].size()); t < taps_; ++t)
      index_[t * out_ + i] = nonzeros[i].empty() ? 0 : nonzeros[i].back();
}

namespace {

// Multiply-adds below which a resize runs on the calling thread: the per-iteration resizes of a
// full-resolution LoCE (100 x 100 per pair) are a few microseconds of work.
constexpr int64_t kSerialWork = int64_t(1) << 16;

int64_t grain(int64_t work_per_item) { return kSerialWork / std::max<int64_t>(1, work_per_item); }

// dst[r, i] = sum_t weight[t, i] * src[r, index[t, i]] for rows [first, last); the inner loops
// run over the outputs, as gathers where the CPU has them.
LOCE_CPU_CLONES void resize_rows(const float* src, float* dst, int64_t in, int64_t out,
                                 int64_t taps, const int32_t* index, const float* weight,
                                 int64_t first, int64_t last) {
  FlushSubnormals flush;
  for (int64_t r = first; r < last; ++r) {
    const float* __restrict row = src + r * in;
    float* __restrict o = dst + r * out;
    if (taps == 0) std::fill(o, o + out, 0.0f);
    for (int64_t i = 0; taps > 0 && i < out; ++i) o[i] = weight[i] * row[index[i]];
    for (int64_t t = 1; t < taps; ++t) {
      const int32_t* ti = index + t * out;
      const float* tw = weight + t * out;
      for (int64_t i = 0; i < out; ++i) o[i] += tw[i] * row[ti[i]];
    }
  }
}

}  // namespace

at::Tensor AxisResize::last_axis(const at::Tensor& x) const {
  LOCE_CHECK(x.dim() >= 1 && x.size(-1) == in_, "axis resize: last axis of ", x.sizes(),
             " is not ", in_);
  std::vector<int64_t> shape(x.sizes().begin(), x.sizes().end());
  shape.back() = out_;
  if (!cpu_loops_take(x)) return torch::matmul(x, dense_.to(x.device(), x.scalar_type()).t());  // no copy when they match
  const at::Tensor src = x.contiguous();
  at::Tensor dst = torch::empty(shape, x.options());
  const float* s = src.data_ptr<float>();
  float* d = dst.data_ptr<float>();
  parallel_ranges(src.numel() / in_, [&](int64_t first, int64_t last) {
    resize_rows(s, d, in_, out_, taps_, index_.data(), weight_.data(), first, last);
  }, grain(out_ * taps_));
  return dst;
}

at::Tensor AxisResize::middle_axis(const at::Tensor& x) const {
  LOCE_CHECK(x.dim() == 3 && x.size(1) == in_, "axis resize: middle axis of ", x.sizes(),
             " is not ", in_);
  const int64_t m = x.size(0), c = x.size(2);
  if (!cpu_loops_take(x)) return torch::matmul(dense_.to(x.device(), x.scalar_type()), x);
  const at::Tensor src = x.contiguous();
  at::Tensor dst = torch::empty({m, out_, c}, x.options());
  const float* s = src.data_ptr<float>();
  float* d = dst.data_ptr<float>();
  parallel_ranges(m * out_, [&](int64_t first, int64_t last) {
    FlushSubnormals flush;
    for (int64_t item = first; item < last; ++item) {
      const int64_t p = item / out_, i = item % out_;
      float* __restrict o = d + item * c;
      for (int64_t j = 0; j < c; ++j) o[j] = 0.0f;
      for (int64_t t = 0; t < taps_; ++t) {
        const float w = weight_[t * out_ + i];
        if (w == 0.0f) continue;  // padding
        const float* __restrict row = s + (p * in_ + index_[t * out_ + i]) * c;
        for (int64_t j = 0; j < c; ++j) o[j] += w * row[j];
      }
    }
  }, grain(c * taps_));
  return dst;
}

}  // namespace loce::embedding
