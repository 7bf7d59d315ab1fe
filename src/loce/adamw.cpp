#include "loce/adamw.h"

#include <torch/torch.h>

#include <cmath>

#include "core/cpu_clones.h"
#include "core/error.h"

namespace loce::embedding {

AdamW::AdamW(const at::Tensor& param, const OptimizerSettings& s)
    : s_(s), m_(torch::zeros_like(param)), v_(torch::zeros_like(param)) {}

void AdamW::begin_step() {
  ++t_;
  bias1_ = 1.0 - std::pow(s_.beta1, double(t_));
  bias2_sqrt_ = std::sqrt(1.0 - std::pow(s_.beta2, double(t_)));
}

void AdamW::step(at::Tensor& param, const at::Tensor& grad) {
  begin_step();
  param.mul_(1.0 - s_.lr * s_.weight_decay);
  m_.mul_(s_.beta1).add_(grad, 1.0 - s_.beta1);
  v_.mul_(s_.beta2).addcmul_(grad, grad, 1.0 - s_.beta2);
  at::Tensor denom = (v_.sqrt() / bias2_sqrt_).add_(s_.eps);
  param.addcdiv_(m_, denom, -s_.lr / bias1_);
}

void AdamW::update(float* param, const float* grad, int64_t offset, int64_t count) const {
  LOCE_CHECK(cpu_loops_take(m_) && offset >= 0 &&
                 offset + count <= m_.numel(),
             "AdamW: piecewise update of elements ", offset, "..", offset + count, " of ",
             m_.numel(), " (", m_.scalar_type(), " on ", m_.device().str(), ")");
  // The tensor step's operations element by element, in float32 as LibTorch computes them.
  const float decay = float(1.0 - s_.lr * s_.weight_decay);
  const float b1 = float(s_.beta1), b2 = float(s_.beta2);
  const float one_minus_b1 = float(1.0 - s_.beta1), one_minus_b2 = float(1.0 - s_.beta2);
  const float bias2_sqrt = float(bias2_sqrt_), eps = float(s_.eps);
  const float step_size = float(-s_.lr / bias1_);
  float* p = param + offset;
  float* m = m_.data_ptr<float>() + offset;
  float* v = v_.data_ptr<float>() + offset;
  for (int64_t i = 0; i < count; ++i) {
    p[i] *= decay;
    m[i] = m[i] * b1 + grad[i] * one_minus_b1;
    v[i] = v[i] * b2 + one_minus_b2 * grad[i] * grad[i];
    const float denom = std::sqrt(v[i]) / bias2_sqrt + eps;
    p[i] += step_size * (m[i] / denom);
  }
}

at::Tensor AdamW::finite_second_moment(int64_t dims) const {
  return torch::isfinite(v_).flatten(-dims).all(-1);
}

}  // namespace loce::embedding
