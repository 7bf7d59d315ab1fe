#include "loce/optimizer.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <optional>

#include "core/cpu_clones.h"
#include "core/error.h"
#include "loce/adamw.h"
#include "loce/axis_resize.h"
#include "loce/finite_rows.h"
#include "loce/resize_matrices.h"
#include "loce/row_products.h"
#include "loce/targets.h"

namespace loce::embedding {
namespace {

// Maps V [n, K, C] to grid logits [n, K, gh, gw] and gradients on the grid back to V.
// Reference mode: bilinear resizing is linear, so resize(A) . v == R_h (A . v) R_w^T, and each
// axis is resized where that is cheaper. An axis the grid enlarges (8x16 -> 100x100 on deep
// layers) is resized in the projection, every iteration, at h*w*C per pair instead of gh*gw*C
// and without the [n, C, gh, gw] tensor. An axis the grid shrinks (128 -> 100 columns at full
// resolution) is resized in the activations once, so that every iteration reads fewer bytes.
class Projection {
 public:
  Projection(const at::Tensor& activations, int64_t K, const OptimizerSettings& s)
      : n_(activations.size(0)), K_(K), C_(activations.size(1)), ph_(activations.size(2)),
        pw_(activations.size(3)), gh_(ph_), gw_(pw_) {
    at::Tensor a = activations;
    if (s.mode == Mode::Reference) {
      gh_ = s.grid_h;
      gw_ = s.grid_w;
      auto opts = activations.options();
      const at::Tensor rows = bilinear_matrix(ph_, gh_).to(opts);  // [gh, h]
      const at::Tensor cols = bilinear_matrix(pw_, gw_).to(opts);  // [gw, w]
      if (gw_ < pw_) {
        a = AxisResize(cols).last_axis(a);
        pw_ = gw_;
      } else {
        cols_.emplace(cols);
        cols_t_.emplace(cols.t());
      }
      if (gh_ < ph_) {
        a = AxisResize(rows).middle_axis(a.reshape({n_ * C_, ph_, pw_}));
        ph_ = gh_;
      } else {
        rows_.emplace(rows);
        rows_t_.emplace(rows.t());
      }
    }
    a_ = a.reshape({n_, C_, ph_ * pw_}).contiguous();
  }

  // The fused CPU iteration (row_products.h) applies where the streaming kernels do.
  bool fused() const { return cpu_loops_take(a_); }

  // V [n, K, C] -> Z on the projection grid [n, K, ph * pw].
  at::Tensor project(const at::Tensor& v) const { return project_rows(a_, v); }

  // Z -> logits on the loss's grid [n, K, gh, gw].
  at::Tensor to_grid(const at::Tensor& z) const {
    at::Tensor x = z.view({n_ * K_, ph_, pw_});
    if (cols_) x = cols_->last_axis(x);    // [nK, ph, gw]
    if (rows_) x = rows_->middle_axis(x);  // [nK, gh, gw]
    return x.view({n_, K_, gh_, gw_});
  }

  // dLoss/dlogits on the loss's grid -> dLoss/dV [n, K, C].
  at::Tensor backward(const at::Tensor& grid_grad) const {
    return back_project_rows(a_, from_grid(grid_grad));
  }

  // The fused iteration: the gradient, `update` on V block by block of channels, and Z for the
  // updated V, in one pass over the activations.
  at::Tensor step(const at::Tensor& grid_grad, const at::Tensor& v,
                  const ChannelBlockUpdate& update) const {
    return back_project_update_project(a_, from_grid(grid_grad), v, update);
  }

 private:
  at::Tensor from_grid(const at::Tensor& grid_grad) const {
    at::Tensor g = grid_grad.reshape({n_ * K_, gh_, gw_});
    if (cols_t_) g = cols_t_->last_axis(g);    // [nK, gh, pw]
    if (rows_t_) g = rows_t_->middle_axis(g);  // [nK, ph, pw]
    return g.reshape({n_, K_, ph_ * pw_});
  }

  int64_t n_, K_, C_;
  int64_t ph_, pw_;  // the grid the activations are projected on (after any resize of them)
  int64_t gh_, gw_;  // the loss's grid
  at::Tensor a_;     // [n, C, ph * pw]
  std::optional<AxisResize> rows_, rows_t_, cols_, cols_t_;  // resizes left to the iterations
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
  float* v_data = proj.fused() ? v.data_ptr<float>() : nullptr;
  const ChannelBlockUpdate update_block = [&](int64_t row, int64_t c0, int64_t c1,
                                              const float* row_grad) {
    for (int64_t k = 0; k < K; ++k)
      adamw.update(v_data, row_grad + k * C + c0, (row * K + k) * C + c0, c1 - c0);
  };
  at::Tensor z = proj.project(v);
  for (int it = 0; it < s.iterations; ++it) {
    at::Tensor prob = torch::sigmoid(proj.to_grid(z));
    at::Tensor grid_grad = s.mode == Mode::Reference ? at::sigmoid_backward(coef, prob)
                                                      : torch::addcmul(offset, prob, coef);
    // Saturated pixels give subnormal gradients; the CPU kernels flush them (flush_subnormals.h).
    if (proj.fused()) {
      adamw.begin_step();
      z = proj.step(grid_grad, v, update_block);
    } else {
      adamw.step(v, proj.backward(grid_grad));
      z = proj.project(v);
    }
  }

  Solution out;
  out.vectors = v;
  at::Tensor logits = proj.to_grid(z);
  out.logits = logits;
  if (s.mode == Mode::Reference) {
    at::Tensor prob = torch::sigmoid(logits);
    out.loss = -(alpha * y * prob + beta * (1.0 - y) * (1.0 - prob)).mean({2, 3});
  } else {
    out.loss = (alpha * y * torch::softplus(-logits) +
                beta * (1.0 - y) * torch::softplus(logits)).mean({2, 3});
  }
  // Finite activations are not enough: large ones (1e37) overflow the back-projection, and
  // AdamW then divides inf by inf; smaller ones (1e30) overflow only AdamW's squared gradient,
  // which freezes V at zero with a finite loss. Such a pair has no vector to report.
  out.finite = finite_rows(acts).unsqueeze(1) & torch::isfinite(v).all(-1) &
               adamw.finite_second_moment(1) & torch::isfinite(out.loss);
  return out;
}

int64_t bytes_per_row(int64_t C, int64_t h, int64_t w, int64_t K, int64_t H, int64_t W,
                      const OptimizerSettings& s) {
  const auto [gh, gw] = grid_shape(s, h, w);
  const int64_t grid = gh * gw, hw = h * w;
  int64_t floats = C * hw;                              // activations
  if (s.mode == Mode::Reference && (gh < h || gw < w))
    floats += C * std::min(h, gh) * std::min(w, gw);    // resized once where the grid shrinks
  floats += K * (4 * grid + 3 * hw + h * gw + gh * w);  // target, coefficients, temporaries
  floats += K * 5 * C;                                  // V, moments, gradient, denominator
  floats += K * 8 * std::min(h, gh) * std::min(w, gw);  // the fused iteration's partial sums
  int64_t doubles = K * (2 * H * W + 2 * grid);         // masks while targets are made
  return 4 * floats + 8 * doubles;
}

}  // namespace loce::embedding
