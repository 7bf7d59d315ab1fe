#pragma once
// What a LoCE run optimises, and how. Two modes share one optimiser:
//  * reference: the published implementation, bit for bit in its choices (loce_reference.md):
//    activations bilinearly resized to a 100x100 grid, the binary mask resized there as
//    scikit-image does, Net2Vec's pseudo-BCE with per-pair alpha and the reference's 1/B factors,
//    AdamW (lr 0.1, betas 0.9/0.999, eps 1e-8, weight decay 0.01), 50 iterations from zeros.
//  * native: the activation's own grid and a proper class-balanced BCE with logits. Pick it when
//    the vectors should describe the layer rather than the reference's protocol: the 100x100
//    grid invents 10000 interpolated "pixels" from e.g. 8x16 cells (a cost of 100x100 per step
//    whatever the layer, and edge pixels that no activation cell sees on its own), the
//    pseudo-BCE is linear in sigmoid(A.v), so confidently wrong pixels stop pushing (its
//    gradient vanishes where sigmoid saturates) while BCE keeps pushing them, and the loss does
//    not depend on how pairs were batched. Masks are brought to the activation grid as covered
//    fractions (--mask-resize area) or nearest labels.
#include <cstdint>
#include <string>

namespace loce::embedding {

enum class Mode { Reference, Native };
enum class MaskResize { Area, Nearest };

Mode parse_mode(const std::string& name);               // reference | native
std::string to_string(Mode mode);
MaskResize parse_mask_resize(const std::string& name);  // area | nearest
std::string to_string(MaskResize resize);

struct OptimizerSettings {
  Mode mode = Mode::Reference;
  int iterations = 50;
  double lr = 0.1;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.01;
  // Reference mode: the grid both activations and masks are resized to (target_shape).
  int64_t grid_h = 100, grid_w = 100;
  // Reference mode: pairs are optimised by the reference in batches of this many samples, and
  // its loss carries 1/B twice (per-sample -1/B sum, then the batch mean). AdamW is invariant to
  // that scale except through eps, so exact reproduction assigns every pair the B of the batch
  // the reference would have put it in (consecutive groups of this size, see pair_plan.h).
  int64_t reference_batch = 64;
  // Native mode: how masks are brought to the activation grid.
  MaskResize mask_resize = MaskResize::Area;
  // Pairs whose mask covers less than this fraction (at its own resolution) are skipped.
  double min_area = 0.0;
  // Bound on the working memory of one optimisation chunk (activations, targets, temporaries).
  int64_t memory_budget_bytes = int64_t(2) << 30;
  // On CPU, chunks are also kept near this size: the 50 iterations then reread activations
  // from the caches instead of DRAM (loce bench loce, 2-core VM: 16 MiB chunks gave 1.2x (one
  // pair per image) to 1.8x (five per image) the LoCEs/s of 4 GiB chunks).
  int64_t cpu_chunk_bytes = int64_t(16) << 20;

  void validate() const;  // InputError naming the offending setting
};

}  // namespace loce::embedding
