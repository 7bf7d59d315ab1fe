// Barlow Twins over the global batch: N ranks holding slices of a batch give exactly the loss of
// one rank holding all of it, and their gradients, averaged as data parallelism averages them,
// are the one-rank gradients.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/seed.h"
#include "dist/self_communicator.h"
#include "dist/world.h"
#include "ssl/barlow_loss.h"

using namespace loce;

TEST(MpiBarlowTwins, RanksTogetherGiveTheOneRankLossAndGradient) {
  auto comm = dist::cpu_communicator();
  const int R = comm->size(), r = comm->rank();
  const int64_t b = 6, D = 5;
  // Every rank builds the same global batch and takes its slice.
  auto g = make_generator(17, 0, 0);
  auto z1 = at::randn({R * b, D}, g, at::kDouble), z2 = at::randn({R * b, D}, g, at::kDouble);

  dist::SelfCommunicator self;
  auto full1 = z1.clone().requires_grad_(true);
  auto one_rank = ssl::barlow_twins_loss(full1, z2, 0.0051, self);
  one_rank.backward();

  auto mine1 = z1.slice(0, r * b, (r + 1) * b).clone().requires_grad_(true);
  auto mine2 = z2.slice(0, r * b, (r + 1) * b);
  auto global = ssl::barlow_twins_loss(mine1, mine2, 0.0051, *comm);
  EXPECT_NEAR(global.item<double>(), one_rank.item<double>(), 1e-10);
  global.backward();
  // The data-parallel average divides by R: each rank's gradient is R times its share.
  auto expected = full1.grad().slice(0, r * b, (r + 1) * b);
  EXPECT_TRUE(torch::allclose(mine1.grad() / double(R), expected, 1e-9, 1e-10))
      << (mine1.grad() / double(R) - expected).abs().max().item<double>();
  EXPECT_GT(R, 1) << "run this under mpirun -np 2";
}
