#pragma once
// Our own CPU loops on LibTorch's thread count. at::parallel_for cannot be used for them: in
// LibTorch's OpenMP builds (Debian's 1.13, PyTorch's wheels) it is a header template whose
// `#pragma omp parallel` only takes effect in translation units compiled with -fopenmp, and
// silently runs on one thread otherwise. This file is the one place compiled with OpenMP.
#include <cstdint>
#include <functional>

namespace loce {

// Calls fn(first, last) on contiguous ranges covering [0, n), at most one per thread of
// at::get_num_threads(), in parallel (serially inside another parallel region, or when there are
// fewer than two ranges of `grain` items: waking the threads costs more than such work).
// The first exception thrown by any range is rethrown here after all ranges have finished.
void parallel_ranges(int64_t n, const std::function<void(int64_t, int64_t)>& fn,
                     int64_t grain = 1);

}  // namespace loce
