#pragma once
// The two products of every LoCE iteration, for all rows of a chunk at once:
//   project       Z[i] = V[i] A[i]     V [n, K, C], A [n, C, hw] -> [n, K, hw]
//   back-project  G[i] = R[i] A[i]^T   R [n, K, hw]              -> [n, K, C]
// K (concepts sharing a row's activations) is small and A is large (32 MB per row at
// C 1024, 64x128), so both are memory-bound: the time is one pass over A. BLAS's GEMM packs A on
// every call for so few rows (5x the bytes; 4-6x slower at K 5) and GEMV serves only K 1. The CPU
// kernels stream A once per product for any K; on other devices the products are torch::bmm.
#include <ATen/Tensor.h>

namespace loce::embedding {

enum class RowProductKernel {
  Auto,      // streaming kernels for float32 CPU tensors, bmm otherwise
  Bmm,       // torch::bmm (any device and dtype)
  StreamCpu  // the streaming kernels (float32, CPU)
};

at::Tensor project_rows(const at::Tensor& activations, const at::Tensor& vectors,
                        RowProductKernel kernel = RowProductKernel::Auto);
at::Tensor back_project_rows(const at::Tensor& activations, const at::Tensor& grid_gradients,
                             RowProductKernel kernel = RowProductKernel::Auto);

}  // namespace loce::embedding
