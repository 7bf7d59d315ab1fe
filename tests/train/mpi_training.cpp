// Data-parallel training under mpirun: every method lowers its loss with two ranks, and the ranks
// end with identical weights. (The global-batch Barlow Twins loss is checked against one rank in
// tests/ssl/mpi_barlow_loss.cpp.)
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>

#include "core/error.h"
#include "core/hdf5.h"
#include "dist/world.h"
#include "support/test_support.h"
#include "train/inspect.h"
#include "train/pretrain.h"
#include "train/run_dir.h"
#include "train/synthetic_cache.h"
#include "train/tiny_config.h"

using namespace loce;

namespace {

// A folder every rank sees: rank 0 makes it, the others learn its name.
std::string shared_temp_dir(const std::string& tag) {
  auto comm = dist::cpu_communicator();
  std::string dir = comm->rank() == 0 ? test::temp_dir(tag) : std::string();
  comm->broadcast_bytes(dir, 0);
  return dir;
}

std::string cache_path() {
  static std::string path;
  if (path.empty()) {
    path = shared_temp_dir("mpi_cache") + "/cache.h5";
    if (dist::world().rank == 0) test::write_synthetic_cache(path, 48, 8);
    dist::cpu_communicator()->barrier();
  }
  return path;
}

}  // namespace

class MpiTraining : public ::testing::TestWithParam<std::string> {};

TEST_P(MpiTraining, LossGoesDownAndRanksAgree) {
  auto comm = dist::cpu_communicator();
  ASSERT_GT(comm->size(), 1) << "run this under mpirun -np 2";
  const std::string method = GetParam();
  auto config = test::tiny_config(method, cache_path());
  config.batch_size = 8;  // per rank: the same global batch as the one-rank tests
  if (method == "barlow") config.steps = 24;
  if (method == "rpl") config.steps = 48;
  auto run = shared_temp_dir("mpi_run_" + method);
  auto task = ssl::make_pretext_task(method, config.task);
  auto net = train::initial_network(config, task->heads());
  train::TrainerSetup setup{config, run, "pretrain", false, torch::kCPU};
  auto outcome = train::run_training(setup, *task, net, net.ptr());
  EXPECT_EQ(outcome.step, config.steps);
  // The curve rank 0 wrote (every rank has passed the final checkpoint's barrier).
  auto f = h5::File::open(train::curves_path(run));
  auto loss = h5::read_tensor(f, "/train/loss");
  ASSERT_EQ(loss.numel(), config.steps);
  EXPECT_LT(loss.slice(0, -4).mean().item<float>(), loss.slice(0, 0, 4).mean().item<float>())
      << method << ": " << loss;
  // Identical weights on every rank (gradients averaged, buffers averaged after every step).
  auto digests = comm->all_gather_bytes(train::state_digest(*net));
  EXPECT_EQ(digests.front(), digests.back()) << method;
  if (comm->rank() == 0) {
    auto s = train::summarize_checkpoint(run);
    EXPECT_EQ(s.world_size, comm->size());
    EXPECT_EQ(s.digest, digests.front());
  }
}

INSTANTIATE_TEST_SUITE_P(Methods, MpiTraining, ::testing::Values("barlow", "dae", "rpl"));

// Whether the run folder is taken is rank 0's decision, made once for every rank: a rank that
// looked after rank 0 had saved (the baseline saves at once) refused the run alone, and a
// refusal is every rank's at once, so none is left waiting in a collective.
TEST(MpiTrainingRunDir, RankZeroDecidesWhetherItIsTakenAndAllRanksRefuseTogether) {
  auto comm = dist::cpu_communicator();
  ASSERT_GT(comm->size(), 1) << "run this under mpirun -np 2";
  const auto config = test::tiny_config("baseline", cache_path());
  auto task = ssl::make_pretext_task("baseline", config.task);
  auto train_into = [&](const std::string& run) {
    auto net = train::initial_network(config, task->heads());
    train::TrainerSetup setup{config, run, "pretrain", false, torch::kCPU};
    return train::run_training(setup, *task, net, net.ptr());
  };
  const std::string taken = shared_temp_dir("mpi_taken");
  train_into(taken);
  ASSERT_FALSE(train::list_checkpoints(taken).empty());

  EXPECT_THROW(train_into(taken), CollectiveInputError);

  // Rank 1 sees a checkpoint where rank 0 sees none: rank 0's view holds on both.
  const std::string fresh = shared_temp_dir("mpi_fresh");
  EXPECT_NO_THROW(train_into(comm->rank() == 0 ? fresh : taken));
  if (comm->rank() == 0) {
    EXPECT_EQ(train::list_checkpoints(fresh).size(), 1u);
  }
}

// BatchNorm statistics are averaged over ranks after every step, not when a checkpoint is
// taken: a checkpoint then changes nothing in the live model, so the result does not depend on
// when checkpoints were taken, and a run resumed near its end (where the statistics' moving
// average has not yet forgotten a difference) ends bit-identical to an uninterrupted one.
TEST(MpiTrainingCheckpoints, ResultDoesNotDependOnCheckpointsAndResumeIsExact) {
  namespace fs = std::filesystem;
  auto comm = dist::cpu_communicator();
  ASSERT_GT(comm->size(), 1) << "run this under mpirun -np 2 or 3";
  auto config = test::tiny_config("dae", cache_path());
  config.batch_size = 4;
  config.steps = 12;
  config.keep_checkpoints = 10;
  auto task = ssl::make_pretext_task("dae", config.task);
  auto train_into = [&](const std::string& run, int64_t checkpoint_every, bool resume) {
    auto c = config;
    c.checkpoint_every = checkpoint_every;
    auto net = train::initial_network(c, task->heads());
    train::TrainerSetup setup{c, run, "pretrain", resume, torch::kCPU};
    train::run_training(setup, *task, net, net.ptr());
    auto digests = comm->all_gather_bytes(train::state_digest(*net));
    for (const auto& d : digests) EXPECT_EQ(d, digests.front()) << "ranks disagree in " << run;
    return digests.front();
  };
  const std::string once = train_into(shared_temp_dir("mpi_ce_once"), 100, false);
  const std::string often_run = shared_temp_dir("mpi_ce_often");
  const std::string often = train_into(often_run, 3, false);
  EXPECT_EQ(often, once) << "checkpoints every 3 steps changed the result";

  // Stopped after step 9 of 12 (its newest checkpoint), resumed with another cadence.
  const std::string resumed_run = shared_temp_dir("mpi_ce_resumed");
  if (comm->rank() == 0) {
    fs::copy(train::checkpoints_dir(often_run), train::checkpoints_dir(resumed_run));
    fs::remove(train::checkpoint_path(resumed_run, 12));
    EXPECT_EQ(train::list_checkpoints(resumed_run).back(), train::checkpoint_path(resumed_run, 9));
  }
  comm->barrier();
  EXPECT_EQ(train_into(resumed_run, 100, true), once) << "the resume from step 9 is not exact";
  if (comm->rank() == 0) {
    EXPECT_EQ(train::summarize_checkpoint(resumed_run).digest, once);
  }
}
