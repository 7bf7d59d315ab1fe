// Every collective of the CPU communicator against hand-computed answers, for each dtype, on
// as many ranks as mpirun starts (CTest runs this with -np 2 and -np 3). Rank r contributes
// (r + 1) * (i + 1) at element i, so with S ranks the answers are closed forms:
// sum (i + 1) S (S + 1) / 2, max (i + 1) S, min (i + 1), avg (i + 1) (S + 1) / 2.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <boost/serialization/map.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>

#include "core/error.h"
#include "dist/object_io.h"
#include "dist/world.h"

using namespace loce;
using namespace loce::dist;

namespace {

const std::vector<at::ScalarType> kFloatTypes = {at::kFloat, at::kDouble, at::kBFloat16,
                                                 at::kHalf};
const std::vector<at::ScalarType> kAllTypes = {at::kFloat, at::kDouble, at::kBFloat16,
                                               at::kHalf,  at::kLong,   at::kInt, at::kByte};

// (r + 1) * (i + 1) for i in [0, n), as dtype.
at::Tensor rank_values(int r, int64_t n, at::ScalarType dtype) {
  return (torch::arange(1, n + 1, torch::kDouble) * (r + 1)).to(dtype);
}

at::Tensor expected(double factor, int64_t n, at::ScalarType dtype) {
  return (torch::arange(1, n + 1, torch::kDouble) * factor).to(dtype);
}

void expect_equal(const at::Tensor& got, const at::Tensor& want, const std::string& what) {
  ASSERT_EQ(got.scalar_type(), want.scalar_type()) << what;
  ASSERT_EQ(got.sizes(), want.sizes()) << what;
  EXPECT_TRUE(torch::equal(got, want)) << what << "\n got " << got.to(torch::kDouble)
                                       << "\n want " << want.to(torch::kDouble);
}

struct CollectivesTest : ::testing::Test {
  void SetUp() override {
    comm = cpu_communicator();
    S = comm->size();
    r = comm->rank();
    CollectiveSettings s = collective_settings();
    s.check_matching = true;  // tests run with the matching check on
    s.timeout_seconds = 120;
    set_collective_settings(s);
  }
  std::shared_ptr<Communicator> comm;
  int S = 1, r = 0;
};

}  // namespace

TEST_F(CollectivesTest, WorldIsTheLaunchedOne) {
  EXPECT_EQ(comm->backend(), S > 1 ? "mpi" : "self");
  EXPECT_EQ(world().size, S);
  EXPECT_EQ(world().rank, r);
  EXPECT_GE(world().local_rank, 0);
  EXPECT_LT(world().local_rank, world().local_size);
  // On one machine, every rank is node-local.
  EXPECT_EQ(world().local_rank, r);
  EXPECT_EQ(world().local_size, S);
}

TEST_F(CollectivesTest, AllReduceSumMaxMinEveryDtype) {
  const int64_t n = 11;  // values up to 11 * S * (S + 1) / 2: exact in every dtype here
  for (auto dtype : kAllTypes) {
    std::string tag = std::string(c10::toString(dtype));
    at::Tensor t = rank_values(r, n, dtype);
    comm->all_reduce(t, ReduceOp::Sum);
    expect_equal(t, expected(S * (S + 1) / 2.0, n, dtype), "sum " + tag);
    t = rank_values(r, n, dtype);
    comm->all_reduce(t, ReduceOp::Max);
    expect_equal(t, expected(S, n, dtype), "max " + tag);
    t = rank_values(r, n, dtype);
    comm->all_reduce(t, ReduceOp::Min);
    expect_equal(t, expected(1, n, dtype), "min " + tag);
  }
}

TEST_F(CollectivesTest, AllReduceAvgFloatTypes) {
  for (auto dtype : kFloatTypes) {
    at::Tensor t = rank_values(r, 7, dtype);
    comm->all_reduce(t, ReduceOp::Avg);
    expect_equal(t, expected((S + 1) / 2.0, 7, dtype), std::string("avg ") + c10::toString(dtype));
  }
}

TEST_F(CollectivesTest, AvgOfIntegersIsRefusedOnEveryRank) {
  at::Tensor t = torch::ones({3}, torch::kLong);
  EXPECT_THROW(comm->all_reduce(t, ReduceOp::Avg), loce::Error);
}

// 16-bit floats are summed in float32 and rounded once. With rank 0 holding 256 and the others
// 1, S = 3 gives exactly 258 (representable in bfloat16), whereas adding in bfloat16 step by
// step gives 256 (256 + 1 rounds back to 256), and adding raw 16-bit words gives garbage.
TEST_F(CollectivesTest, SixteenBitSumsRoundOnce) {
  for (auto dtype : {at::kBFloat16, at::kHalf}) {
    at::Tensor t = torch::full({5}, r == 0 ? 256.0 : 1.0, torch::kDouble).to(dtype);
    comm->all_reduce(t, ReduceOp::Sum);
    at::Tensor want = torch::full({5}, 256.0 + (S - 1), torch::kFloat).to(dtype);
    expect_equal(t, want, std::string("256 + ones in ") + c10::toString(dtype));
  }
}

TEST_F(CollectivesTest, AllReduceNonContiguousAndMultiDim) {
  at::Tensor base = rank_values(r, 24, at::kFloat).reshape({4, 6});
  at::Tensor view = base.t();  // non-contiguous view, reduced in place through the view
  comm->all_reduce(view, ReduceOp::Sum);
  expect_equal(base, expected(S * (S + 1) / 2.0, 24, at::kFloat).reshape({4, 6}),
               "transposed view");
}

TEST_F(CollectivesTest, AllReduceAsyncOverlapsAndCompletes) {
  std::vector<at::Tensor> ts;
  std::vector<std::shared_ptr<Work>> works;
  for (auto dtype : kFloatTypes) {
    ts.push_back(rank_values(r, 40, dtype));  // small enough to be exact in bfloat16
    works.push_back(comm->all_reduce_async(ts.back(), ReduceOp::Avg));
  }
  for (auto& w : works) w->test();  // progress poke; must not disturb the results
  for (auto& w : works) w->wait();
  for (size_t k = 0; k < ts.size(); ++k)
    expect_equal(ts[k], expected((S + 1) / 2.0, 40, kFloatTypes[k]), "async avg");
}

TEST_F(CollectivesTest, LargeAllReduce) {
  at::Tensor t = torch::full({3 << 20}, double(r + 1), torch::kFloat);
  comm->all_reduce(t, ReduceOp::Sum);
  EXPECT_EQ(t.min().item<float>(), S * (S + 1) / 2.0f);
  EXPECT_EQ(t.max().item<float>(), S * (S + 1) / 2.0f);
}

TEST_F(CollectivesTest, BroadcastFromEveryRootEveryDtype) {
  for (int root = 0; root < S; ++root)
    for (auto dtype : kAllTypes) {
      at::Tensor t = rank_values(r, 9, dtype);
      comm->broadcast(t, root);
      expect_equal(t, rank_values(root, 9, dtype),
                   cat("broadcast from ", root, " ", c10::toString(dtype)));
    }
}

TEST_F(CollectivesTest, AllGatherEveryDtype) {
  for (auto dtype : kAllTypes) {
    at::Tensor mine = rank_values(r, 6, dtype).reshape({2, 3});
    at::Tensor all = comm->all_gather(mine);
    ASSERT_EQ(all.sizes(), (std::vector<int64_t>{2 * S, 3}));
    for (int q = 0; q < S; ++q)
      expect_equal(all.slice(0, 2 * q, 2 * q + 2), rank_values(q, 6, dtype).reshape({2, 3}),
                   cat("all_gather block ", q, " ", c10::toString(dtype)));
  }
}

TEST_F(CollectivesTest, Barrier) {
  for (int k = 0; k < 5; ++k) comm->barrier();
}

TEST_F(CollectivesTest, GatherBytesUnevenWithAnEmptyRank) {
  // Rank 0 sends nothing; rank q > 0 sends q * 1000 copies of the letter 'a' + q.
  std::string mine(size_t(r) * 1000, char('a' + r));
  for (int root = 0; root < S; ++root) {
    auto got = comm->gather_bytes(mine, root);
    if (r != root) {
      EXPECT_TRUE(got.empty());
      continue;
    }
    ASSERT_EQ(got.size(), size_t(S));
    for (int q = 0; q < S; ++q) EXPECT_EQ(got[q], std::string(size_t(q) * 1000, char('a' + q)));
  }
  auto all = comm->all_gather_bytes(mine);
  ASSERT_EQ(all.size(), size_t(S));
  for (int q = 0; q < S; ++q) EXPECT_EQ(all[q], std::string(size_t(q) * 1000, char('a' + q)));
}

TEST_F(CollectivesTest, ObjectsGatheredAndBroadcast) {
  // Uneven vectors: rank q holds q * 37 values (rank 0 an empty vector).
  std::vector<double> mine;
  for (int i = 0; i < r * 37; ++i) mine.push_back(r + i * 0.5);
  auto got = gather_objects(*comm, mine, 0);
  if (r == 0) {
    ASSERT_EQ(got.size(), size_t(S));
    for (int q = 0; q < S; ++q) {
      ASSERT_EQ(got[q].size(), size_t(q) * 37);
      for (int i = 0; i < q * 37; ++i) EXPECT_EQ(got[q][i], q + i * 0.5);
    }
  } else {
    EXPECT_TRUE(got.empty());
  }
  auto names = all_gather_objects(*comm, std::string(r, 'x'));
  ASSERT_EQ(names.size(), size_t(S));
  for (int q = 0; q < S; ++q) EXPECT_EQ(names[q], std::string(q, 'x'));

  std::map<std::string, std::vector<int64_t>> config;
  if (r == S - 1) config = {{"layers", {64, 128, 256}}, {"empty", {}}};
  broadcast_object(*comm, config, S - 1);
  ASSERT_EQ(config.size(), 2u);
  EXPECT_EQ(config["layers"], (std::vector<int64_t>{64, 128, 256}));
  EXPECT_TRUE(config["empty"].empty());
}

TEST_F(CollectivesTest, BroadcastBytesLargerThanOneChunkOfSmallTypes) {
  std::string bytes = r == 0 ? std::string(5 << 20, 'z') : std::string("short");
  comm->broadcast_bytes(bytes, 0);
  EXPECT_EQ(bytes, std::string(5 << 20, 'z'));
}

// Ranks that disagree on the collective or its size get a loce::Error on every rank, and the
// communicator stays usable afterwards (the check runs before any payload moves).
TEST_F(CollectivesTest, MismatchedCollectivesAreReportedNotHung) {
  if (S < 2) GTEST_SKIP() << "needs at least 2 ranks";
  at::Tensor t = torch::ones({8});
  try {
    if (r == 0) comm->all_reduce(t);
    else comm->broadcast(t, 0);
    ADD_FAILURE() << "mismatch not detected";
  } catch (const loce::Error& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("collective mismatch"), std::string::npos) << msg;
    EXPECT_NE(msg.find("rank 0 #"), std::string::npos) << msg;
    EXPECT_NE(msg.find("all_reduce(sum, Float, 8 elements)"), std::string::npos) << msg;
    EXPECT_NE(msg.find("broadcast(Float, 8 elements, root 0)"), std::string::npos) << msg;
  }
  at::Tensor sized = torch::ones({8 + (r == 1)});
  EXPECT_THROW(comm->all_reduce(sized), loce::Error);
  at::Tensor typed = r == 1 ? torch::ones({8}, torch::kDouble) : torch::ones({8});
  EXPECT_THROW(comm->all_reduce(typed), loce::Error);
  // Still in step:
  at::Tensor ok = torch::ones({8});
  comm->all_reduce(ok);
  EXPECT_EQ(ok.sum().item<float>(), 8.0f * S);
}
