#pragma once
// bf16 autocast for CUDA forward passes. The C++ autocast API changed between LibTorch 1.13 and
// 2.x, so it is isolated here; on CPU, or when off, this does nothing (CPU runs stay fp32).
#include <c10/core/Device.h>

namespace loce::train {

class Bf16Autocast {
 public:
  Bf16Autocast(bool enabled, const c10::Device& device);
  ~Bf16Autocast();
  Bf16Autocast(const Bf16Autocast&) = delete;
  Bf16Autocast& operator=(const Bf16Autocast&) = delete;

 private:
  bool active_ = false;
};

}  // namespace loce::train
