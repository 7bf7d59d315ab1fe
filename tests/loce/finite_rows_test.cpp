// The non-finite activations test: every position of a row, every kind of non-finite value, and
// the large and tiny finite values that must not count.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <limits>

#include "loce/finite_rows.h"

using namespace loce::embedding;

namespace {

std::vector<bool> as_vector(const at::Tensor& t) {
  std::vector<bool> out;
  for (int64_t i = 0; i < t.size(0); ++i) out.push_back(t[i].item<bool>());
  return out;
}

}  // namespace

TEST(FiniteRows, EachKindOfNonFiniteValueAnywhereInARowIsFound) {
  constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
  constexpr float kInf = std::numeric_limits<float>::infinity();
  // Rows of 3 x 300 x 1000 elements span several work blocks; positions at the start, inside a
  // later block and at the very end.
  at::Tensor x = torch::randn({5, 3, 300, 1000});
  x[1][0][0][0] = kNaN;
  x[2][1][150][7] = kInf;
  x[3][2][299][999] = -kInf;
  x[4][0][0][0] = std::numeric_limits<float>::max();           // finite extremes
  x[4][1][0][0] = std::numeric_limits<float>::denorm_min();
  x[4][2][0][0] = -std::numeric_limits<float>::max();
  EXPECT_EQ(as_vector(finite_rows(x)), (std::vector<bool>{true, false, false, false, true}));
  // Other dtypes take LibTorch's path and agree.
  EXPECT_EQ(as_vector(finite_rows(x.to(torch::kFloat64))), as_vector(finite_rows(x)));
  // A non-contiguous view is read as its values.
  EXPECT_EQ(as_vector(finite_rows(x.transpose(2, 3))), as_vector(finite_rows(x)));
}

TEST(FiniteRows, EmptyAndOneElementRows) {
  EXPECT_EQ(finite_rows(torch::zeros({0, 4})).size(0), 0);
  at::Tensor x = torch::zeros({3});
  x[1] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(as_vector(finite_rows(x)), (std::vector<bool>{true, false, true}));
}
