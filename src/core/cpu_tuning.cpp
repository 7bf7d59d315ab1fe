#include "core/cpu_tuning.h"

#include <dlfcn.h>
#include <malloc.h>
#include <unistd.h>
#if defined(__GLIBC__)
#include <gnu/libc-version.h>
#endif

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>
#include <string>

namespace loce {
namespace {

// OpenBLAS cores that use the CPU's AVX-512 (resp. AVX2) units for sgemm/dgemm.
const std::set<std::string> kAvx512Cores = {"SkylakeX", "Cooperlake", "SapphireRapids"};
const std::set<std::string> kAvx2Cores = {"Haswell", "Zen", "SkylakeX", "Cooperlake",
                                          "SapphireRapids"};

const char* env_or_null(const std::map<std::string, std::string>& env, const std::string& key) {
  auto it = env.find(key);
  return it == env.end() ? nullptr : it->second.c_str();
}

// The user's own malloc settings (every environment variable glibc's malloc reads), which the
// tuning never overrides.
const char* const kMallocSettings[] = {
    "GLIBC_TUNABLES",  "MALLOC_ARENA_MAX",      "MALLOC_ARENA_TEST", "MALLOC_CHECK_",
    "MALLOC_MMAP_MAX_", "MALLOC_MMAP_THRESHOLD_", "MALLOC_PERTURB_",   "MALLOC_TOP_PAD_",
    "MALLOC_TRIM_THRESHOLD_"};

bool tuning_turned_off() {
  const char* off = std::getenv("LOCE_CPU_TUNING");
  return off && std::string(off) == "0";
}

}  // namespace

const char* const kTunedVariables[4] = {"OPENBLAS_CORETYPE", "OMP_WAIT_POLICY",
                                        "OPENBLAS_THREAD_TIMEOUT", "GLIBC_TUNABLES"};

const char* const kHugePageMallocTunables =
    "glibc.malloc.hugetlb=1:glibc.malloc.mmap_threshold=1073741824:"
    "glibc.malloc.trim_threshold=1073741824";

std::map<std::string, std::string> cpu_tuning_plan(const CpuFacts& f,
                                                   const std::map<std::string, std::string>& env) {
  std::map<std::string, std::string> plan;
  if (!f.openblas_core.empty()) {  // OpenBLAS only (CUDA LibTorch builds bring MKL)
    if (!env_or_null(env, "OPENBLAS_CORETYPE")) {
      if (f.avx512 && !kAvx512Cores.count(f.openblas_core))
        plan["OPENBLAS_CORETYPE"] = "SkylakeX";
      else if (!f.avx512 && f.avx2 && !kAvx2Cores.count(f.openblas_core))
        plan["OPENBLAS_CORETYPE"] = "Haswell";
    }
    if (f.openblas_parallel == 1) {  // OpenBLAS's own threads beside LibTorch's OpenMP ones
      if (!env_or_null(env, "OMP_WAIT_POLICY")) plan["OMP_WAIT_POLICY"] = "PASSIVE";
      if (!env_or_null(env, "OPENBLAS_THREAD_TIMEOUT")) plan["OPENBLAS_THREAD_TIMEOUT"] = "20";
    }
  }
  bool users_malloc = false;
  for (const char* key : kMallocSettings) users_malloc = users_malloc || env_or_null(env, key);
  if (f.thp_madvise && f.glibc_hugetlb && !users_malloc)
    plan["GLIBC_TUNABLES"] = kHugePageMallocTunables;
  return plan;
}

CpuFacts current_cpu_facts() {
  CpuFacts f;
  using CoreName = char* (*)();
  using Parallel = int (*)();
  if (auto core = reinterpret_cast<CoreName>(dlsym(RTLD_DEFAULT, "openblas_get_corename")))
    if (const char* name = core()) f.openblas_core = name;
  if (auto par = reinterpret_cast<Parallel>(dlsym(RTLD_DEFAULT, "openblas_get_parallel")))
    f.openblas_parallel = par();
#if defined(__x86_64__)
  __builtin_cpu_init();
  f.avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
  f.avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
  // "always [madvise] never": the bracketed word is the mode.
  std::string modes;
  std::getline(std::ifstream("/sys/kernel/mm/transparent_hugepage/enabled"), modes);
  f.thp_madvise = modes.find("[madvise]") != std::string::npos;
#if defined(__GLIBC__)
  int major = 0, minor = 0;
  if (std::sscanf(gnu_get_libc_version(), "%d.%d", &major, &minor) == 2)
    f.glibc_hugetlb = major > 2 || (major == 2 && minor >= 35);
#endif
  return f;
}

void tune_cpu_environment(char** argv) {
  if (tuning_turned_off() || std::getenv("LOCE_CPU_TUNED")) return;
  std::map<std::string, std::string> env;
  for (const char* key : kTunedVariables)
    if (const char* v = std::getenv(key)) env[key] = v;
  for (const char* key : kMallocSettings)
    if (const char* v = std::getenv(key)) env[key] = v;
  const CpuFacts facts = current_cpu_facts();
  const auto plan = cpu_tuning_plan(facts, env);
  if (plan.empty()) return;
  std::string note;
  for (const auto& [key, value] : plan) {
    setenv(key.c_str(), value.c_str(), 1);
    note += (note.empty() ? "" : ", ") + key + "=" + value;
    if (key == "OPENBLAS_CORETYPE") note += " (OpenBLAS chose " + facts.openblas_core + ")";
  }
  setenv("LOCE_CPU_TUNED", note.c_str(), 1);
  execv("/proc/self/exe", argv);
  // Still here: the re-execution failed; run as we are.
  unsetenv("LOCE_CPU_TUNED");
}

std::string keep_freed_memory_in_heap() {
  if (tuning_turned_off()) return "";
  for (const char* key : kMallocSettings)  // the user's, or the restart's (which include these)
    if (std::getenv(key)) return "";
#if defined(__GLIBC__)
  constexpr int kOneGiB = 1 << 30;
  if (mallopt(M_MMAP_THRESHOLD, kOneGiB) && mallopt(M_TRIM_THRESHOLD, kOneGiB))
    return "malloc keeps freed blocks up to 1 GiB for reuse (M_MMAP_THRESHOLD, M_TRIM_THRESHOLD)";
#endif
  return "";
}

std::string match_blas_threads(int threads) {
  using SetThreads = void (*)(int);
  auto set = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
  if (!set) return "";
  if (const char* user = std::getenv("OPENBLAS_NUM_THREADS"))
    return std::string("OpenBLAS threads: OPENBLAS_NUM_THREADS=") + user + " (yours)";
  set(threads);
  return "OpenBLAS threads: " + std::to_string(threads) + " (as LibTorch's)";
}

std::string cpu_tuning_note() {
  const char* v = std::getenv("LOCE_CPU_TUNED");
  return v ? v : "";
}

}  // namespace loce
