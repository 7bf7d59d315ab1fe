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
  // Compressed rows: output i sums weight_[k] * input[index_[k]] for k in [start_[i], start_[i+1]).
  std::vector<int64_t> start_, index_;
  std::vector<float> weight_;
};

}  // namespace loce::embedding
