#include "core/onednn.h"

#include <ATen/Context.h>
#include <torch/version.h>

#include <cstdlib>
#include <cstring>

namespace loce {

std::string configure_onednn() {
  if (!at::hasMKLDNN()) return "oneDNN: not in this LibTorch";
  const char* env = std::getenv("LOCE_ONEDNN");
  const bool asked_on = env && std::strcmp(env, "1") == 0;
  const bool asked_off = env && std::strcmp(env, "0") == 0;
  const bool on = asked_on || (!asked_off && TORCH_VERSION_MAJOR < 2);
  at::globalContext().setUserEnabledMkldnn(on);
  if (asked_on || asked_off) return std::string("oneDNN: ") + (on ? "on" : "off") + " (LOCE_ONEDNN)";
  return on ? "oneDNN: on" : "oneDNN: off with LibTorch 2.x on the CPU (LOCE_ONEDNN=1 turns it on)";
}

}  // namespace loce
