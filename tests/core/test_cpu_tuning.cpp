// The CPU tuning plan (which environment variables a re-execution sets) and the float32 product
// that bypasses the BLAS.
#include <gtest/gtest.h>
#include <torch/torch.h>
#include <torch/version.h>

#include <malloc.h>

#include <cstdlib>

#include "core/cpu_tuning.h"
#include "core/matmul.h"
#include "core/onednn.h"

using namespace loce;

TEST(CpuTuning, FallbackKernelOnAnAvx512CpuGetsSkylakeX) {
  CpuFacts f{"Prescott", 1, true, true};
  auto plan = cpu_tuning_plan(f, {});
  EXPECT_EQ(plan.at("OPENBLAS_CORETYPE"), "SkylakeX");
  EXPECT_EQ(plan.at("OMP_WAIT_POLICY"), "PASSIVE");  // pthread OpenBLAS beside OpenMP
  EXPECT_EQ(plan.at("OPENBLAS_THREAD_TIMEOUT"), "20");  // its idle threads sleep sooner
}

TEST(CpuTuning, Avx2CpuGetsHaswellAndGoodKernelsAreLeftAlone) {
  EXPECT_EQ(cpu_tuning_plan({"Nehalem", 2, false, true}, {}).at("OPENBLAS_CORETYPE"), "Haswell");
  EXPECT_TRUE(cpu_tuning_plan({"Zen", 2, false, true}, {}).empty());
  EXPECT_TRUE(cpu_tuning_plan({"Cooperlake", 2, true, true}, {}).empty());
  EXPECT_TRUE(cpu_tuning_plan({"Prescott", 2, false, false}, {}).empty());  // an SSE3 CPU
}

TEST(CpuTuning, NeverOverridesTheUserOrTouchesOtherBlas) {
  auto plan = cpu_tuning_plan({"Prescott", 1, true, true},
                              {{"OPENBLAS_CORETYPE", "Haswell"}, {"OMP_WAIT_POLICY", "ACTIVE"},
                               {"OPENBLAS_THREAD_TIMEOUT", "28"}});
  EXPECT_TRUE(plan.empty());
  EXPECT_TRUE(cpu_tuning_plan({"", -1, true, true}, {}).empty());  // MKL or no OpenBLAS
  // The OpenMP build of OpenBLAS shares LibTorch's threads: no wait policy or timeout needed.
  EXPECT_EQ(cpu_tuning_plan({"Prescott", 2, true, true}, {}).count("OMP_WAIT_POLICY"), 0u);
  EXPECT_EQ(cpu_tuning_plan({"Prescott", 2, true, true}, {}).count("OPENBLAS_THREAD_TIMEOUT"), 0u);
}

TEST(CpuTuning, HugePagesForMallocOnlyWhereTheKernelWaitsForMadvise) {
  CpuFacts f{"SkylakeX", 2, true, true};  // nothing to do for OpenBLAS
  f.glibc_hugetlb = true;
  EXPECT_TRUE(cpu_tuning_plan(f, {}).empty());  // THP "always" or "never": nothing to ask for
  f.thp_madvise = true;
  EXPECT_EQ(cpu_tuning_plan(f, {}).at("GLIBC_TUNABLES"), kHugePageMallocTunables);
  // Also without OpenBLAS (a CUDA LibTorch with MKL).
  CpuFacts mkl = f;
  mkl.openblas_core = "";
  EXPECT_EQ(cpu_tuning_plan(mkl, {}).count("GLIBC_TUNABLES"), 1u);
  // The user's malloc settings win, whichever they are; an older glibc lacks the tunable.
  EXPECT_TRUE(cpu_tuning_plan(f, {{"GLIBC_TUNABLES", "glibc.malloc.check=0"}}).empty());
  EXPECT_TRUE(cpu_tuning_plan(f, {{"MALLOC_ARENA_MAX", "2"}}).empty());
  EXPECT_TRUE(cpu_tuning_plan(f, {{"MALLOC_MMAP_MAX_", "0"}}).empty());
  f.glibc_hugetlb = false;
  EXPECT_TRUE(cpu_tuning_plan(f, {}).empty());
}

#if defined(__GLIBC__) && __GLIBC_PREREQ(2, 33)
// Bytes of a fresh 64 MiB block that malloc serves from mmap.
static size_t mmapped_bytes_of_large_block() {
  const size_t before = mallinfo2().hblkhd;
  char* volatile p = static_cast<char*>(std::malloc(64 << 20));
  p[0] = 1;
  const size_t during = mallinfo2().hblkhd;
  std::free(p);
  return during - before;
}

TEST(CpuTuning, LargeBlocksComeFromTheHeapOnceTuned) {
  setenv("GLIBC_TUNABLES", "glibc.malloc.check=0", 1);  // the user's own settings win
  EXPECT_EQ(keep_freed_memory_in_heap(), "");
  unsetenv("GLIBC_TUNABLES");
  EXPECT_GE(mmapped_bytes_of_large_block(), size_t(64) << 20);  // glibc's default: mmap
  EXPECT_NE(keep_freed_memory_in_heap(), "");
  EXPECT_EQ(mmapped_bytes_of_large_block(), 0u);
}
#endif

TEST(OneDnn, OnWithLibTorch1OffWith2AndTheEnvironmentDecidesOtherwise) {
  if (!at::hasMKLDNN()) GTEST_SKIP() << "this LibTorch has no oneDNN";
  const bool before = at::globalContext().userEnabledMkldnn();
  unsetenv("LOCE_ONEDNN");
  configure_onednn();
  EXPECT_EQ(at::globalContext().userEnabledMkldnn(), TORCH_VERSION_MAJOR < 2);
  setenv("LOCE_ONEDNN", "0", 1);
  EXPECT_NE(configure_onednn().find("off"), std::string::npos);
  EXPECT_FALSE(at::globalContext().userEnabledMkldnn());
  EXPECT_FALSE(onednn_matmul_enabled());
  setenv("LOCE_ONEDNN", "1", 1);
  configure_onednn();
  EXPECT_TRUE(at::globalContext().userEnabledMkldnn());
  unsetenv("LOCE_ONEDNN");
  at::globalContext().setUserEnabledMkldnn(before);
}

TEST(Matmul, Float32MatchesAtMmAndFloat64IsAtMm) {
  torch::manual_seed(3);
  at::Tensor a = torch::randn({70, 33}), b = torch::randn({41, 33});
  at::Tensor ours = matmul_nt(a, b), ref = torch::mm(a.to(torch::kFloat64), b.to(torch::kFloat64).t());
  ASSERT_EQ(ours.sizes(), (std::vector<int64_t>{70, 41}));
  EXPECT_EQ(ours.scalar_type(), torch::kFloat32);
  EXPECT_LT((ours.to(torch::kFloat64) - ref).abs().max().item<double>(), 1e-4);
  // Views (a column block, as the GMM's triangular products take) are fine.
  at::Tensor v = matmul_nt(a.narrow(1, 0, 20), b.narrow(1, 0, 20));
  EXPECT_LT((v.to(torch::kFloat64) - torch::mm(a.narrow(1, 0, 20).to(torch::kFloat64),
                                                b.narrow(1, 0, 20).to(torch::kFloat64).t()))
                .abs().max().item<double>(), 1e-4);
  at::Tensor ad = a.to(torch::kFloat64), bd = b.to(torch::kFloat64);
  EXPECT_TRUE(matmul_nt(ad, bd).equal(torch::mm(ad, bd.t())));
}
