// gtest main for multi-rank tests, launched by CTest through mpirun. Every rank runs every test;
// only rank 0 prints gtest's report, but any rank's failure makes the run fail.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/log.h"
#include "core/onednn.h"
#include "dist/world.h"

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  const auto& w = loce::dist::init_world(&argc, &argv);
  torch::set_num_threads(1);
  loce::configure_onednn();  // as the program does
  if (w.rank != 0) {
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
  }
  int rc = RUN_ALL_TESTS();
  // Agree on the outcome so that every rank exits with the same code.
  auto comm = loce::dist::cpu_communicator();
  at::Tensor failed = torch::tensor({int64_t(rc != 0)});
  comm->all_reduce(failed, loce::dist::ReduceOp::Max);
  if (w.rank == 0 && failed.item<int64_t>() != 0 && rc == 0)
    std::fprintf(stderr, "a test failed on another rank\n");
  rc = failed.item<int64_t>() != 0 ? 1 : 0;
  loce::dist::finalize_world();
  return rc;
}
