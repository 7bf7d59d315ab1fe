#include "core/parallel.h"

#include <ATen/Parallel.h>
#include <omp.h>

#include <algorithm>
#include <exception>
#include <mutex>

namespace loce {

void parallel_ranges(int64_t n, const std::function<void(int64_t, int64_t)>& fn,
                     int64_t grain) {
  if (n <= 0) return;
  const int64_t threads = at::get_num_threads();
  if (threads <= 1 || n < 2 * std::max<int64_t>(1, grain) || omp_in_parallel()) {
    fn(0, n);
    return;
  }
  std::exception_ptr error;
  std::mutex error_lock;
  // Always LibTorch's thread count (threads without a range idle), so that GNU OpenMP keeps
  // reusing one pool of threads. The team may still be smaller (OMP_THREAD_LIMIT, OMP_DYNAMIC,
  // nested limits), so the ranges follow the team actually started: none is left unrun.
#pragma omp parallel num_threads(int(threads))
  {
    const int64_t team = omp_get_num_threads(), t = omp_get_thread_num();
    const int64_t per = (n + team - 1) / team;
    const int64_t first = std::min(n, t * per), last = std::min(n, first + per);
    try {
      if (first < last) fn(first, last);
    } catch (...) {
      std::lock_guard<std::mutex> hold(error_lock);
      if (!error) error = std::current_exception();
    }
  }
  if (error) std::rethrow_exception(error);
}

}  // namespace loce
