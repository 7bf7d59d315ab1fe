#pragma once
// Throughput of the LoCE engine on synthetic pairs shaped like the paper's layers (`loce bench
// loce`): the whole embed path but file I/O (plan, targets, chunked optimisation, gather).
// Inputs are made like shared/bench/ref_loce_bench.py does: elliptic masks, ReLU activations
// correlated with them, so the figures sit next to the reference harness's.
#include <cstdint>
#include <string>

#include <c10/core/Device.h>

#include "loce/settings.h"

namespace loce::embedding {

struct BenchCase {
  std::string name;            // e.g. "deep 8x16"
  int64_t channels = 1024, act_h = 8, act_w = 16;
  int64_t mask_h = 8, mask_w = 16;
  int64_t pairs = 256;
  int64_t concepts_per_row = 1;  // 1: every pair has its own activations (as the harness);
                                 // K: images with K concepts sharing activations (as embed --model)
};

struct BenchResult {
  int64_t loces = 0;
  double seconds = 0;
  double loces_per_second() const { return seconds > 0 ? double(loces) / seconds : 0; }
};

BenchResult run_bench_case(const BenchCase& c, const OptimizerSettings& settings,
                           const c10::Device& device, uint64_t seed);

}  // namespace loce::embedding
