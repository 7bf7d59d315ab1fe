#pragma once
// Seeded LoCE-like vectors for tests and benchmarks: one cluster per concept around a random
// centre, each with its own scale and a few dominant directions (LoCEs of one concept vary
// mostly along a low-dimensional subspace), so that full covariances differ between concepts
// and the concepts overlap a little, as the paper's Table 1 suggests.
#include <cstdint>
#include <string>
#include <vector>

#include <ATen/Tensor.h>

namespace loce::analysis {

struct SyntheticLoces {
  at::Tensor vectors;    // [n, dim] float32
  at::Tensor train_ids;  // [n] int32 (Cityscapes trainIds of the paper's concepts)
  std::vector<std::string> concept_names;
};

// n_concepts <= 5 uses the paper's concepts (road, building, vegetation, car, person).
// `separation` scales the distance between concept centres relative to their spread.
SyntheticLoces make_synthetic_loces(int64_t n, int64_t dim, int64_t n_concepts, uint64_t seed,
                                    double separation = 1.0);

}  // namespace loce::analysis
