#include "analysis/distance_tile.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "analysis/pairwise_distance.h"
#include "core/cpu_clones.h"
#include "core/error.h"
#include "core/parallel.h"

namespace loce::analysis {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// ------------------------------------------------------------------ tensor operations

// The concepts' ranges among a tile's columns (or rows) [start, start + count), relative to
// `start`: fn(c, lo, hi) for each concept present.
template <typename Fn>
void for_each_concept(const std::vector<int64_t>& first, int64_t start, int64_t count, Fn&& fn) {
  for (size_t c = 0; c + 1 < first.size(); ++c) {
    const int64_t lo = std::max(first[c], start), hi = std::min(first[c + 1], start + count);
    if (lo < hi) fn(int64_t(c), lo - start, hi - start);
  }
}

// Sums (resp. minima) of distances d [m, t] (rows at row0, columns at col0) into the rows'
// entries.
void fold_row_sums(const at::Tensor& d, int64_t row0, int64_t col0, DistanceAccumulators& acc) {
  at::Tensor sums = acc.sum_to.narrow(0, row0, d.size(0));
  for_each_concept(acc.first, col0, d.size(1), [&](int64_t c, int64_t lo, int64_t hi) {
    sums.select(1, c) += d.narrow(1, lo, hi - lo).sum(1, false, torch::kFloat64);
  });
}

void fold_row_minima(const at::Tensor& d, int64_t row0, int64_t col0, DistanceAccumulators& acc) {
  at::Tensor mins = acc.nearest.narrow(0, row0, d.size(0));
  for_each_concept(acc.first, col0, d.size(1), [&](int64_t c, int64_t lo, int64_t hi) {
    at::Tensor m = d.narrow(1, lo, hi - lo).amin(1).to(torch::kFloat64);
    mins.select(1, c).copy_(torch::minimum(mins.select(1, c), m));
  });
}

TileMinima fold_tensor(DistanceTile& t, DistanceAccumulators& acc) {
  const int64_t tr = t.d.size(0), tc = t.d.size(1);
  const bool diagonal = t.diagonal();
  at::Tensor d = squared_distances_from_products(t.d, acc.x_sq.narrow(0, t.row0, tr),
                                                 acc.x_sq.narrow(0, t.col0, tc));
  if (diagonal) d.fill_diagonal_(0.0);  // self pairs count exactly 0 in the sums
  d.sqrt_();
  fold_row_sums(d, t.row0, t.col0, acc);
  if (!diagonal) fold_row_sums(d.t(), t.col0, t.row0, acc);
  if (diagonal) d.fill_diagonal_(kInf);  // and are no one's nearest or neighbour
  fold_row_minima(d, t.row0, t.col0, acc);
  if (!diagonal) fold_row_minima(d.t(), t.col0, t.row0, acc);
  TileMinima m;
  m.rows = d.amin(1).to(torch::kFloat64);
  if (!diagonal) m.cols = d.amin(0).to(torch::kFloat64);
  return m;
}

// ------------------------------------------------------------------ fused CPU pass

constexpr int64_t kRowBlock = 256;  // rows per column-statistics block
constexpr int kLanes = 16;          // independent accumulators, so that the loop vectorises

template <typename T>
struct FusedTile {
  T* d;                       // [tr, tc]
  int64_t tr, tc, C;
  const T* a_sq;              // [tr] squared norms of the rows
  const T* b_sq;              // [tc] of the columns
  const int64_t* seg;         // [C + 1] concept column ranges relative to the tile, clamped
  const int64_t* concept_id;  // [tr] concept of each row
  double* row_sum;            // [tr, C] the rows' entries of acc.sum_to
  double* row_near;           // [tr, C] of acc.nearest
  double* row_min;            // [tr]
  double* col_sum;            // [blocks, C, tc] per row block; null for a diagonal tile
  T* col_min;                 // [blocks, C, tc]
  bool diagonal;
};

// Distances of row i's columns [lo, hi) of one concept; adds their sum and minimum to sum and
// min and, with kColumns, folds them into the column statistics of the row's concept (cs, cm).
// Written as short fixed-length loops over kLanes independent accumulators, each kept from
// being unrolled, which GCC turns into vector code (sqrt, float->double, min as blends).
template <typename T, bool kColumns>
LOCE_ALWAYS_INLINE void fold_segment(T* __restrict row, const T* __restrict b_sq, T a, int64_t lo,
                                     int64_t hi, double* __restrict cs, T* __restrict cm,
                                     double& sum, T& min) {
  const T inf = std::numeric_limits<T>::infinity();
  double s[kLanes];
  T m[kLanes], v[kLanes];
  LOCE_NO_UNROLL for (int l = 0; l < kLanes; ++l) s[l] = 0, m[l] = inf;
  auto distance = [&](int64_t j) {
    const T u = row[j] * T(-2) + b_sq[j] + a;  // the order of squared_distances_from_products
    return std::sqrt(u > T(0) ? u : T(0));
  };
  int64_t j = lo;
  for (; j + kLanes <= hi; j += kLanes) {
    LOCE_NO_UNROLL for (int l = 0; l < kLanes; ++l) v[l] = distance(j + l);
    LOCE_NO_UNROLL for (int l = 0; l < kLanes; ++l) row[j + l] = v[l];
    LOCE_NO_UNROLL for (int l = 0; l < kLanes; ++l) s[l] += double(v[l]);
    LOCE_NO_UNROLL for (int l = 0; l < kLanes; ++l) m[l] = v[l] < m[l] ? v[l] : m[l];
    if (kColumns) {
      LOCE_NO_UNROLL for (int l = 0; l < kLanes; ++l) cs[j + l] += double(v[l]);
      LOCE_NO_UNROLL for (int l = 0; l < kLanes; ++l) cm[j + l] = v[l] < cm[j + l] ? v[l] : cm[j + l];
    }
  }
  for (; j < hi; ++j) {
    const T x = distance(j);
    row[j] = x;
    s[0] += double(x);
    m[0] = x < m[0] ? x : m[0];
    if (kColumns) {
      cs[j] += double(x);
      cm[j] = x < cm[j] ? x : cm[j];
    }
  }
  for (int l = 0; l < kLanes; ++l) {
    sum += s[l];
    min = m[l] < min ? m[l] : min;
  }
}

template <typename T>
LOCE_ALWAYS_INLINE void fold_rows_body(const FusedTile<T>& t, int64_t begin, int64_t end) {
  const T inf = std::numeric_limits<T>::infinity();
  for (int64_t i = begin; i < end; ++i) {
    T* row = t.d + i * t.tc;
    const int64_t ci = t.concept_id[i], block = i / kRowBlock;
    double* cs = t.col_sum ? t.col_sum + (block * t.C + ci) * t.tc : nullptr;
    T* cm = t.col_sum ? t.col_min + (block * t.C + ci) * t.tc : nullptr;
    T row_min = inf;
    for (int64_t c = 0; c < t.C; ++c) {
      const int64_t lo = t.seg[c], hi = t.seg[c + 1];
      if (lo >= hi) continue;
      double sum = 0;
      T min = inf;
      if (cs) {
        fold_segment<T, true>(row, t.b_sq, t.a_sq[i], lo, hi, cs, cm, sum, min);
      } else if (t.diagonal && lo <= i && i < hi) {  // skip the self pair
        fold_segment<T, false>(row, t.b_sq, t.a_sq[i], lo, i, nullptr, nullptr, sum, min);
        fold_segment<T, false>(row, t.b_sq, t.a_sq[i], i + 1, hi, nullptr, nullptr, sum, min);
        row[i] = inf;
      } else {
        fold_segment<T, false>(row, t.b_sq, t.a_sq[i], lo, hi, nullptr, nullptr, sum, min);
      }
      t.row_sum[i * t.C + c] += sum;
      t.row_near[i * t.C + c] = std::min(t.row_near[i * t.C + c], double(min));
      row_min = std::min(row_min, min);
    }
    t.row_min[i] = double(row_min);
  }
}

LOCE_CPU_CLONES void fold_rows(const FusedTile<float>& t, int64_t begin, int64_t end) {
  fold_rows_body(t, begin, end);
}
LOCE_CPU_CLONES void fold_rows(const FusedTile<double>& t, int64_t begin, int64_t end) {
  fold_rows_body(t, begin, end);
}

template <typename T>
TileMinima fold_fused(DistanceTile& tile, DistanceAccumulators& acc) {
  const int64_t tr = tile.d.size(0), tc = tile.d.size(1);
  const int64_t C = int64_t(acc.first.size()) - 1;
  const bool diagonal = tile.diagonal();
  LOCE_CHECK(tile.d.is_contiguous() && acc.sum_to.is_contiguous() && acc.nearest.is_contiguous(),
             "distance tile: contiguous tensors expected");
  LOCE_CHECK(!diagonal || tr == tc, "distance tile: a diagonal tile must be square");
  std::vector<int64_t> seg(C + 1), concept_id(tr);
  for (int64_t c = 0; c <= C; ++c) seg[c] = std::clamp(acc.first[c] - tile.col0, int64_t(0), tc);
  for_each_concept(acc.first, tile.row0, tr, [&](int64_t c, int64_t lo, int64_t hi) {
    std::fill(concept_id.begin() + lo, concept_id.begin() + hi, c);
  });

  const int64_t blocks = (tr + kRowBlock - 1) / kRowBlock;
  at::Tensor row_min = torch::empty({tr}, torch::kFloat64), col_sum, col_min;
  if (!diagonal) {
    col_sum = torch::zeros({blocks, C, tc}, torch::kFloat64);
    col_min = torch::full({blocks, C, tc}, std::numeric_limits<T>::infinity(), tile.d.options());
  }
  FusedTile<T> t{tile.d.data_ptr<T>(), tr, tc, C,
                 acc.x_sq.data_ptr<T>() + tile.row0, acc.x_sq.data_ptr<T>() + tile.col0,
                 seg.data(), concept_id.data(),
                 acc.sum_to.data_ptr<double>() + tile.row0 * C,
                 acc.nearest.data_ptr<double>() + tile.row0 * C, row_min.data_ptr<double>(),
                 diagonal ? nullptr : col_sum.data_ptr<double>(),
                 diagonal ? nullptr : col_min.data_ptr<T>(), diagonal};
  parallel_ranges(blocks, [&](int64_t b0, int64_t b1) {
    fold_rows(t, b0 * kRowBlock, std::min(b1 * kRowBlock, tr));
  });

  TileMinima m;
  m.rows = row_min;
  if (!diagonal) {
    // Columns: the blocks' partial statistics in block order, then into the accumulators
    // (concepts a block never saw hold 0 and +inf, which change nothing).
    at::Tensor sums = col_sum.sum(0).t();                                  // [tc, C]
    at::Tensor mins = std::get<0>(col_min.min(0)).t().to(torch::kFloat64);  // [tc, C]
    acc.sum_to.narrow(0, tile.col0, tc) += sums;
    at::Tensor near = acc.nearest.narrow(0, tile.col0, tc);
    near.copy_(torch::minimum(near, mins));
    m.cols = mins.amin(1);
  }
  return m;
}

}  // namespace

TileMinima fold_distance_tile(DistanceTile& tile, DistanceAccumulators& acc, TileKernel kernel) {
  if (kernel == TileKernel::Auto)
    kernel = tile.d.is_cpu() ? TileKernel::FusedCpu : TileKernel::Tensor;
  if (kernel == TileKernel::Tensor) return fold_tensor(tile, acc);
  LOCE_CHECK(tile.d.is_cpu(), "distance tile: the fused kernel runs on CPU tensors only");
  if (tile.d.scalar_type() == at::kFloat) return fold_fused<float>(tile, acc);
  LOCE_CHECK(tile.d.scalar_type() == at::kDouble, "distance tile: float32 or float64 expected");
  return fold_fused<double>(tile, acc);
}

}  // namespace loce::analysis
