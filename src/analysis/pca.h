#pragma once
// Principal component analysis by the eigendecomposition of the covariance matrix (d x d, cheap
// for N >> d and identical to the SVD of the centred data up to rounding), with scikit-learn's
// sign convention (svd_flip, u-based: in each projected column the entry of largest magnitude
// is positive), so projections match sklearn.decomposition.PCA.
#include <cstdint>

#include <ATen/Tensor.h>

namespace loce::analysis {

struct Pca {
  at::Tensor mean;                // [d] float64
  at::Tensor components;          // [k, d] float64, rows = principal axes
  at::Tensor explained_variance;  // [k] float64 (unbiased, / (N - 1))
  at::Tensor transform(const at::Tensor& x) const;  // [n, k] float64
};

// x [n, d]; n_components <= min(n, d).
Pca fit_pca(const at::Tensor& x, int64_t n_components);

}  // namespace loce::analysis
