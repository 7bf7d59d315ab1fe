#include "loce/optimizer.h"

#include <torch/torch.h>

#include <cmath>
#include <limits>

#include "core/error.h"
#include "loce/resize_matrices.h"
#include "loce/targets.h"

namespace loce::embedding {
namespace {

// Maps V [n, K, C] to grid logits [n, K, gh, gw] and gradients on the grid back to V.
// Reference mode resizes the low-resolution projection instead of the activations: bilinear
// resizing is linear, so resize(A) . v == R_h (A . v) R_w^T, at a cost of h*w*C per pair
// instead of gh*gw*C, and without the [n, C, gh, gw] tensor.
class Projection {
 public:
  Projection(const at::Tensor& activations, int64_t K, const OptimizerSettings& s)
      : n_(activations.size(0)), K_(K), C_(activations.size(1)), h_(activations.size(2)),
        w_(activations.size(3)), resize_(s.mode == Mode::Reference) {
    a_ = activations.reshape({n_, C_, h_ * w_});
    at_ = a_.transpose(1, 2);  // [n, hw, C] view: bmm takes it through BLAS's transpose flag
    if (resize_) {
      auto opts = activations.options();
      rows_ = bilinear_matrix(h_, s.grid_h).to(opts);        // [gh, h]
      cols_t_ = bilinear_matrix(w_, s.grid_w).t().to(opts);  // [w, gw]
      rows_t_ = rows_.t().contiguous();
      cols_ = cols_t_.t().contiguous();
      gh_ = s.grid_h;
      gw_ = s.grid_w;
    } else {
      gh_ = h_;
      gw_ = w_;
    }
  }

  at::Tensor forward(const at::Tensor& v) const {
    at::Tensor z = project(v);  // [n, K, hw]
    if (!resize_) return z.view({n_, K_, h_, w_});
    z = torch::matmul(z.view({n_ * K_, h_, w_}), cols_t_);  // [nK, h, gw]
    return torch::matmul(rows_, z).view({n_, K_, gh_, gw_});
  }

  at::Tensor backward(const at::Tensor& grid_grad) const {
    at::Tensor g = grid_grad;
    if (resize_) {
      g = torch::matmul(g.view({n_ * K_, gh_, gw_}), cols_);  // [nK, gh, w]
      g = torch::matmul(rows_t_, g);                           // [nK, h, w]
    }
    return back_project(g.reshape({n_, K_, h_ * w_}));       // [n, K, C]
  }

 private:
  // One pair per activation row on large layers: a matrix-vector product per row. BLAS's GEMM
  // with one row packs the whole [C, hw] operand on every call; GEMV streams it once (3x
  // faster per iteration at C 1024, 64x128, where each row's activations are 32 MB).
  bool per_row_gemv() const { return K_ == 1 && C_ * h_ * w_ >= (int64_t(1) << 20); }

  at::Tensor project(const at::Tensor& v) const {  // v [n, K, C] -> [n, K, hw]
    return per_row_gemv() ? rowwise_mv(at_, v) : torch::bmm(v, a_);
  }

  at::Tensor back_project(const at::Tensor& g) const {  // g [n, K, hw] -> [n, K, C]
    return per_row_gemv() ? rowwise_mv(a_, g) : torch::bmm(g, at_);
  }

  // out[i, 0] = m[i] x[i, 0] for m [n, r, c] and x [n, 1, c]: [n, 1, r].
  static at::Tensor rowwise_mv(const at::Tensor& m, const at::Tensor& x) {
    at::Tensor out = torch::empty({m.size(0), 1, m.size(1)}, x.options());
    for (int64_t i = 0; i < m.size(0); ++i) {
      at::Tensor oi = out[i][0];
      torch::mv_out(oi, m[i], x[i][0]);
    }
    return out;
  }

  int64_t n_, K_, C_, h_, w_, gh_ = 0, gw_ = 0;
  bool resize_;
  at::Tensor a_, at_, rows_, rows_t_, cols_, cols_t_;
};

// torch.optim.AdamW's single-tensor step (as in PyTorch 1.13), on the whole V at once.
class AdamW {
 public:
  AdamW(const at::Tensor& param, const OptimizerSettings& s)
      : s_(s), m_(torch::zeros_like(param)), v_(torch::zeros_like(param)) {}

  void step(at::Tensor& param, const at::Tensor& grad) {
    ++t_;
    param.mul_(1.0 - s_.lr * s_.weight_decay);
    m_.mul_(s_.beta1).add_(grad, 1.0 - s_.beta1);
    v_.mul_(s_.beta2).addcmul_(grad, grad, 1.0 - s_.beta2);
    const double bias1 = 1.0 - std::pow(s_.beta1, double(t_));
    const double bias2_sqrt = std::sqrt(1.0 - std::pow(s_.beta2, double(t_)));
    at::Tensor denom = (v_.sqrt() / bias2_sqrt).add_(s_.eps);
    param.addcdiv_(m_, denom, -s_.lr / bias1);
  }

 private:
  const OptimizerSettings& s_;
  at::Tensor m_, v_;
  int64_t t_ = 0;
};

at::Tensor expand_pair(const at::Tensor& per_pair) { return per_pair.unsqueeze(-1).unsqueeze(-1); }

}  // namespace

Solution optimize(const Problem& p, const OptimizerSettings& s) {
  const at::Tensor& acts = p.activations;
  LOCE_CHECK(acts.dim() == 4 && acts.scalar_type() == torch::kFloat32,
             "LoCE optimiser: activations must be float32 [n, C, h, w], got ", acts.sizes(), " ",
             acts.scalar_type());
  const int64_t n = acts.size(0), C = acts.size(1), K = p.target.size(1);
  const auto [gh, gw] = grid_shape(s, acts.size(2), acts.size(3));
  LOCE_CHECK(p.target.dim() == 4 && p.target.size(0) == n && p.target.size(2) == gh &&
                 p.target.size(3) == gw,
             "LoCE optimiser: targets ", p.target.sizes(), " do not match activations ",
             acts.sizes(), " on a ", gh, "x", gw, " grid");
  LOCE_CHECK(p.positive_weight.sizes() == p.batch_size.sizes() &&
                 p.positive_weight.size(0) == n && p.positive_weight.size(1) == K,
             "LoCE optimiser: per-pair tensors must be [n, K]");

  auto opts = acts.options();
  const at::Tensor y = p.target;
  const at::Tensor alpha = expand_pair(p.positive_weight.to(opts));
  const at::Tensor beta = 1.0 - alpha;
  const at::Tensor active = p.batch_size.to(opts) > 0;

  // dLoss/dlogit on the grid, written as fixed per-pixel coefficients so each iteration costs
  // one sigmoid and one fused multiply:
  //  reference: d/dz of (1/B) * -(1/B) sum(alpha y P + beta (1-y)(1-P)) = (beta - y) P (1-P) / B^2
  //  native:    d/dz of mean(-alpha y log P - beta (1-y) log(1-P)) = (P (alpha y + beta (1-y))
  //             - alpha y) / (gh gw)
  at::Tensor scale;
  at::Tensor coef, offset;
  if (s.mode == Mode::Reference) {
    at::Tensor b = p.batch_size.to(opts);
    scale = torch::where(active, 1.0 / (b * b), torch::zeros_like(b));
    coef = expand_pair(scale) * (beta - y);
  } else {
    scale = active.to(torch::kFloat32) / double(gh * gw);
    coef = expand_pair(scale) * (alpha * y + beta * (1.0 - y));
    offset = -(expand_pair(scale) * alpha * y);
  }

  Projection proj(acts, K, s);
  at::Tensor v = torch::zeros({n, K, C}, opts);
  AdamW adamw(v, s);
  for (int it = 0; it < s.iterations; ++it) {
    at::Tensor prob = torch::sigmoid(proj.forward(v));
    at::Tensor grid_grad = s.mode == Mode::Reference ? at::sigmoid_backward(coef, prob)
                                                      : torch::addcmul(offset, prob, coef);
    // Saturated pixels give subnormal gradients (sigmoid near 0 times a coefficient), and BLAS
    // kernels run 35x slower on subnormal operands (x86 without flush-to-zero, which OpenBLAS's
    // own threads do not inherit). They are below 1e-38, no contribution at float32 precision.
    grid_grad.masked_fill_(grid_grad.abs() < std::numeric_limits<float>::min(), 0.0f);
    adamw.step(v, proj.backward(grid_grad));
  }

  Solution out;
  out.vectors = v;
  at::Tensor logits = proj.forward(v);
  out.logits = logits;
  if (s.mode == Mode::Reference) {
    at::Tensor prob = torch::sigmoid(logits);
    out.loss = -(alpha * y * prob + beta * (1.0 - y) * (1.0 - prob)).mean({2, 3});
  } else {
    out.loss = (alpha * y * torch::softplus(-logits) +
                beta * (1.0 - y) * torch::softplus(logits)).mean({2, 3});
  }
  out.finite = torch::isfinite(acts).reshape({n, -1}).all(1);
  return out;
}

int64_t bytes_per_row(int64_t C, int64_t h, int64_t w, int64_t K, int64_t H, int64_t W,
                      const OptimizerSettings& s) {
  const auto [gh, gw] = grid_shape(s, h, w);
  const int64_t grid = gh * gw, hw = h * w;
  int64_t floats = C * hw;                              // activations
  floats += K * (4 * grid + 3 * hw + h * gw + gh * w);  // target, coefficients, temporaries
  floats += K * 5 * C;                                  // V, moments, gradient, denominator
  int64_t doubles = K * (2 * H * W + 2 * grid);         // masks while targets are made
  return 4 * floats + 8 * doubles;
}

}  // namespace loce::embedding
