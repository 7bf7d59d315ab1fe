// Failure drills, run only when CTest asks for them ($LOCE_DIST_DRILL), by
// tests/dist/check_job_dies.py, which checks that the whole mpirun ends non-zero, fast, with the
// right message. Run by accident they would end the job, so otherwise they skip.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <chrono>
#include <cstdlib>
#include <thread>

#include "core/error.h"
#include "core/log.h"
#include "dist/watchdog.h"
#include "dist/world.h"

using namespace loce;
using namespace loce::dist;

namespace {
bool drill(const char* name) {
  const char* v = std::getenv("LOCE_DIST_DRILL");
  return v && std::string(v) == name;
}
}  // namespace

// The last rank throws between two all-reduces while the others are already inside the next
// one. It handles the error as loce's main does: log it, then abort_world.
TEST(FailureDrill, RankThrowsMidCollective) {
  if (!drill("throw")) GTEST_SKIP() << "set LOCE_DIST_DRILL=throw to run (it ends the job)";
  auto comm = cpu_communicator();
  int r = comm->rank(), S = comm->size();
  try {
    at::Tensor t = torch::ones({1 << 16});
    for (int step = 0; step < 10; ++step) {
      comm->all_reduce(t);
      if (r == S - 1 && step == 3)
        throw loce::Error(cat("injected failure on rank ", r, " at step ", step));
    }
  } catch (const std::exception& e) {
    log::error(e.what());
    abort_world(1);
  }
  ADD_FAILURE() << "rank " << r << " finished although rank " << S - 1 << " failed";
}

// The last rank stops taking part (an endless loop, a dead node) while the others wait in a
// collective: the watchdog must end the job.
TEST(FailureDrill, StuckRankTripsTheWatchdog) {
  if (!drill("hang")) GTEST_SKIP() << "set LOCE_DIST_DRILL=hang to run (it ends the job)";
  CollectiveSettings s = collective_settings();
  s.timeout_seconds = 3;
  set_collective_settings(s);
  auto comm = cpu_communicator();
  at::Tensor t = torch::ones({16});
  comm->all_reduce(t);
  if (comm->rank() == comm->size() - 1) std::this_thread::sleep_for(std::chrono::seconds(120));
  comm->all_reduce(t);
  ADD_FAILURE() << "the job survived a stuck rank";
}

// An error reported asynchronously (as NCCL reports a broken peer while its kernels spin) on the
// last rank, which then never returns from its "collective": the watchdog's poll must end the
// job long before the collective timeout would.
TEST(FailureDrill, AsyncErrorEndsTheJob) {
  if (!drill("async")) GTEST_SKIP() << "set LOCE_DIST_DRILL=async to run (it ends the job)";
  CollectiveSettings s = collective_settings();
  s.timeout_seconds = 600;
  set_collective_settings(s);
  auto comm = cpu_communicator();
  at::Tensor t = torch::ones({16});
  comm->all_reduce(t);
  if (comm->rank() == comm->size() - 1) {
    const int r = comm->rank();
    Watchdog::poll([r] { return cat("injected asynchronous error on rank ", r); });
    std::this_thread::sleep_for(std::chrono::seconds(120));
  }
  comm->all_reduce(t);
  ADD_FAILURE() << "the job survived an asynchronous error";
}
