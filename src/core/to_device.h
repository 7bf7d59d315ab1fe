#pragma once
// Host tensors made during a training step (a batch read from the cache, augmentation
// parameters) go to the compute device through this. A plain .to(device) from host memory makes
// LibTorch wait for the device's stream to drain after the copy: the host would stall once per
// copy and the device would idle while the rest of the step is queued. Non-blocking copies are
// asynchronous from page-locked memory; from ordinary memory CUDA stages the data before the
// call returns. Either way the source may be freed at once. On the CPU nothing is copied.
#include <ATen/Tensor.h>
#include <c10/core/Device.h>

namespace loce {

inline at::Tensor to_device(const at::Tensor& t, const c10::Device& device) {
  return t.to(device, /*non_blocking=*/true);
}

}  // namespace loce
