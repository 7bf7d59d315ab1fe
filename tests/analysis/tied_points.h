#pragma once
// Points whose distances tie exactly, for the tests of the kNN tie-breaking: 256 points on the
// integer grid {-2, ..., 2}^3 (about 2 on each position, a dozen at the nearest distances), in
// 3 concepts drawn at random so that sorting the points by concept reorders them. The second
// half is the first negated: the mean is exactly 0 and every distance the distance pass
// computes, in float32 or float64, is exact, so equal distances come out bit-equal.
#include <torch/torch.h>

#include <cstdint>
#include <limits>

namespace loce::test {

struct TiedPoints {
  at::Tensor x;       // [256, 3] float64
  at::Tensor labels;  // [256] int64 in [0, n_concepts)
  static constexpr int64_t n_concepts = 3;
};

inline TiedPoints tied_points() {
  at::Generator gen = at::detail::createCPUGenerator(11);
  at::Tensor half = torch::randint(-2, 3, {128, 3}, gen, torch::kFloat64);
  return {torch::cat({half, -half}),
          torch::randint(0, TiedPoints::n_concepts, {256}, gen, torch::kInt64)};
}

// Squared distances [n, n] from differences: exact on the grid.
inline at::Tensor exact_squared_distances(const at::Tensor& x) {
  return (x.unsqueeze(1) - x.unsqueeze(0)).pow(2).sum(2);
}

// Leave-one-out k nearest neighbours by brute force, their concepts [n, k]: a stable sort of
// each row, so that of equal distances the lower index comes first.
inline at::Tensor brute_force_knn(const at::Tensor& x, const at::Tensor& labels, int64_t k) {
  at::Tensor d2 = exact_squared_distances(x);
  d2.fill_diagonal_(std::numeric_limits<double>::infinity());
  at::Tensor nearest = std::get<1>(d2.sort(/*stable=*/true, 1, /*descending=*/false)).narrow(1, 0, k);
  return labels.index_select(0, nearest.flatten()).view({x.size(0), k});
}

}  // namespace loce::test
