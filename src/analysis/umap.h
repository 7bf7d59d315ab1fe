#pragma once
// UMAP (McInnes, Healy & Melville 2018) to a low-dimensional embedding, written in LibTorch so
// that it runs where the points are. The steps and defaults follow umap-learn 0.5:
//  1. exact k-nearest-neighbour graph (n_neighbors 15, the point itself included), Euclidean;
//  2. fuzzy simplicial set: per point rho = distance to the nearest other point and sigma by
//     bisection so that sum_j exp(-(d_j - rho)/sigma) = log2(n_neighbors); memberships
//     w_ij = exp(-max(0, d_ij - rho_i)/sigma_i), symmetrised by the fuzzy union
//     w = a + b - a b;
//  3. low-dimensional similarity 1 / (1 + a d^(2b)) with a, b fitted (least squares) to the
//     offset exponential defined by min_dist 0.1 and spread 1;
//  4. initialisation: spectral (eigenvectors of the normalised graph Laplacian; dense, used up
//     to `spectral_max_points`) or PCA, scaled to [0, 10] per axis. Where the graph falls apart
//     into several connected components, umap-learn lays each out separately; here PCA is used
//     instead;
//  5. SGD on the fuzzy cross-entropy with negative sampling (5 per positive sample), edges
//     sampled in proportion to their weight, learning rate 1 decaying linearly, gradients
//     clipped to +-4; n_epochs 500 up to 10 000 points, 200 above.
// Unlike umap-learn's sequential (Hogwild) loop, each epoch applies all sampled edges' updates
// at once from the same positions: the form GPU implementations use. Seeded: the same seed
// gives the same embedding on the same device and LibTorch build.
#include <cstdint>
#include <string>

#include <ATen/Tensor.h>

namespace loce::analysis {

struct UmapOptions {
  int64_t n_components = 2;
  int64_t n_neighbors = 15;
  double min_dist = 0.1;
  double spread = 1.0;
  int64_t n_epochs = 0;  // 0: 500 for n <= 10 000, else 200
  double learning_rate = 1.0;
  int64_t negative_sample_rate = 5;
  double repulsion_strength = 1.0;
  std::string init = "spectral";  // spectral | pca
  int64_t spectral_max_points = 3000;  // above this, spectral falls back to PCA
  uint64_t seed = 42;
};

// The curve parameters a, b for min_dist and spread (umap-learn's find_ab_params).
std::pair<double, double> umap_curve_parameters(double min_dist, double spread);

// x [n, d] -> [n, n_components] float32 on x's device; at least 3 points.
// An InputError naming the first option out of its range (umap-learn's checks).
void check_umap_options(const UmapOptions& o);

at::Tensor umap_embed(const at::Tensor& x, const UmapOptions& options = {});

}  // namespace loce::analysis
