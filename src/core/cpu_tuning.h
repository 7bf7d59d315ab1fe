#pragma once
// Environment settings that decide LibTorch's CPU speed and are read only when the program or
// its shared libraries load, so a process can only fix them by starting itself again:
//  * OPENBLAS_CORETYPE. OpenBLAS 0.3.21 (Debian 12) does not know the CPU model of the
//    2-core VMs here and falls back to its "Prescott" (SSE3) kernels: sgemm ran at ~55 GFLOPS
//    instead of ~200 with its SkylakeX kernels on the same AVX-512 CPU.
//  * OMP_WAIT_POLICY. With the pthread build of OpenBLAS, LibTorch's OpenMP threads spin after
//    every parallel region while OpenBLAS's own threads need the same cores: 60% of a LoCE
//    run's CPU time went to spinning and sched_yield. PASSIVE lets them sleep.
//    Measured (loce bench loce, reference mode, 2 threads, with OPENBLAS_CORETYPE): deep-layer
//    LoCEs/s 30 -> 54 (one per image) and 65 -> 187 (five per image); pretraining img/s +10%.
//  * OPENBLAS_THREAD_TIMEOUT=20, also with the pthread build: an idle OpenBLAS thread calls
//    sched_yield for 2^28 cycles (OpenBLAS's default, ~0.1 s) before it sleeps, a system call
//    each time, while the cores run LibTorch's own loops; 2^20 cycles (~0.3 ms) still spans
//    back-to-back GEMMs. Analysis benchmark, 5 alternating runs each: 7.5 -> 6.9 s, CPU time
//    16.8 -> 14.5 s.
//  * GLIBC_TUNABLES with glibc.malloc.hugetlb=1, where transparent huge pages are in "madvise"
//    mode (glibc >= 2.35), with or without OpenBLAS: malloc then asks for 2 MiB pages, and the
//    first touch of a large tensor costs one page fault per 2 MiB instead of per 4 KiB. The
//    same string keeps freed blocks in the heap (see keep_freed_memory_in_heap). Analysis
//    benchmark on a 2-core VM, 4 alternating runs each: 357k -> 40k page faults, 9.8 -> 8.7 s.
//
// tune_cpu_environment() is called in main once the command line has parsed (so --help and a
// mistyped option answer without it, a second sooner): when any of these is missing where it
// applies, it sets what is missing (never overriding a user's value) and re-executes the
// program once (LOCE_CPU_TUNED marks the second start and says what was changed).
// LOCE_CPU_TUNING=0 turns it off.
#include <map>
#include <string>

namespace loce {

struct CpuFacts {
  std::string openblas_core;  // openblas_get_corename(), "" without OpenBLAS
  int openblas_parallel = -1; // openblas_get_parallel(): 0 serial, 1 pthreads, 2 OpenMP
  bool avx512 = false;        // AVX-512 F, BW, DQ and VL
  bool avx2 = false;          // AVX2 and FMA
  bool thp_madvise = false;   // transparent huge pages only where madvise asks for them
  bool glibc_hugetlb = false; // glibc has the glibc.malloc.hugetlb tunable (2.35 and later)
};

// The GLIBC_TUNABLES value the plan sets: huge pages for malloc, freed blocks kept up to 1 GiB.
extern const char* const kHugePageMallocTunables;

// The environment variables to set for these facts, given the current environment (a variable
// already set is never changed). Empty: nothing to do.
std::map<std::string, std::string> cpu_tuning_plan(const CpuFacts& facts,
                                                   const std::map<std::string, std::string>& env);

// Every variable the tuning may set, whoever set it.
extern const char* const kTunedVariables[4];

// Facts about this process (OpenBLAS looked up with dlsym, so no link dependency).
CpuFacts current_cpu_facts();

// Re-executes the program with the plan applied when there is one (see above); returns when
// there is nothing to do, tuning is off, or the re-execution failed.
void tune_cpu_environment(char** argv);

// OpenBLAS's pthread build starts as many threads of its own as the CPUs the process may run
// on (its affinity mask), whatever LibTorch's thread count, and splits its products (e.g. the
// convolutions of the encoder with oneDNN off or at batch 1) by that count: the same --threads
// gave vectors 1 ulp apart under `taskset -c 0` and without it. This sets OpenBLAS's thread
// count to `threads` (LibTorch's intra-op count), so results depend on --threads alone, and
// OpenBLAS no longer runs more threads than the rank was given. Leaves an explicit
// OPENBLAS_NUM_THREADS alone; does nothing without OpenBLAS. Returns a line for the log.
std::string match_blas_threads(int threads);

// What the re-execution changed ("" when it did not happen), for a log line.
std::string cpu_tuning_note();

// glibc's malloc serves each block above its mmap threshold (adaptive, at most 32 MiB by
// default) with fresh pages from mmap and unmaps them again on free. LibTorch allocates every
// CPU tensor with posix_memalign, so each large temporary of an EM iteration, a distance tile
// or a LoCE chunk paid page faults and kernel page zeroing anew: 4.8 s of system time in a
// 10 s analysis benchmark. Raising the mmap and trim thresholds to 1 GiB keeps freed blocks in
// the heap for the next tensor. Called first thing in main; does nothing when the user set
// glibc's own malloc settings (MALLOC_*_ or GLIBC_TUNABLES; also the restart's GLIBC_TUNABLES,
// which include these thresholds) or LOCE_CPU_TUNING=0. Returns
// what it set, for a log line ("" when nothing).
std::string keep_freed_memory_in_heap();

}  // namespace loce
