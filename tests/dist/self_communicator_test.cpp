// The world of one: no MPI, every collective the identity, and the same argument checks as the
// real backends. Also the pieces of the MPI backend that need no second rank.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>

#include <climits>

#include "core/error.h"
#include "dist/byte_layout.h"
#include "dist/object_io.h"
#include "dist/self_communicator.h"

using namespace loce;
using namespace loce::dist;

TEST(SelfCommunicator, CollectivesAreTheIdentity) {
  SelfCommunicator c;
  EXPECT_EQ(c.size(), 1);
  EXPECT_EQ(c.rank(), 0);
  at::Tensor t = torch::arange(6, torch::kFloat);
  at::Tensor before = t.clone();
  c.all_reduce(t, ReduceOp::Sum);
  c.all_reduce(t, ReduceOp::Avg);
  c.broadcast(t, 0);
  EXPECT_TRUE(torch::equal(t, before));
  at::Tensor g = c.all_gather(t.reshape({2, 3}));
  EXPECT_TRUE(torch::equal(g, before.reshape({2, 3})));
  auto w = c.all_reduce_async(t);
  EXPECT_TRUE(w->test());
  w->wait();
  EXPECT_EQ(c.gather_bytes("abc"), std::vector<std::string>{"abc"});
  EXPECT_EQ(c.all_gather_bytes(""), std::vector<std::string>{""});
}

TEST(SelfCommunicator, RejectsWhatRealBackendsReject) {
  SelfCommunicator c;
  at::Tensor ints = torch::ones({3}, torch::kLong);
  EXPECT_THROW(c.all_reduce(ints, ReduceOp::Avg), loce::Error);
  at::Tensor flags = torch::ones({3}, torch::kBool);
  EXPECT_THROW(c.all_reduce(flags), loce::Error);
  at::Tensor t = torch::ones({3});
  EXPECT_THROW(c.broadcast(t, 1), loce::Error);
  EXPECT_THROW(c.all_gather(torch::ones({})), loce::Error);
}

TEST(ByteLayout, CountsAndDisplacements) {
  ByteLayout l = byte_layout({0, 5, 0, 7}, "test");
  EXPECT_EQ(l.counts, (std::vector<int>{0, 5, 0, 7}));
  EXPECT_EQ(l.displs, (std::vector<int>{0, 0, 5, 5}));
  EXPECT_EQ(l.total, 12);
}

TEST(ByteLayout, RefusesTwoGiBWithAClearError) {
  try {
    byte_layout({1 << 30, 1 << 30}, "mpi gather_bytes");  // 2 GiB in all: one byte too many
    FAIL() << "no error";
  } catch (const loce::Error& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("mpi gather_bytes: rank 1 sends 1073741824 bytes"), std::string::npos)
        << msg;
    EXPECT_NE(msg.find("32-bit"), std::string::npos) << msg;
  }
  EXPECT_THROW(byte_layout({int64_t(INT_MAX) + 1}, "x"), loce::Error);
  EXPECT_NO_THROW(byte_layout({INT_MAX - 1, 1}, "x"));
}

TEST(ObjectIo, RoundTripsThroughBytes) {
  std::vector<std::string> names = {"road", "", "traffic sign"};
  EXPECT_EQ(deserialize_object<std::vector<std::string>>(serialize_object(names)), names);
  SelfCommunicator c;
  auto got = gather_objects(c, std::vector<double>{1.5, -2});
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], (std::vector<double>{1.5, -2}));
  std::string s = "unchanged";
  broadcast_object(c, s);
  EXPECT_EQ(s, "unchanged");
}
