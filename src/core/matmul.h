#pragma once
// a b^T for the analysis's big float32 products (pairwise distances, the GMM's Mahalanobis
// terms). On CPU, float32 goes through oneDNN's inner product where oneDNN is in use
// (core/onednn.h: LibTorch 1.x): on the 2-core Zen 5 VM its AVX-512 kernels made the analysis
// benchmark's distance pass 1.45x faster than the OpenBLAS sgemm (Haswell kernels) behind
// at::mm (2.0-2.1 vs 2.9-3.1 s, three alternating runs each), with float32 accuracy.
// Everything else, float64 and CUDA included, is at::mm. LOCE_ONEDNN_MATMUL=0 in the
// environment turns the oneDNN path off (for comparisons).
#include <ATen/Tensor.h>

namespace loce {

// a [m, k], b [n, k] -> [m, n] (dense, a's dtype and device).
at::Tensor matmul_nt(const at::Tensor& a, const at::Tensor& b);

// Whether matmul_nt takes the oneDNN path for float32 CPU tensors in this process.
bool onednn_matmul_enabled();

}  // namespace loce
