#include "analysis/hungarian.h"

#include <algorithm>
#include <limits>

#include "core/error.h"

namespace loce::analysis {

std::vector<int64_t> hungarian_min_cost(const std::vector<double>& cost, int64_t rows,
                                        int64_t cols) {
  LOCE_CHECK(int64_t(cost.size()) == rows * cols, "hungarian: cost has ", cost.size(),
             " entries, expected ", rows, "x", cols);
  if (rows == 0 || cols == 0) return std::vector<int64_t>(rows, -1);
  // The algorithm below needs n <= m: transpose when there are more rows than columns.
  const bool transposed = rows > cols;
  const int64_t n = transposed ? cols : rows, m = transposed ? rows : cols;
  auto a = [&](int64_t i, int64_t j) {  // 1-based, in the (n <= m) orientation
    return transposed ? cost[(j - 1) * cols + (i - 1)] : cost[(i - 1) * cols + (j - 1)];
  };
  const double inf = std::numeric_limits<double>::infinity();
  // u, v: potentials (reduced cost a(i,j) - u[i] - v[j] >= 0); p[j]: row matched to column j
  // (0 = none); way[j]: previous column on the shortest augmenting path.
  std::vector<double> u(n + 1, 0), v(m + 1, 0);
  std::vector<int64_t> p(m + 1, 0), way(m + 1, 0);
  for (int64_t i = 1; i <= n; ++i) {
    p[0] = i;
    int64_t j0 = 0;
    std::vector<double> minv(m + 1, inf);
    std::vector<char> used(m + 1, false);
    do {
      used[j0] = true;
      int64_t i0 = p[j0], j1 = 0;
      double delta = inf;
      for (int64_t j = 1; j <= m; ++j) {
        if (used[j]) continue;
        double cur = a(i0, j) - u[i0] - v[j];
        if (cur < minv[j]) { minv[j] = cur; way[j] = j0; }
        if (minv[j] < delta) { delta = minv[j]; j1 = j; }
      }
      for (int64_t j = 0; j <= m; ++j) {
        if (used[j]) { u[p[j]] += delta; v[j] -= delta; }
        else minv[j] -= delta;
      }
      j0 = j1;
    } while (p[j0] != 0);
    do {  // augment along the path
      int64_t j1 = way[j0];
      p[j0] = p[j1];
      j0 = j1;
    } while (j0 != 0);
  }
  std::vector<int64_t> assignment(rows, -1);
  for (int64_t j = 1; j <= m; ++j) {
    if (p[j] == 0) continue;
    if (transposed) assignment[j - 1] = p[j] - 1;
    else assignment[p[j] - 1] = j - 1;
  }
  return assignment;
}

std::vector<int64_t> hungarian_max_profit(const std::vector<double>& profit, int64_t rows,
                                          int64_t cols) {
  std::vector<double> cost(profit.size());
  double top = profit.empty() ? 0 : *std::max_element(profit.begin(), profit.end());
  for (size_t i = 0; i < profit.size(); ++i) cost[i] = top - profit[i];
  return hungarian_min_cost(cost, rows, cols);
}

}  // namespace loce::analysis
