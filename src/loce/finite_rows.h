#pragma once
// Which rows of a tensor hold only finite values: the LoCE stage's test for non-finite
// activations, one pass over each row's bytes.
#include <ATen/Tensor.h>

namespace loce::embedding {

// bool [n] for x [n, ...]: true where every element of the row is finite (neither inf nor NaN).
// Float32 CPU tensors are read once, as their IEEE bits, on all threads (a float32 row of
// 1024 x 64 x 128 in about 1 ms on two cores); other dtypes and devices use LibTorch.
at::Tensor finite_rows(const at::Tensor& x);

}  // namespace loce::embedding
