#pragma once
// One exact O(N^2) pass over all pairwise Euclidean distances, in tiles, from which the
// silhouette, the intra-concept distances, the pairwise overlap and the kNN accuracy all follow:
// for each point i it records
//   sum_to[i, c]   = sum_{j in c} |x_i - x_j|      (the self distance counts as 0)
//   nearest[i, c]  = min_{j in c, j != i} |x_i - x_j| (+inf when c holds no other point)
//   knn[i, 0..k)   = concepts of the k nearest other points, nearest first; at equal distances
//                    the lower index (in the caller's order) counts as the nearer, so that
//                    the neighbours do not depend on the tile size or the number of ranks.
// The distance matrix is symmetric, so only the tiles on and above the diagonal are computed and
// each off-diagonal tile serves its rows and its columns. The points are sorted by concept
// first, so a concept's points are a contiguous range of columns and its sum and minimum are
// slice reductions (distance_tile.h: one fused pass per tile on CPU).
// Distributed: every rank holds all points, computes its share of the tiles (round robin) into
// accumulators for all points, and one sum, one min and one gather combine them; each rank then
// keeps its own block of rows (shard_rows). The pass runs on the points' device.
#include <cstdint>

#include <ATen/Tensor.h>

#include "analysis/collectives.h"
#include "analysis/distance_tile.h"
#include "dist/communicator.h"

namespace loce::analysis {

struct DistanceStatistics {
  RowRange rows;          // this rank's rows of the full point set
  at::Tensor labels;      // [rows] int64, concepts of those rows
  at::Tensor sum_to;      // [rows, n_concepts] float64
  at::Tensor nearest;     // [rows, n_concepts] float64
  at::Tensor knn;         // [rows, k] int64
  at::Tensor counts;      // [n_concepts] float64, points per concept (all ranks)
  int64_t n_points = 0;
};

struct DistanceOptions {
  int64_t knn_k = 5;
  // Distances from float32 products (accumulated in float64) instead of float64 throughout.
  bool mixed_precision = false;
  int64_t tile = 2048;  // square tiles of tile x tile distances
  TileKernel kernel = TileKernel::Auto;  // see distance_tile.h
};

// x [n, d] all points (identical on every rank), labels [n] in [0, n_concepts).
DistanceStatistics distance_statistics(const at::Tensor& x, const at::Tensor& labels,
                                       int64_t n_concepts, const DistanceOptions& options = {},
                                       dist::Communicator* comm = nullptr);

}  // namespace loce::analysis
