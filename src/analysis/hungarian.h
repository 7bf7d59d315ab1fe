#pragma once
// The Hungarian algorithm (Kuhn-Munkres, in the O(n^2 m) shortest-augmenting-path form with
// row and column potentials) for rectangular assignment problems.
#include <cstdint>
#include <vector>

namespace loce::analysis {

// cost: rows x cols, row-major. Returns, for each row, its assigned column, or -1 when
// rows > cols and the row is left out. Minimises the total cost over all assignments of
// min(rows, cols) pairs with distinct rows and columns.
std::vector<int64_t> hungarian_min_cost(const std::vector<double>& cost, int64_t rows, int64_t cols);

// Same, maximising the total (e.g. the overlap counts of a contingency table).
std::vector<int64_t> hungarian_max_profit(const std::vector<double>& profit, int64_t rows,
                                          int64_t cols);

}  // namespace loce::analysis
