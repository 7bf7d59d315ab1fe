#include <gtest/gtest.h>
#include <torch/torch.h>

#include <numeric>
#include <vector>

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

TEST(PairPlan, ShardsHoldOnlyRowsWithAKeptPairInEqualRuns) {
  // 400 rows, 2 concepts: rows 0..199 keep nothing, then rows keep one or both concepts. Every
  // kept row is optimised in both slots, so each costs the same whatever it keeps.
  at::Tensor batch = torch::zeros({400, 2});
  batch.slice(0, 200, 400).select(1, 0).fill_(64);
  batch.slice(0, 300, 400).select(1, 1).fill_(64);
  for (int world : {1, 2, 3, 7}) {
    auto shards = shard_kept_rows(batch, world);
    ASSERT_EQ(shards.size(), size_t(world));
    std::vector<int64_t> all;
    for (const auto& rows : shards) {
      EXPECT_NEAR(double(rows.size()), 200.0 / world, 1.0) << world << " ranks";
      all.insert(all.end(), rows.begin(), rows.end());
    }
    std::vector<int64_t> expected(200);
    std::iota(expected.begin(), expected.end(), 200);
    EXPECT_EQ(all, expected) << world << " ranks";  // contiguous, in order, kept rows only
  }
  // No kept pair: nothing for anyone. More ranks than rows: one row each at most.
  for (const auto& rows : shard_kept_rows(torch::zeros({5, 3}), 2)) EXPECT_TRUE(rows.empty());
  auto shards = shard_kept_rows(torch::ones({2, 1}), 4);
  ASSERT_EQ(shards.size(), 4u);
  for (const auto& rows : shards) EXPECT_LE(rows.size(), 1u);
}

TEST(PairPlan, ChunksCoverTheRange) {
  EXPECT_EQ(chunk_rows(3, 10, 4), (std::vector<int64_t>{3, 7, 10}));
  EXPECT_EQ(chunk_rows(5, 5, 4), (std::vector<int64_t>{5}));
}
