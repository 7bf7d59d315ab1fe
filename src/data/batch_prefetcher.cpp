#include "data/batch_prefetcher.h"

#include <utility>

#include "core/error.h"

namespace loce::data {

BatchPrefetcher::BatchPrefetcher(const Cache& cache, std::string split,
                                 DistributedSampler sampler, int64_t first_step,
                                 int64_t end_step, int64_t depth, bool pinned)
    : cache_(cache), split_(std::move(split)), sampler_(std::move(sampler)),
      next_step_(first_step), read_step_(first_step), end_step_(end_step), depth_(depth),
      pinned_(pinned) {
  if (depth < 0) bad_input("prefetch depth must not be negative, got ", depth);
  if (sampler_.batches_per_epoch() < 1) bad_input("prefetch: the sampler has no batches");
  if (depth_ > 0 && read_step_ < end_step_) reader_ = std::thread([this] { run(); });
}

BatchPrefetcher::~BatchPrefetcher() {
  {
    std::lock_guard<std::mutex> hold(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  if (reader_.joinable()) reader_.join();
}

Batch BatchPrefetcher::read(int64_t step) {
  const int64_t per_epoch = sampler_.batches_per_epoch();
  if (sampler_.epoch() != step / per_epoch) sampler_.set_epoch(step / per_epoch);
  return cache_.read(split_, sampler_.batch(step % per_epoch), pinned_);
}

void BatchPrefetcher::run() {
  try {
    for (;;) {
      int64_t step;
      {
        std::unique_lock<std::mutex> hold(mutex_);
        changed_.wait(hold, [&] { return stopping_ || int64_t(ready_.size()) < depth_; });
        if (stopping_ || read_step_ >= end_step_) return;
        step = read_step_++;
      }
      Batch b = read(step);  // outside the lock: next() takes ready batches meanwhile
      {
        std::lock_guard<std::mutex> hold(mutex_);
        ready_.push_back(std::move(b));
      }
      changed_.notify_all();
    }
  } catch (...) {
    {
      std::lock_guard<std::mutex> hold(mutex_);
      error_ = std::current_exception();
    }
    changed_.notify_all();
  }
}

Batch BatchPrefetcher::next() {
  if (next_step_ >= end_step_)
    fail("prefetch: no batch after step ", end_step_ - 1, " (asked for step ", next_step_, ")");
  if (depth_ == 0) return read(next_step_++);
  Batch b;
  {
    std::unique_lock<std::mutex> hold(mutex_);
    // The batches read before an error are still handed out in order; then the error.
    changed_.wait(hold, [&] { return !ready_.empty() || error_; });
    if (ready_.empty()) std::rethrow_exception(error_);
    b = std::move(ready_.front());
    ready_.pop_front();
  }
  ++next_step_;
  changed_.notify_all();
  return b;
}

}  // namespace loce::data
