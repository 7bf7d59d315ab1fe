#pragma once
// One tile of the exact pairwise distance pass (distance_statistics.h): turns the products
// x_i . x_j of a tile of rows and columns into distances and folds them into the per-point,
// per-concept sums and minima.
//
// Two implementations behind one call:
//  * tensor: LibTorch operations, on any device. It walks the tile about ten times (the
//    expansion, clamp and sqrt, then the sums and minima by rows and by columns, each with a
//    float64 cast); on a 2-core CPU that cost half as much as the tile's GEMM itself.
//  * fused CPU: one pass that reads and writes each entry once, accumulating in float64 as the
//    tensor version does, compiled for AVX-512 and AVX2 (core/cpu_clones.h). Its column sums are
//    formed in fixed row blocks and added in block order, so they do not depend on the number
//    of threads.
// Both give the same statistics up to float64 summation order.
#include <cstdint>
#include <vector>

#include <ATen/Tensor.h>

namespace loce::analysis {

// The running statistics over all n points, which are sorted by concept: concept c occupies
// points [first[c], first[c + 1]).
struct DistanceAccumulators {
  at::Tensor x_sq;             // [n] squared norms of the points, in the dtype of the tiles
  std::vector<int64_t> first;  // [C + 1]
  at::Tensor sum_to;           // [n, C] float64: sum of the distances to concept c's points
  at::Tensor nearest;          // [n, C] float64: smallest distance to another point of c
};

struct DistanceTile {
  at::Tensor d;  // [tr, tc] float32 or float64, contiguous. In: x_i . x_j. Out: the distances,
                 // +inf for a point and itself (no one is their own neighbour).
  int64_t row0 = 0, col0 = 0;  // the tile's first row and column among the sorted points
  bool diagonal() const { return row0 == col0; }
};

struct TileMinima {
  at::Tensor rows;  // [tr] float64: each row's smallest distance in the tile
  at::Tensor cols;  // [tc] float64: each column's (undefined for a diagonal tile)
};

enum class TileKernel { Auto, Tensor, FusedCpu };  // Auto: fused for CPU tensors

// Folds the tile's distances into the rows' sums and minima and, for an off-diagonal tile, the
// columns' too (the distance matrix is symmetric, so only tiles with row0 <= col0 are
// visited). A diagonal tile's self pairs count 0 in the sums and nothing in the minima.
TileMinima fold_distance_tile(DistanceTile& tile, DistanceAccumulators& acc,
                              TileKernel kernel = TileKernel::Auto);

}  // namespace loce::analysis
