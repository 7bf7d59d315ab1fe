#pragma once
// Data-parallel training of a torch::nn::Module over a Communicator, the way DDP does it:
//  * at construction, rank 0's parameters and buffers are broadcast, so every rank starts equal;
//  * gradients are copied into flat buckets (reverse registration order, which is roughly the
//    order backward produces them; the first bucket small so communication starts early, then
//    about 25 MB each); a gradient hook marks its parameter ready and, as soon as a bucket is
//    full and all earlier buckets have been started, starts that bucket's averaging all-reduce,
//    so communication overlaps the rest of backward;
//  * synchronize_gradients(), called after backward and before the optimiser step, waits for
//    every bucket and writes the averaged gradients back into each parameter's .grad.
// A parameter that got no gradient in a step (an unused branch) contributes zeros, so every rank
// still starts every bucket in the same order and nobody deadlocks; with
// find_unused_parameters, parameters unused on every rank keep an undefined .grad instead (as
// in single-process training), at the cost of one small extra all-reduce per step.
// BatchNorm statistics are updated by each rank's forward from its own batch;
// synchronize_buffers(), called by the trainer after every optimiser step, averages them so that
// every rank holds the same statistics at every step (see there), and average_buffers() makes
// them equal once (e.g. before evaluating a model trained without the per-step call).
#include <torch/nn/module.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "dist/communicator.h"

namespace loce::dist {

struct DataParallelOptions {
  int64_t first_bucket_bytes = int64_t(1) << 20;
  int64_t bucket_bytes = int64_t(25) << 20;
  // false: no hooks; all buckets are all-reduced in synchronize_gradients() (no overlap).
  bool overlap = true;
  bool find_unused_parameters = false;
};

class DataParallel {
 public:
  DataParallel(torch::nn::Module& module, std::shared_ptr<Communicator> comm,
               DataParallelOptions options = {});
  ~DataParallel();  // removes the gradient hooks
  DataParallel(const DataParallel&) = delete;
  DataParallel& operator=(const DataParallel&) = delete;

  // After loss.backward(), before optimizer.step(): every parameter's .grad becomes the average
  // over ranks. Returns the seconds spent waiting for communication that backward did not hide.
  double synchronize_gradients();

  // Off: backward only accumulates local gradients (gradient accumulation over micro-batches);
  // the next step with sync on all-reduces the accumulated sum.
  void set_gradient_sync(bool on) { sync_ = on; }

  // Floating buffers (BatchNorm running mean/var) averaged over ranks, integer ones (batch
  // counters) taken from rank 0.
  void average_buffers();
  // Floating buffers averaged over ranks: one all-reduce of one flat tensor per (dtype, device),
  // queued like any collective (no host synchronisation on a GPU). Integer buffers (BatchNorm's
  // num_batches_tracked) are left alone: every rank runs the same forwards, so they count alike,
  // and they started equal (broadcast at construction, or one checkpoint loaded by all).
  // Called after every step, it keeps the ranks' statistics identical at all times, so a
  // checkpoint (rank 0's state) is every rank's state and taking one changes nothing.
  void synchronize_buffers();
  // Parameters and buffers of `root` copied to every rank.
  void broadcast_state(int root = 0);

  Communicator& communicator() { return *comm_; }
  // Parameter indices (into the module's parameters() order) of each bucket, in launch order.
  std::vector<std::vector<size_t>> bucket_layout() const;
  // How many buckets backward started before synchronize_gradients() in the last step.
  int buckets_started_in_backward() const { return started_in_backward_; }

 private:
  struct Param {
    at::Tensor tensor;
    size_t bucket = 0;
    int64_t offset = 0;  // elements into the bucket
    bool ready = false;
    unsigned hook = 0;
  };
  struct Bucket {
    at::Tensor flat;
    std::vector<size_t> params;
    size_t pending = 0;
    std::shared_ptr<Work> work;
  };

  void on_gradient(size_t i, const at::Tensor& grad);
  void mark_ready(size_t i, const at::Tensor* grad);  // with mutex_ held
  void start_ready_buckets();                         // with mutex_ held
  at::Tensor slice(size_t i);

  torch::nn::Module& module_;
  std::shared_ptr<Communicator> comm_;
  DataParallelOptions options_;
  std::vector<Param> params_;
  std::vector<Bucket> buckets_;
  size_t next_bucket_ = 0;  // buckets before it have been started this step
  bool sync_ = true;
  bool hooks_ = false;
  int started_in_backward_ = 0;
  std::mutex mutex_;
};

}  // namespace loce::dist
