#pragma once
#include <ATen/Tensor.h>

// LOCE_CPU_CLONES before a function compiles it three times, for AVX-512 (x86-64-v4), AVX2
// (x86-64-v3) and the baseline, and lets the loader pick the best one for the CPU it runs on
// (GCC's target_clones). For the few hand-written CPU loops that LibTorch has no fused operation
// for; the build itself stays portable. Put the loop in an always-inline function so that it is
// compiled inside each clone, and build the file with -fno-math-errno so that sqrt vectorises.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__linux__)
#define LOCE_CPU_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define LOCE_CPU_CLONES
#endif
#define LOCE_ALWAYS_INLINE inline __attribute__((always_inline))
// Before a short fixed-length loop: GCC would unroll it completely and then fail to vectorise
// the straight-line code; kept as a loop, its vectoriser handles it.
#define LOCE_NO_UNROLL _Pragma("GCC unroll 1")

namespace loce {
// The tensors those loops read: float32 in CPU memory (others take LibTorch's operations).
inline bool cpu_loops_take(const at::Tensor& t) {
  return t.is_cpu() && t.scalar_type() == at::kFloat;
}
}  // namespace loce
