#include <ATen/Parallel.h>
#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <vector>

#include "core/parallel.h"

namespace {

// Restores LibTorch's thread count after a test that changes it.
struct RestoreThreads {
  int saved = at::get_num_threads();
  ~RestoreThreads() { at::set_num_threads(saved); }
};

// How often parallel_ranges calls fn on each of n items.
std::vector<int> visits(int64_t n, int64_t grain) {
  std::vector<std::atomic<int>> seen(n);
  loce::parallel_ranges(
      n,
      [&](int64_t first, int64_t last) {
        for (int64_t i = first; i < last; ++i) seen[i]++;
      },
      grain);
  return std::vector<int>(seen.begin(), seen.end());
}

}  // namespace

// Every item exactly once, whatever the thread count. Also run by CTest with
// OMP_THREAD_LIMIT=1 (core.parallel_under_thread_limit), where OpenMP starts fewer threads
// than LibTorch's count asks for: ranges sized for the count asked would leave items unrun.
TEST(ParallelRanges, EveryItemRunsExactlyOnce) {
  RestoreThreads restore;
  for (int threads : {1, 2, 3, 4, 7}) {
    at::set_num_threads(threads);
    for (int64_t n : {1, 2, 5, 100, 1001}) {
      const std::vector<int> seen = visits(n, 1);
      for (int64_t i = 0; i < n; ++i)
        ASSERT_EQ(seen[i], 1) << "item " << i << " of " << n << " on " << threads << " threads";
    }
  }
}

TEST(ParallelRanges, RethrowsTheFirstErrorAfterAllRangesFinish) {
  RestoreThreads restore;
  at::set_num_threads(4);
  std::atomic<int64_t> done{0};
  EXPECT_THROW(loce::parallel_ranges(
                   100,
                   [&](int64_t first, int64_t last) {
                     done += last - first;
                     if (first == 0) throw std::runtime_error("range 0 failed");
                   }),
               std::runtime_error);
  EXPECT_EQ(done.load(), 100);
}
