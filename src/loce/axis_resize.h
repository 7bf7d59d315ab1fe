#pragma once
// One axis of a bilinear resize, applied by the nonzeros of its matrix only. A bilinear matrix
// has at most two nonzeros per row (its transpose, for the gradient, a few more), so the
// reference mode's per-iteration resizes of the projection are a few multiply-adds per grid
// pixel. As dense products they went through OpenBLAS, whose threads kept spinning afterwards on
// the cores the projection needed (a third of a full-resolution LoCE's time on 2 cores). CPU
// float32 tensors take the sparse loops on our threads; other tensors a dense product.
#include <cstdint>
#include <vector>

#include <ATen/Tensor.h>

namespace loce::embedding {

class AxisResize {
 public:
  // [out, in], best on the device of the tensors it will resize (the dense product then uses it
  // without a copy; the loops read a CPU copy of its nonzeros made here).
  explicit AxisResize(const at::Tensor& matrix);

  at::Tensor last_axis(const at::Tensor& x) const;    // [..., in] -> [..., out]
  at::Tensor middle_axis(const at::Tensor& x) const;  // [m, in, c] -> [m, out, c]

 private:
  int64_t in_, out_;
  at::Tensor dense_;  // [out, in]: the matrix as given, for tensors the loops do not take
  // The nonzeros as a fixed number of taps per output (rows with fewer are padded with weight 0
  // at one of their own indices), tap-major: output i sums weight_[t * out_ + i] *
  // input[index_[t * out_ + i]] over t in [0, taps_), in the order of the matrix's columns. A
  // fixed count lets the last-axis loop run over all outputs at once as vector gathers.
  int64_t taps_ = 0;
  std::vector<int32_t> index_;
  std::vector<float> weight_;
};

}  // namespace loce::embedding
