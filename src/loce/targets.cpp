#include "loce/targets.h"

#include <torch/torch.h>

#include "core/error.h"
#include "loce/resize_matrices.h"

namespace loce::embedding {

std::string to_string(Skip reason) {
  switch (reason) {
    case Skip::None: return "kept";
    case Skip::Empty: return "empty mask";
    case Skip::Full: return "full mask";
    case Skip::Small: return "mask below --min-area";
    case Skip::NonFinite: return "non-finite activations, vector or loss (float32 overflow included)";
  }
  return "unknown";
}

std::pair<int64_t, int64_t> grid_shape(const OptimizerSettings& s, int64_t act_h, int64_t act_w) {
  if (s.mode == Mode::Reference) return {s.grid_h, s.grid_w};
  return {act_h, act_w};
}

Targets make_targets(const at::Tensor& masks, int64_t act_h, int64_t act_w,
                     const OptimizerSettings& s) {
  LOCE_CHECK(masks.dim() == 4, "make_targets: masks must be [n, K, H, W], got ", masks.sizes());
  const int64_t H = masks.size(2), W = masks.size(3);
  const auto [gh, gw] = grid_shape(s, act_h, act_w);
  at::Tensor m = masks.to(torch::kFloat64);

  at::Tensor rows, cols;
  if (s.mode == Mode::Reference) {
    rows = skimage_resize_matrix(H, gh);
    cols = skimage_resize_matrix(W, gw);
  } else if (s.mask_resize == MaskResize::Area) {
    rows = area_matrix(H, gh);
    cols = area_matrix(W, gw);
  } else {
    rows = nearest_matrix(H, gh);
    cols = nearest_matrix(W, gw);
  }
  at::Tensor t = resize_separable(m, rows, cols);  // float64 [n, K, gh, gw]

  at::Tensor lo = m.amin({2, 3}), hi = m.amax({2, 3});
  Targets out;
  if (s.mode == Mode::Reference) {
    // skimage clips to the input's range; the reference then casts to float32.
    t = torch::max(torch::min(t, hi.unsqueeze(-1).unsqueeze(-1)), lo.unsqueeze(-1).unsqueeze(-1));
    out.target = t.to(torch::kFloat32);
    out.positive_weight = 1.0 - (out.target > 0).to(torch::kFloat32).mean({2, 3});
  } else {
    out.target = t.to(torch::kFloat32);
    out.positive_weight = (1.0 - t.mean({2, 3})).to(torch::kFloat32);
  }

  // Skip decisions on the host: a handful of numbers per pair.
  at::Tensor area = m.mean({2, 3}).cpu();
  at::Tensor no_fg = (hi.cpu() <= 0) | (t.amax({2, 3}).cpu() <= 0);
  at::Tensor no_bg = (lo.cpu() >= 1) | (t.amin({2, 3}).cpu() >= 1);
  at::Tensor skip = torch::zeros(area.sizes(), torch::kUInt8);
  skip.masked_fill_(area < s.min_area, uint8_t(Skip::Small));
  skip.masked_fill_(no_bg, uint8_t(Skip::Full));
  skip.masked_fill_(no_fg, uint8_t(Skip::Empty));
  out.area = area.to(torch::kFloat32);
  out.skip = skip;
  return out;
}

at::Tensor mask_iou(const at::Tensor& logits, const at::Tensor& masks, Mode mode) {
  LOCE_CHECK(logits.dim() == 4 && masks.dim() == 4 && logits.size(0) == masks.size(0) &&
                 logits.size(1) == masks.size(1),
             "mask_iou: logits ", logits.sizes(), " and masks ", masks.sizes(), " do not pair up");
  const int64_t n = logits.size(0), H = masks.size(2), W = masks.size(3);
  const auto f64 = logits.options().dtype(torch::kFloat64);
  const at::Tensor rows = skimage_resize_matrix(logits.size(2), H).to(f64);
  const at::Tensor cols = skimage_resize_matrix(logits.size(3), W).to(f64);
  at::Tensor iou = torch::empty({n, logits.size(1)}, torch::kFloat32);
  // One row at a time: the projection at mask resolution is K x H x W doubles.
  for (int64_t r = 0; r < n; ++r) {
    // The reference clips the logits to +-10 before the sigmoid (no effect on the threshold).
    at::Tensor prob = torch::sigmoid(logits[r].to(torch::kFloat64).clamp(-10.0, 10.0));
    if (mode == Mode::Reference) prob = torch::floor(prob * 255.0) / 255.0;  // its uint8 image
    at::Tensor predicted = resize_separable(prob, rows, cols).gt(0.5);
    at::Tensor truth = masks[r].gt(0.5);  // soft masks: see targets.h
    at::Tensor inter = (predicted & truth).sum({1, 2}).to(torch::kFloat32);
    at::Tensor uni = (predicted | truth).sum({1, 2}).to(torch::kFloat32);
    // Both empty (only a soft mask with no value above 0.5 can be): 1, see targets.h.
    iou[r] = torch::where(uni > 0, inter / uni.clamp_min(1), torch::ones_like(uni)).cpu();
  }
  return iou;
}

}  // namespace loce::embedding
