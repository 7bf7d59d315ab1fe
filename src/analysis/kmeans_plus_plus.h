#pragma once
// k-means++ seeding (Arthur & Vassilvitskii 2007) in scikit-learn's greedy variant: the first
// centre is a uniformly drawn point; every further centre is the best, by resulting potential
// (sum of squared distances to the nearest centre), of 2 + floor(ln k) candidates drawn with
// probability proportional to the squared distance to the nearest centre chosen so far.
//
// Distributed: the points stay sharded. Every rank draws the same random numbers; a draw is
// located in the global cumulative sum (ranks in order), the owning rank contributes the row,
// and candidate potentials are summed over ranks. The result is the same on 1..N ranks.
#include <cstdint>

#include <ATen/Tensor.h>

#include "dist/communicator.h"

namespace loce::analysis {

// x_local [n_local, d] (float32 or float64): this rank's points. Returns the k centres
// [k, d] in float64 on x_local's device, identical on every rank.
at::Tensor kmeans_plus_plus(const at::Tensor& x_local, int64_t k, uint64_t seed,
                            dist::Communicator* comm = nullptr);

}  // namespace loce::analysis
