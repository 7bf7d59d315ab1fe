#pragma once
// Learning rate per step: linear warm-up from 0 to the base rate over `warmup` steps, then a
// half-cosine from the base rate down to base * final_fraction at `total` steps (as in the
// Barlow Twins recipe). A pure function of the step, so the scheduler's state is the step.
#include <algorithm>
#include <cmath>
#include <cstdint>

namespace loce::train {

struct WarmupCosine {
  double base_lr = 1e-3;
  int64_t warmup = 0;
  int64_t total = 1;
  double final_fraction = 0.0;

  double operator()(int64_t step) const {
    if (warmup > 0 && step < warmup) return base_lr * double(step + 1) / double(warmup);
    const int64_t span = std::max<int64_t>(1, total - warmup);
    const double t = std::min(1.0, double(step - warmup) / double(span));
    const double cosine = 0.5 * (1.0 + std::cos(std::acos(-1.0) * t));
    return base_lr * (final_fraction + (1.0 - final_fraction) * cosine);
  }
};

}  // namespace loce::train
