// Sharding over MPI ranks: `mpirun -np N` gives the same vectors as one rank (1e-5 relative),
// in the same order, with every rank optimising only its own rows.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/error.h"
#include "core/hdf5.h"
#include "dist/self_communicator.h"
#include "dist/world.h"
#include "loce/from_activations.h"
#include "loce/loce_file.h"
#include "loce/resize_matrices.h"
#include "support/test_support.h"

using namespace loce;
using namespace loce::embedding;

namespace {

// Rank 0 makes the folder and writes the input; every rank learns the folder.
std::string shared_input(dist::Communicator& comm) {
  std::string dir;
  if (comm.is_root()) {
    dir = test::temp_dir("loce_mpi");
    torch::manual_seed(11);
    const int64_t P = 150, C = 16;  // three reference batches: 64, 64, 22 (minus skips)
    at::Tensor masks = (torch::rand({P, 16, 32}) < torch::rand({P, 1, 1}) * 0.6 + 0.2);
    masks[7].fill_(false);  // skipped: the reference batches shift, identically on every rank
    at::Tensor acts = torch::relu(
        torch::randn({P, C, 4, 8}) +
        resize_nearest(masks.unsqueeze(1).to(torch::kFloat32), 4, 8) *
            torch::randn({1, C, 1, 1}));
    auto f = h5::File::create(dir + "/in.h5");
    h5::write_tensor(f, "/activations", acts);
    h5::write_tensor(f, "/masks", masks.to(torch::kUInt8));
  }
  comm.broadcast_bytes(dir, 0);
  return dir;
}

void expect_rank_independent(Mode mode) {
  auto comm = dist::cpu_communicator();
  ASSERT_GT(comm->size(), 1) << "run under mpirun -np 2 or more";
  const std::string dir = shared_input(*comm);
  OptimizerSettings s;
  s.mode = mode;
  s.iterations = 20;
  s.memory_budget_bytes = 2 << 20;  // several chunks per rank, different counts per rank
  const std::string tag = to_string(mode);
  embed_from_activations(dir + "/in.h5", dir + "/" + tag + "_n.h5", s, c10::kCPU, *comm);
  if (comm->is_root()) {
    dist::SelfCommunicator self;
    s.memory_budget_bytes = 64 << 20;  // one chunk
    embed_from_activations(dir + "/in.h5", dir + "/" + tag + "_1.h5", s, c10::kCPU, self);
    LoceTable n = read_loce_file(dir + "/" + tag + "_n.h5");
    LoceTable one = read_loce_file(dir + "/" + tag + "_1.h5");
    ASSERT_EQ(n.vectors.sizes(), one.vectors.sizes());
    EXPECT_EQ(n.vectors.size(0), 149);
    EXPECT_TRUE(torch::equal(n.image, one.image));
    at::Tensor rel = (n.vectors - one.vectors).norm(2, 1) / one.vectors.norm(2, 1);
    EXPECT_LT(rel.max().item<float>(), 1e-5);
    EXPECT_TRUE(torch::allclose(n.loss, one.loss, 1e-5, 1e-7));
    EXPECT_LT((n.iou - one.iou).abs().max().item<float>(), 2e-3);  // a borderline pixel may flip
  }
  comm->barrier();
}

}  // namespace

TEST(LoceSharding, ReferenceModeDoesNotDependOnRanks) { expect_rank_independent(Mode::Reference); }
TEST(LoceSharding, NativeModeDoesNotDependOnRanks) { expect_rank_independent(Mode::Native); }

TEST(LoceSharding, AnUnusableOutputStopsEveryRankBeforeTheWork) {
  // Rank 0 alone checks the path; every rank raises the error together.
  auto comm = dist::cpu_communicator();
  const std::string dir = shared_input(*comm);
  EXPECT_THROW(embed_from_activations(dir + "/in.h5", dir + "/in.h5/sub/out.h5",
                                      OptimizerSettings{}, c10::kCPU, *comm),
               CollectiveInputError);
  comm->barrier();
}
