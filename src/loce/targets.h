#pragma once
// From concept masks at their own resolution to what the optimiser fits: the target on the
// optimisation grid, the per-pair positive weight, the mask's area, and whether the pair is
// skipped (and why).
#include <cstdint>
#include <string>

#include <ATen/Tensor.h>

#include "loce/settings.h"

namespace loce::embedding {

// Why a pair produced no vector. Stored as uint8 codes.
enum class Skip : uint8_t { None = 0, Empty = 1, Full = 2, Small = 3, NonFinite = 4 };
constexpr int kNumSkipReasons = 5;
std::string to_string(Skip reason);  // "empty mask", ...

struct Targets {
  at::Tensor target;           // float32 [n, K, gh, gw], values in [0, 1], on the masks' device
  at::Tensor positive_weight;  // float32 [n, K]: alpha, the weight of foreground pixels
  at::Tensor area;             // float32 [n, K]: mask mean at the mask's own resolution (CPU)
  at::Tensor skip;             // uint8 [n, K]: Skip codes (CPU)
};

// masks: [n, K, H, W] with values in [0, 1] (uint8, bool or floating). The grid is
// settings.grid_h x grid_w in reference mode and act_h x act_w in native mode.
//  * reference: scikit-image's resize (resize_matrices.h) in float64, clipped to each mask's own
//    range, then cast to float32 as the reference does; alpha = 1 - mean(target > 0).
//  * native: area or nearest resize; alpha = 1 - mean(target) (soft area on the grid).
// A pair is skipped when its mask has no foreground or no background, at its own resolution or
// on the grid (nearest resizing can lose a small object), or when its area is below
// settings.min_area.
Targets make_targets(const at::Tensor& masks, int64_t act_h, int64_t act_w,
                     const OptimizerSettings& settings);

// The IoU each pair reports, as the LoCE reference computes it: the projection sigmoid(A.v) on
// the grid (logits [n, K, gh, gw]; in reference mode quantised to uint8 as the reference
// stores it) resized to the mask's own H x W with scikit-image's resize, thresholded at 0.5, and
// compared with the mask ([n, K, H, W]) thresholded at 0.5. float32 [n, K] on CPU.
// For binary masks this is the reference's IoU. Soft masks (float, which --from-activations
// accepts) differ: the reference's astype(bool) counts every nonzero pixel, here a pixel counts
// when its value exceeds 0.5. A kept soft mask can then be empty (all values in (0, 0.5]); the
// IoU is 1 when the projection is empty too, where scikit-learn's jaccard_score gives 0.
// IoU 0 is what the reference reports as "not converged" (counted in pairs_iou_zero).
at::Tensor mask_iou(const at::Tensor& logits, const at::Tensor& masks, Mode mode);

// The optimisation grid of a mode for activations of act_h x act_w.
std::pair<int64_t, int64_t> grid_shape(const OptimizerSettings& settings, int64_t act_h,
                                       int64_t act_w);

}  // namespace loce::embedding
