#pragma once
// Euclidean distances between blocks of points, the building block of k-means++, the
// silhouette, the nearest-neighbour metrics and UMAP's kNN graph. Full N x N matrices are never
// materialised: callers walk tiles.
#include <ATen/Tensor.h>

namespace loce::analysis {

// Squared distances ||a_i - b_j||^2 = ||a_i||^2 - 2 a_i.b_j + ||b_j||^2 (the expansion used by
// scikit-learn's euclidean_distances, so results agree with it), clamped at 0 because rounding
// can make the expansion slightly negative. a [n, d], b [m, d], same dtype and device;
// a_sq [n] and b_sq [m] are the squared row norms (pass undefined tensors to compute them).
at::Tensor squared_distances(const at::Tensor& a, const at::Tensor& b,
                             at::Tensor a_sq = {}, at::Tensor b_sq = {});

// The same from the products p = a b^T [n, m] (overwritten and returned).
at::Tensor squared_distances_from_products(at::Tensor p, const at::Tensor& a_sq,
                                           const at::Tensor& b_sq);

// Squared row norms, [n].
at::Tensor squared_norms(const at::Tensor& x);

// Rows per tile so that a [rows, cols] float64 tile stays near `budget_bytes`.
int64_t tile_rows(int64_t cols, int64_t budget_bytes = int64_t(64) << 20);

}  // namespace loce::analysis
