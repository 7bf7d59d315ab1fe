#include <gtest/gtest.h>
#include <torch/torch.h>

#include "loce/pair_plan.h"

using namespace loce::embedding;

TEST(PairPlan, ReferenceBatchesAreConsecutiveKeptPairsPerConcept) {
  // 140 rows, 2 concepts; concept 0 keeps every row, concept 1 skips every 10th row (126 kept).
  at::Tensor skip = torch::zeros({140, 2}, torch::kUInt8);
  for (int64_t r = 0; r < 140; r += 10) skip[r][1] = 1;
  at::Tensor b = reference_batch_sizes(skip, 64);
  EXPECT_EQ(b[0][0].item<float>(), 64);
  EXPECT_EQ(b[127][0].item<float>(), 64);
  EXPECT_EQ(b[128][0].item<float>(), 12);  // 140 = 64 + 64 + 12
  EXPECT_EQ(b[139][0].item<float>(), 12);
  EXPECT_EQ(b[0][1].item<float>(), 0);      // skipped
  EXPECT_EQ(b[1][1].item<float>(), 64);
  // Concept 1: 126 kept = 64 + 62; its 65th kept pair is row 72 (rows 0,10,...,70 skipped).
  EXPECT_EQ(b[71][1].item<float>(), 64);
  EXPECT_EQ(b[72][1].item<float>(), 62);
  EXPECT_EQ((b > 0).sum().item<int64_t>(), 140 + 126);
}

TEST(PairPlan, ShardsAreContiguousAndBalancedByPairs) {
  // Rows with very different pair counts: 100 rows of 5 pairs then 100 rows of 1 pair.
  at::Tensor kept = torch::cat({torch::full({100}, 5), torch::full({100}, 1)});
  for (int world : {1, 2, 3, 7}) {
    auto begin = shard_rows(kept, world);
    ASSERT_EQ(begin.size(), size_t(world + 1));
    EXPECT_EQ(begin.front(), 0);
    EXPECT_EQ(begin.back(), 200);
    for (int r = 0; r < world; ++r) {
      EXPECT_LE(begin[r], begin[r + 1]);
      int64_t pairs = kept.slice(0, begin[r], begin[r + 1]).sum().item<int64_t>();
      EXPECT_NEAR(double(pairs), 600.0 / world, 5.0) << "rank " << r << " of " << world;
    }
  }
  // More ranks than rows: two ranks get one row each, the others nothing.
  auto begin = shard_rows(torch::ones({2}), 4);
  ASSERT_EQ(begin.size(), 5u);
  EXPECT_EQ(begin.front(), 0);
  EXPECT_EQ(begin.back(), 2);
  for (int r = 0; r < 4; ++r) EXPECT_LE(begin[r + 1] - begin[r], 1);
}

TEST(PairPlan, ChunksCoverTheRange) {
  EXPECT_EQ(chunk_rows(3, 10, 4), (std::vector<int64_t>{3, 7, 10}));
  EXPECT_EQ(chunk_rows(5, 5, 4), (std::vector<int64_t>{5}));
}
