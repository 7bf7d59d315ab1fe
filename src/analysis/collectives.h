#pragma once
// The few collective operations the analysis needs, written so that a null communicator (or a
// world of one) is the single-process case: every analysis function takes a
// `dist::Communicator*` that may be null, and reduces through these helpers only.
#include <cstdint>
#include <utility>

#include <ATen/Tensor.h>

#include "dist/communicator.h"

namespace loce::analysis {

// Half-open row range [begin, end) of one rank.
struct RowRange {
  int64_t begin = 0;
  int64_t end = 0;
  int64_t size() const { return end - begin; }
};

// Contiguous, balanced split of n rows over the ranks (the first n % size ranks get one more).
RowRange shard_rows(int64_t n, int rank, int size);
RowRange shard_rows(int64_t n, const dist::Communicator* comm);

int comm_rank(const dist::Communicator* comm);
int comm_size(const dist::Communicator* comm);

// In-place sum over ranks; a no-op without a communicator. A CUDA tensor reduced through a CPU
// (MPI) communicator is staged through host memory.
void sum_across_ranks(dist::Communicator* comm, at::Tensor& t);
// Same for max and min.
void max_across_ranks(dist::Communicator* comm, at::Tensor& t);
void min_across_ranks(dist::Communicator* comm, at::Tensor& t);
double sum_across_ranks(dist::Communicator* comm, double v);

// Concatenates every rank's rows (row counts may differ by rank) in rank order.
at::Tensor gather_rows(dist::Communicator* comm, const at::Tensor& local);

}  // namespace loce::analysis
