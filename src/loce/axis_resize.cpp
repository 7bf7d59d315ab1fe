#include "loce/axis_resize.h"

#include <torch/torch.h>

#include "core/error.h"
#include "core/flush_subnormals.h"
#include "core/parallel.h"

namespace loce::embedding {

AxisResize::AxisResize(const at::Tensor& matrix)
    : in_(matrix.size(1)), out_(matrix.size(0)), dense_(matrix) {
  LOCE_CHECK(matrix.dim() == 2, "axis resize: a matrix expected, got ", matrix.sizes());
  const at::Tensor m = matrix.to(torch::kCPU, torch::kFloat32).contiguous();
  const float* p = m.data_ptr<float>();
  start_.push_back(0);
  for (int64_t i = 0; i < out_; ++i) {
    for (int64_t j = 0; j < in_; ++j)
      if (p[i * in_ + j] != 0.0f) {
        index_.push_back(j);
        weight_.push_back(p[i * in_ + j]);
      }
    start_.push_back(int64_t(index_.size()));
  }
}

namespace {
bool loops_take(const at::Tensor& x) { return x.is_cpu() && x.scalar_type() == at::kFloat; }
}  // namespace

at::Tensor AxisResize::last_axis(const at::Tensor& x) const {
  LOCE_CHECK(x.dim() >= 1 && x.size(-1) == in_, "axis resize: last axis of ", x.sizes(),
             " is not ", in_);
  std::vector<int64_t> shape(x.sizes().begin(), x.sizes().end());
  shape.back() = out_;
  if (!loops_take(x)) return torch::matmul(x, dense_.to(x.device(), x.scalar_type()).t());  // no copy when they match
  const at::Tensor src = x.contiguous();
  at::Tensor dst = torch::empty(shape, x.options());
  const float* s = src.data_ptr<float>();
  float* d = dst.data_ptr<float>();
  parallel_ranges(src.numel() / in_, [&](int64_t first, int64_t last) {
    FlushSubnormals flush;
    for (int64_t r = first; r < last; ++r) {
      const float* row = s + r * in_;
      for (int64_t i = 0; i < out_; ++i) {
        float acc = 0.0f;
        for (int64_t k = start_[i]; k < start_[i + 1]; ++k) acc += weight_[k] * row[index_[k]];
        d[r * out_ + i] = acc;
      }
    }
  });
  return dst;
}

at::Tensor AxisResize::middle_axis(const at::Tensor& x) const {
  LOCE_CHECK(x.dim() == 3 && x.size(1) == in_, "axis resize: middle axis of ", x.sizes(),
             " is not ", in_);
  const int64_t m = x.size(0), c = x.size(2);
  if (!loops_take(x)) return torch::matmul(dense_.to(x.device(), x.scalar_type()), x);
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
      for (int64_t k = start_[i]; k < start_[i + 1]; ++k) {
        const float w = weight_[k];
        const float* __restrict row = s + (p * in_ + index_[k]) * c;
        for (int64_t j = 0; j < c; ++j) o[j] += w * row[j];
      }
    }
  });
  return dst;
}

}  // namespace loce::embedding
