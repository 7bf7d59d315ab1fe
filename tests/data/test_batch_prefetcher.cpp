// The read-ahead of training batches: the same batches in the same order at every depth, errors
// from the reader thread reach the caller, and stopping early never hangs. HDF5 is used from two
// threads at once here, as in training.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <string>

#include "core/error.h"
#include "core/hdf5.h"
#include "data/batch_prefetcher.h"
#include "data/cache.h"
#include "data/sampler.h"
#include "support/test_support.h"
#include "train/synthetic_cache.h"

using namespace loce;
using namespace loce::data;

namespace {

class Prefetch : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    path_ = test::temp_dir("prefetch") + "/cache.h5";
    test::write_synthetic_cache(path_, 10, 0, 16, 32);
  }
  static std::string path_;
};
std::string Prefetch::path_;

// What the trainer read before read-ahead: the sampler's batch of each step, in order.
Batch direct(const Cache& cache, DistributedSampler sampler, int64_t step) {
  sampler.set_epoch(step / sampler.batches_per_epoch());
  return cache.read("train", sampler.batch(step % sampler.batches_per_epoch()));
}

}  // namespace

TEST_F(Prefetch, SameBatchesInStepOrderAtEveryDepth) {
  Cache cache(path_);
  DistributedSampler sampler(10, 0, 1, 3, 5);  // 3 batches per epoch: steps 2..8 cross two epochs
  for (int64_t depth : {0, 1, 4}) {
    BatchPrefetcher ahead(cache, "train", sampler, 2, 9, depth, false);
    for (int64_t step = 2; step < 9; ++step) {
      // Another HDF5 file written meanwhile on this thread, as checkpoints and curves are.
      auto f = h5::File::create(test::temp_dir("prefetch_side") + "/side.h5");
      h5::write_tensor(f, "/x", torch::full({64}, double(step)));
      f.close();
      Batch got = ahead.next(), want = direct(cache, sampler, step);
      EXPECT_EQ(got.indices, want.indices) << "depth " << depth << " step " << step;
      EXPECT_TRUE(torch::equal(got.images, want.images)) << "depth " << depth << " step " << step;
      EXPECT_TRUE(torch::equal(got.labels, want.labels)) << "depth " << depth << " step " << step;
    }
    EXPECT_THROW(ahead.next(), Error) << "past the last step, depth " << depth;
  }
}

// Many reads on the reader thread against many writes and reads here, as in training (a smoke
// test: the HDF5 packages here are built thread-safe, and core/hdf5.cpp serialises the calls
// for builds that are not).
TEST_F(Prefetch, HdfFromTwoThreadsAtOnce) {
  Cache cache(path_);
  DistributedSampler sampler(10, 0, 1, 1, 2);
  const std::string side = test::temp_dir("prefetch_busy") + "/side.h5";
  BatchPrefetcher ahead(cache, "train", sampler, 0, 300, 8, false);
  for (int64_t step = 0; step < 300; ++step) {
    {
      auto f = h5::File::create(side);
      h5::write_tensor(f, "/x", torch::arange(256, torch::kInt64) + step);
      h5::set_attr(f, "/x", "step", step);
    }
    auto f = h5::File::open(side);
    ASSERT_EQ(h5::read_tensor(f, "/x")[0].item<int64_t>(), step);
    ASSERT_EQ(h5::attr_int(f, "/x", "step"), step);
    ASSERT_TRUE(torch::equal(ahead.next().images, direct(cache, sampler, step).images)) << step;
  }
}

TEST_F(Prefetch, AReadErrorReachesTheCallerAfterTheGoodBatches) {
  Cache cache(path_);
  // A sampler over 40 images on a 10-image cache: some batch asks for a row that is not there.
  DistributedSampler sampler(40, 0, 1, 4, 1);
  BatchPrefetcher ahead(cache, "train", sampler, 0, 10, 3, false);
  int64_t step = 0;
  try {
    for (; step < 10; ++step) {
      Batch got = ahead.next();
      EXPECT_TRUE(torch::equal(got.images, direct(cache, sampler, step).images)) << step;
    }
    FAIL() << "every batch was read";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("outside split 'train'"), std::string::npos) << e.what();
    EXPECT_THROW(direct(cache, sampler, step), InputError) << "the failing step is " << step;
  }
}

TEST_F(Prefetch, DroppedEarlyItStopsItsReader) {
  Cache cache(path_);
  DistributedSampler sampler(10, 0, 1, 2, 0);
  for (int i = 0; i < 20; ++i) {
    BatchPrefetcher ahead(cache, "train", sampler, 0, 1000, 4, false);
    ahead.next();
  }  // each destructor returns once the read in flight is done
  EXPECT_THROW(BatchPrefetcher(cache, "train", sampler, 0, 10, -1, false), InputError);
}
