// Under mpirun -np 3: every rank's shard is disjoint from the others', and together they cover
// the epoch, checked by gathering the real shards of real processes.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <set>

#include "data/sampler.h"
#include "dist/world.h"

using namespace loce;

TEST(MpiSampler, DisjointCoverageAcrossRanks) {
  auto comm = dist::cpu_communicator();
  const int64_t n = 61, b = 4;
  data::DistributedSampler s(n, comm->rank(), comm->size(), b, 5);
  for (int64_t epoch = 0; epoch < 3; ++epoch) {
    s.set_epoch(epoch);
    auto mine = s.shard();
    at::Tensor t = torch::tensor(mine, torch::kLong);
    at::Tensor all = comm->all_gather(t);
    std::set<int64_t> seen;
    for (int64_t i = 0; i < all.numel(); ++i) {
      int64_t idx = all[i].item<int64_t>();
      EXPECT_GE(idx, 0);
      EXPECT_LT(idx, n);
      EXPECT_TRUE(seen.insert(idx).second) << "index " << idx << " appears twice";
    }
    EXPECT_EQ(int64_t(seen.size()), (n / (b * comm->size())) * b * comm->size());
  }
}
