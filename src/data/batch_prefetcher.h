#pragma once
// Training batches read ahead on a background thread. The step then never waits for the HDF5
// read, and on CUDA the batches sit in page-locked memory, from which the copy to the device is
// asynchronous (from pageable memory it would first wait for the stream to drain, leaving the
// GPU idle while the next step is prepared). Batches come out in step order and are exactly
// those that cache.read(split, sampler.batch(...)) gives, so a run does not depend on the depth;
// depth 0 reads on the caller's thread. An error in the reader (a corrupt cache row) is rethrown
// by next(), with its message.
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <mutex>
#include <string>
#include <thread>

#include "data/cache.h"
#include "data/sampler.h"

namespace loce::data {

class BatchPrefetcher {
 public:
  // Batches of steps [first_step, end_step); the epoch of step s is s / batches_per_epoch.
  BatchPrefetcher(const Cache& cache, std::string split, DistributedSampler sampler,
                  int64_t first_step, int64_t end_step, int64_t depth, bool pinned);
  ~BatchPrefetcher();  // stops the reader (waits for the read in flight)
  BatchPrefetcher(const BatchPrefetcher&) = delete;
  BatchPrefetcher& operator=(const BatchPrefetcher&) = delete;

  // The next step's batch, waiting for it if it has not been read yet.
  Batch next();

 private:
  Batch read(int64_t step);  // on the reader's thread (or the caller's, with depth 0)
  void run();

  const Cache& cache_;
  std::string split_;
  DistributedSampler sampler_;  // used by the reader only
  int64_t next_step_, read_step_, end_step_, depth_;
  bool pinned_;

  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Batch> ready_;
  std::exception_ptr error_;
  bool stopping_ = false;
  std::thread reader_;
};

}  // namespace loce::data
