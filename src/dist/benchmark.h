#pragma once
// Measurements behind `loce bench allreduce`: all-reduce bandwidth over message sizes (reported
// as nccl-tests does), and how much of the gradient all-reduce DataParallel hides behind
// backward in a training step.
#include <cstdint>
#include <string>
#include <vector>

#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>

#include "dist/communicator.h"

namespace loce::dist {

struct AllReduceRow {
  int64_t bytes = 0, count = 0;
  int iterations = 0;
  double seconds = 0;  // per all-reduce: the slowest rank's mean
  double algbw = 0;    // GB/s = bytes / seconds
  double busbw = 0;    // GB/s = algbw * 2 (n - 1) / n
};

// Sizes from min_bytes to max_bytes, multiplying by `factor`. iterations 0: enough for about
// `seconds_per_size` of timed work per size (at least 3). Collective: call on every rank.
std::vector<AllReduceRow> bench_all_reduce(Communicator& comm, const c10::Device& device,
                                           c10::ScalarType dtype, int64_t min_bytes,
                                           int64_t max_bytes, int64_t factor, int iterations,
                                           int warmup, double seconds_per_size);

struct OverlapCase {
  int64_t batch = 8, channels = 64, layers = 6, height = 32, width = 32;
  int steps = 5, warmup = 2;
};
struct OverlapResult {
  int64_t parameter_bytes = 0;
  int buckets = 0;
  double backward = 0;              // s per step, gradients stay local
  double backward_then_reduce = 0;  // s per step, all-reduce after backward (no overlap)
  double backward_overlapped = 0;   // s per step, buckets all-reduced from gradient hooks
  // Share of the all-reduce time that backward hid: 1 - exposed / total, where
  // total = backward_then_reduce - backward and exposed = backward_overlapped - backward.
  double overlap() const;
};
// Collective: call on every rank.
OverlapResult bench_overlap(std::shared_ptr<Communicator> comm, const c10::Device& device,
                            const OverlapCase& c);

std::string format_bytes(int64_t bytes);  // "1 KB", "256 MB" (powers of 1024)

}  // namespace loce::dist
