#pragma once
// k-means (Lloyd's algorithm) as scikit-learn's KMeans runs it for GaussianMixture's default
// init_params="kmeans": from given centres, alternate nearest-centre labels and centre means
// until the labels stop changing, or the summed squared centre shift falls to
// tol * (mean per-feature variance), or max_iter; then the labels of the final centres.
// A centre that loses all its points stays where it was (scikit-learn moves it to a far point;
// with k-means++ seeds this does not happen on real data, and it is logged).
//
// Distributed: the points stay sharded; per-centre sums and counts, the variance and the
// number of changed labels are summed over ranks, so every rank holds the same centres.
#include <cstdint>

#include <ATen/Tensor.h>

#include "dist/communicator.h"

namespace loce::analysis {

struct KMeansOptions {
  int max_iter = 300;
  double tol = 1e-4;
  // Distances to the centres from float32 products (the means stay float64).
  bool mixed_precision = false;
};

struct KMeansResult {
  at::Tensor centres;  // [k, d] float64, identical on every rank
  at::Tensor labels;   // [n_local] int64, this rank's points
  int n_iter = 0;
};

// Collective. x_local [n_local, d]: this rank's points; centres [k, d]: the start (k-means++).
KMeansResult kmeans(const at::Tensor& x_local, const at::Tensor& centres,
                    const KMeansOptions& options = {}, dist::Communicator* comm = nullptr);

}  // namespace loce::analysis
