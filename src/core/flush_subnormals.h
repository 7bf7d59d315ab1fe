#pragma once
// Subnormal floats (below 1.2e-38) cost x86 a microcode assist per operation that reads or
// produces one: products ran 35x slower. LoCE's grid gradients have many (saturated pixels,
// then scaled by resize weights), and they add nothing at float32 precision. Our CPU loops hold
// a FlushSubnormals while they run, which sets flush-to-zero and denormals-are-zero on the
// calling thread and restores its previous mode afterwards. A no-op off x86.
#if defined(__SSE__)
#include <xmmintrin.h>
#endif

namespace loce {

class FlushSubnormals {
 public:
#if defined(__SSE__)
  FlushSubnormals() : saved_(_mm_getcsr()) { _mm_setcsr(saved_ | kFlushToZero | kDenormalsAreZero); }
  ~FlushSubnormals() { _mm_setcsr(saved_); }
#endif
  FlushSubnormals(const FlushSubnormals&) = delete;
  FlushSubnormals& operator=(const FlushSubnormals&) = delete;

 private:
#if defined(__SSE__)
  static constexpr unsigned kFlushToZero = 0x8000, kDenormalsAreZero = 0x0040;
  unsigned saved_;
#endif
};

}  // namespace loce
