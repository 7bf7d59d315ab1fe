#pragma once
// The two products of every LoCE iteration, for all rows of a chunk at once:
//   project       Z[i] = V[i] A[i]     V [n, K, C], A [n, C, hw] -> [n, K, hw]
//   back-project  G[i] = R[i] A[i]^T   R [n, K, hw]              -> [n, K, C]
// K (concepts sharing a row's activations) is small and A is large (32 MB per row at
// C 1024, 64x128), so both are memory-bound: the time is one pass over A. BLAS's GEMM packs A on
// every call for so few rows (5x the bytes; 4-6x slower at K 5) and GEMV serves only K 1. The CPU
// kernels stream A once per product for any K; on other devices the products are torch::bmm.
// Since AdamW updates each channel of V on its own, an iteration's back-projection, update and
// next projection can also share a single pass over A (back_project_update_project).
#include <cstdint>
#include <functional>

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

// Called with a row, a block of channels [c0, c1) and that row's gradients G[row] ([K, C], rows
// C apart), complete on the block; changes V[row, :, c0:c1]. Called from several threads at
// once, for disjoint blocks.
using ChannelBlockUpdate =
    std::function<void(int64_t row, int64_t c0, int64_t c1, const float* row_gradients)>;

// An iteration's two products in one pass over each row's activations (float32 CPU tensors):
// block by block of channels, G = R A^T on the block, then `update` changes V on it, then the
// block's share of Z = V A is added while its activations are still in cache. Returns Z for the
// updated V, [n, K, hw]. Bandwidth-bound as the products are, an iteration then reads A once
// instead of twice. vectors: contiguous float32 [n, K, C], changed only through `update`.
at::Tensor back_project_update_project(const at::Tensor& activations,
                                      const at::Tensor& grid_gradients, const at::Tensor& vectors,
                                      const ChannelBlockUpdate& update);

}  // namespace loce::embedding
