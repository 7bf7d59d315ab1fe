#pragma once
// Distributed sampler: each rank gets a disjoint shard of the dataset every epoch, reshuffled
// from (seed, epoch) so all ranks agree on the permutation without communicating, and every
// rank gets the same number of batches (the tail that does not divide evenly is dropped, as
// torch's DistributedSampler with drop_last does), so no rank waits in a collective forever.
#include <cstdint>
#include <vector>

namespace loce::data {

class DistributedSampler {
 public:
  DistributedSampler(int64_t dataset_size, int rank, int world, int64_t batch_size,
                     uint64_t seed, bool shuffle = true);
  void set_epoch(int64_t epoch);
  int64_t epoch() const { return epoch_; }
  int64_t batches_per_epoch() const { return batches_; }
  int64_t batch_size() const { return batch_size_; }
  // Dataset indices of this rank's batch `b` (0 <= b < batches_per_epoch()) in this epoch.
  std::vector<int64_t> batch(int64_t b) const;
  // All indices this rank sees in this epoch, in order.
  std::vector<int64_t> shard() const;

 private:
  int64_t size_, batch_size_, batches_ = 0, epoch_ = 0;
  int rank_, world_;
  uint64_t seed_;
  bool shuffle_;
  std::vector<int64_t> order_;  // the epoch's global permutation
};

}  // namespace loce::data
