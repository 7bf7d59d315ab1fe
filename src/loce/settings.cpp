#include "loce/settings.h"

#include <cmath>

#include "core/error.h"

namespace loce::embedding {

Mode parse_mode(const std::string& name) {
  if (name == "reference") return Mode::Reference;
  if (name == "native") return Mode::Native;
  bad_input("LoCE mode '", name, "' is not one of reference, native");
}

std::string to_string(Mode mode) { return mode == Mode::Reference ? "reference" : "native"; }

MaskResize parse_mask_resize(const std::string& name) {
  if (name == "area") return MaskResize::Area;
  if (name == "nearest") return MaskResize::Nearest;
  bad_input("mask resize '", name, "' is not one of area, nearest");
}

std::string to_string(MaskResize resize) {
  return resize == MaskResize::Area ? "area" : "nearest";
}

void OptimizerSettings::validate() const {
  // !(x > 0) and the like also catch NaN; infinities are caught separately.
  auto finite = [](const char* what, double v) {
    if (!std::isfinite(v)) bad_input(what, " must be finite (got ", v, ")");
  };
  if (iterations < 1) bad_input("LoCE iterations must be at least 1 (got ", iterations, ")");
  if (!(lr > 0)) bad_input("LoCE learning rate must be positive (got ", lr, ")");
  finite("LoCE learning rate", lr);
  if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1))
    bad_input("AdamW betas must lie in [0, 1) (got ", beta1, ", ", beta2, ")");
  if (!(eps > 0)) bad_input("AdamW eps must be positive (got ", eps, ")");
  finite("AdamW eps", eps);
  if (!(weight_decay >= 0)) bad_input("weight decay must be >= 0 (got ", weight_decay, ")");
  finite("weight decay", weight_decay);
  if (grid_h < 1 || grid_w < 1) bad_input("reference grid must be at least 1x1");
  if (reference_batch < 1) bad_input("reference batch must be at least 1");
  if (!(min_area >= 0 && min_area <= 1)) bad_input("--min-area must lie in [0, 1]");
  if (memory_budget_bytes < (int64_t(1) << 20)) bad_input("memory budget below 1 MiB");
}

}  // namespace loce::embedding
