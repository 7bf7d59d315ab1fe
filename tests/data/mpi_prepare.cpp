// `prepare` under mpirun -np 2: ranks decode shares, rank 0 writes; the cache equals a direct
// decode, and a corrupt frame decoded by rank 1 stops every rank with its file's name.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>

#include "core/error.h"
#include "data/cache.h"
#include "data/cityscapes.h"
#include "data/prepare.h"
#include "dist/world.h"
#include "support/test_support.h"
#include "tree_builder.h"

using namespace loce;
using namespace loce::data;
namespace fs = std::filesystem;

namespace {
// All ranks work in rank 0's folder (same machine).
std::string shared_temp(dist::Communicator& comm, const std::string& tag) {
  std::string dir = comm.rank() == 0 ? test::temp_dir(tag) : "";
  comm.broadcast_bytes(dir, 0);
  return dir;
}
}  // namespace

TEST(MpiPrepare, RanksShareTheDecoding) {
  auto comm = dist::cpu_communicator();
  std::string root = shared_temp(*comm, "mpitree");
  if (comm->rank() == 0)
    for (int i = 0; i < 7; ++i)
      test::write_random_frame(root, "val", "lindau", "lindau_" + std::to_string(100 + i) + "_000019",
                               12, 24, i);
  comm->barrier();
  PrepareOptions o;
  o.cityscapes = root;
  o.out = root + "/cache.h5";
  o.height = 6;
  o.width = 12;
  o.splits = {"val"};
  prepare_cache(o, *comm);
  comm->barrier();
  Cache cache(o.out);
  auto frames = scan_cityscapes(root, "val");
  ASSERT_EQ(cache.size("val"), 7);
  for (int64_t i = 0; i < 7; ++i) {
    auto d = load_frame(frames[i], 6, 12);
    auto b = cache.read_range("val", i, 1);
    EXPECT_TRUE(b.images[0].equal(d.image));
    EXPECT_TRUE(b.labels[0].equal(d.labels));
  }
}

TEST(MpiPrepare, CorruptFrameOnAnotherRankStopsAllRanks) {
  auto comm = dist::cpu_communicator();
  std::string root = shared_temp(*comm, "mpitree");
  if (comm->rank() == 0) {
    for (int i = 0; i < 4; ++i)
      test::write_random_frame(root, "val", "lindau", "lindau_" + std::to_string(100 + i) + "_000019",
                               12, 24, i);
    std::string bad = root + "/leftImg8bit/val/lindau/lindau_103_000019_leftImg8bit.png";
    fs::resize_file(bad, fs::file_size(bad) / 2);
  }
  comm->barrier();
  PrepareOptions o;
  o.cityscapes = root;
  o.out = root + "/out/cache.h5";
  o.height = 6;
  o.width = 12;
  o.splits = {"val"};
  o.frames_per_rank_round = 1;  // round 0: frames 0, 1; round 1: frames 2, 3 (rank 1: frame 3)
  try {
    prepare_cache(o, *comm);
    FAIL() << "expected an error on rank " << comm->rank();
  } catch (const CollectiveInputError& e) {
    EXPECT_NE(std::string(e.what()).find("lindau_103_000019_leftImg8bit.png"), std::string::npos)
        << e.what();
  }
  comm->barrier();
  EXPECT_TRUE(!fs::exists(o.out));
  if (fs::exists(root + "/out")) {
    EXPECT_TRUE(fs::is_empty(root + "/out"));
  }
}
