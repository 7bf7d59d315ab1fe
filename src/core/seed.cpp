#include "core/seed.h"

#include <torch/torch.h>

#ifdef LOCE_HAVE_CUDA
#include <ATen/cuda/CUDAGeneratorImpl.h>
#endif

#include <limits>

#include "core/error.h"

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

at::Generator device_generator(at::Generator& gen, const c10::Device& device) {
  const uint64_t seed = uint64_t(
      at::randint(std::numeric_limits<int64_t>::max(), {1}, gen, at::kLong).item<int64_t>());
  if (device.is_cpu()) return at::detail::createCPUGenerator(seed);
#ifdef LOCE_HAVE_CUDA
  if (device.is_cuda()) {
    at::Generator g = at::cuda::detail::createCUDAGenerator(device.index());
    g.set_current_seed(seed);
    return g;
  }
#endif
  fail("no random generator for device ", device.str(), " in this build");
}

void seed_globals(uint64_t seed, uint64_t rank) {
  torch::manual_seed(derive_seed(seed, rank, 0xC0FFEE));
}

}  // namespace loce
