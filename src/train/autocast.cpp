#include "train/autocast.h"

#ifdef LOCE_HAVE_CUDA
#include <ATen/autocast_mode.h>
#include <torch/version.h>
#endif

namespace loce::train {

Bf16Autocast::Bf16Autocast(bool enabled, const c10::Device& device) {
#ifdef LOCE_HAVE_CUDA
  if (!enabled || !device.is_cuda()) return;
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
  at::autocast::set_autocast_dtype(at::kCUDA, at::kBFloat16);
  at::autocast::set_autocast_enabled(at::kCUDA, true);
#else
  at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
  at::autocast::set_enabled(true);
#endif
  at::autocast::increment_nesting();
  active_ = true;
#else
  (void)enabled;
  (void)device;
#endif
}

Bf16Autocast::~Bf16Autocast() {
#ifdef LOCE_HAVE_CUDA
  if (!active_) return;
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
  at::autocast::set_autocast_enabled(at::kCUDA, false);
#else
  at::autocast::set_enabled(false);
#endif
#endif
}

}  // namespace loce::train
