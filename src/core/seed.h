#pragma once
// Reproducible randomness across ranks: every generator is derived from (seed, rank, stream), so
// ranks draw different augmentations while the whole run is a pure function of the seed.
#include <cstdint>

#include <ATen/core/Generator.h>
#include <c10/core/Device.h>

namespace loce {

// SplitMix64 finaliser over the combined inputs: cheap, well mixed, stable across platforms.
uint64_t derive_seed(uint64_t seed, uint64_t rank, uint64_t stream = 0);

// A CPU torch generator seeded with derive_seed(seed, rank, stream).
at::Generator make_generator(uint64_t seed, uint64_t rank, uint64_t stream = 0);

// A generator on `device` seeded by one draw from the CPU generator `gen`: large random tensors
// (a batch's noise) are then drawn where they are used, still determined by `gen`. The CPU
// gets a CPU generator; CUDA needs a build with LOCE_HAVE_CUDA.
at::Generator device_generator(at::Generator& gen, const c10::Device& device);

// Seeds torch's global generators (CPU and, where present, CUDA) for this rank.
void seed_globals(uint64_t seed, uint64_t rank);

}  // namespace loce
