#pragma once
// The LoCE file, a fixed schema other tools read with h5py:
//   /loce/vectors  float32 [P, C]     the raw vectors (not normalised)
//   /loce/concept  int32   [P]        Cityscapes trainId of the pair's concept (-1: unknown)
//   /loce/image    int32   [P]        row in /images/name
//   /loce/iou      float32 [P]        IoU of the projection with the mask at the mask's own
//                                     resolution, as the reference computes it (mask_iou,
//                                     targets.h)
//   /loce/loss     float32 [P]        the mode's objective per grid pixel at the final vector
//   /loce/area     float32 [P]        mask fraction at the mask's own resolution
//   /images/name   strings [N]
//   /concepts/train_id int32 [K], /concepts/name strings [K]: the concepts asked for
// Attributes on /loce: layer, mode, iterations, lr, weight_decay, beta1, beta2, eps, grid_h,
// grid_w, reference_batch, mask_resize, min_area, concepts (names, as analysis reads them),
// source (the model run or activations file), method,
// git_revision, pairs_considered, skipped_empty, skipped_full, skipped_small,
// skipped_non_finite, pairs_iou_zero (written pairs with IoU 0, which the reference reports as
// not converged).
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include <ATen/Tensor.h>

#include "dist/communicator.h"
#include "loce/settings.h"
#include "loce/targets.h"

namespace loce::embedding {

struct LoceTable {
  at::Tensor vectors;                    // float32 [P, C]
  at::Tensor concept_id, image;          // int32 [P]
  at::Tensor iou, loss, area;            // float32 [P]
  std::vector<std::string> image_names;  // indexed by image
};

struct LoceProvenance {
  std::string layer;       // e.g. "encoder.level4", or what the activations file says
  std::string source;      // the model run directory, or the activations file
  std::string method;      // barlow, dae, rpl, baseline, external...
  std::vector<int> concept_ids;            // trainIds (-1: unknown)
  std::vector<std::string> concept_names;  // same order
  int64_t pairs_considered = 0;
  std::array<int64_t, kNumSkipReasons> skipped{};
  int64_t pairs_iou_zero = 0;
};

// Collective, before any work, so that an unusable --out costs nothing: rank 0 refuses a
// `path` that is the same file as `input` (when given: writing would destroy it) and makes the
// checks of check_output_file (core/atomic_file.h) for "--out". A problem is a
// CollectiveInputError on every rank, its message starting with `what`.
void check_output_path(const std::string& path, dist::Communicator& comm,
                       const std::string& input = {}, const std::string& what = "LoCE output");

// Written to a temporary file and renamed (AtomicFile).
void write_loce_file(const std::string& path, const LoceTable& table,
                     const LoceProvenance& provenance, const OptimizerSettings& settings);

LoceTable read_loce_file(const std::string& path);

}  // namespace loce::embedding
