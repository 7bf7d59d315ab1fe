// gtest main for single-process unit tests: one intra-op thread keeps timings stable on the
// 2-core CI machines. The world is one process (no launcher, so MPI is never initialised), but
// it is set up like the program does, so code that asks for a communicator gets the self one.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/onednn.h"
#include "dist/world.h"

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  loce::dist::init_world(&argc, &argv);
  torch::set_num_threads(1);
  loce::configure_onednn();  // as the program does
  int rc = RUN_ALL_TESTS();
  loce::dist::finalize_world();
  return rc;
}
