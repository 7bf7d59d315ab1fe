#pragma once
// LoCEs for activations computed elsewhere (`loce embed --from-activations ACTS.h5`).
// Input schema (one row per pair):
//   /activations  float32 (or float64) [P, C, h, w]
//   /masks        uint8 0/1, bool, or float32/float64 in [0, 1]  [P, H, W]  (H, W may differ);
//                 the reported IoU counts a pixel of a float mask as foreground above 0.5
//                 (mask_iou, targets.h)
//   /concept      int32 [P] optional: trainId (0..18) of each pair's concept, -1 for unknown
//   /image        int32 [P] optional: image index of each pair: a row of /images/name, or,
//                 without names, 0..P-1 (named "0", "1", ...)
//   /images/name  strings optional
//   attributes on / (optional): layer, model_run, method
// Wrong shapes, NaN or out-of-range masks and bad indices are InputErrors naming the dataset;
// pairs with non-finite activations or a non-finite optimised vector or loss, and pairs with
// empty or full masks, are skipped and counted.
#include <string>

#include <c10/core/Device.h>

#include "dist/communicator.h"
#include "loce/settings.h"

namespace loce::embedding {

struct FromActivationsSummary {
  int64_t pairs_in = 0, pairs_out = 0;
};

// Collective: every rank calls it; rank 0 writes `output`.
FromActivationsSummary embed_from_activations(const std::string& input, const std::string& output,
                                              const OptimizerSettings& settings,
                                              const c10::Device& device, dist::Communicator& comm);

}  // namespace loce::embedding
