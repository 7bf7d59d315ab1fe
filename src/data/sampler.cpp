#include "data/sampler.h"

#include <algorithm>
#include <numeric>
#include <random>

#include "core/error.h"
#include "core/seed.h"

namespace loce::data {

DistributedSampler::DistributedSampler(int64_t dataset_size, int rank, int world,
                                       int64_t batch_size, uint64_t seed, bool shuffle)
    : size_(dataset_size), batch_size_(batch_size), rank_(rank), world_(world), seed_(seed),
      shuffle_(shuffle) {
  if (batch_size <= 0) bad_input("batch size must be positive, got ", batch_size);
  if (world <= 0 || rank < 0 || rank >= world) fail("sampler: bad rank ", rank, " of ", world);
  batches_ = dataset_size / (batch_size * world);
  if (batches_ == 0)
    bad_input("dataset of ", dataset_size, " images is smaller than one global batch (",
              batch_size, " per rank x ", world, " ranks)");
  set_epoch(0);
}

void DistributedSampler::set_epoch(int64_t epoch) {
  epoch_ = epoch;
  order_.resize(size_);
  std::iota(order_.begin(), order_.end(), 0);
  if (shuffle_) {
    // The same permutation on every rank: it depends on (seed, epoch) only, never on the rank.
    std::mt19937_64 rng(derive_seed(seed_, 0, 0x5A3D1E00ULL + uint64_t(epoch)));
    for (int64_t i = size_ - 1; i > 0; --i) {  // Fisher-Yates, platform-independent
      int64_t j = int64_t(rng() % uint64_t(i + 1));
      std::swap(order_[i], order_[j]);
    }
  }
}

std::vector<int64_t> DistributedSampler::batch(int64_t b) const {
  LOCE_CHECK(b >= 0 && b < batches_, "sampler: batch ", b, " out of range (", batches_, ")");
  // Global batch b is order_[b*B*W, (b+1)*B*W); rank r takes its r-th slice of it, so the union
  // over ranks of batch b equals one rank's batch b with batch size B*W.
  int64_t start = (b * world_ + rank_) * batch_size_;
  return std::vector<int64_t>(order_.begin() + start, order_.begin() + start + batch_size_);
}

std::vector<int64_t> DistributedSampler::shard() const {
  std::vector<int64_t> all;
  for (int64_t b = 0; b < batches_; ++b) {
    auto idx = batch(b);
    all.insert(all.end(), idx.begin(), idx.end());
  }
  return all;
}

}  // namespace loce::data
