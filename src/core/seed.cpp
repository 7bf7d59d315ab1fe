#include "core/seed.h"

#include <torch/torch.h>

namespace loce {

uint64_t derive_seed(uint64_t seed, uint64_t rank, uint64_t stream) {
  auto mix = [](uint64_t z) {
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  };
  return mix(mix(mix(seed) ^ rank) ^ (stream * 0x632be59bd9b4e019ULL));
}

at::Generator make_generator(uint64_t seed, uint64_t rank, uint64_t stream) {
  return at::detail::createCPUGenerator(derive_seed(seed, rank, stream));
}

void seed_globals(uint64_t seed, uint64_t rank) {
  torch::manual_seed(derive_seed(seed, rank, 0xC0FFEE));
}

}  // namespace loce
