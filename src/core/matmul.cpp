#include "core/matmul.h"

#include <ATen/ATen.h>
#include <ATen/Context.h>

#include <cstdlib>
#include <cstring>

namespace loce {

bool onednn_matmul_enabled() {
  static const bool allowed = [] {
    const char* env = std::getenv("LOCE_ONEDNN_MATMUL");
    return at::hasMKLDNN() && !(env && std::strcmp(env, "0") == 0);
  }();
  return allowed && at::globalContext().userEnabledMkldnn();  // core/onednn.h decides that
}

at::Tensor matmul_nt(const at::Tensor& a, const at::Tensor& b) {
  if (a.is_cpu() && a.scalar_type() == at::kFloat && b.scalar_type() == at::kFloat &&
      a.size(0) > 0 && b.size(0) > 0 && a.size(1) > 0 && onednn_matmul_enabled()) {
    // oneDNN's inner product: y = a w^T with w = b, both converted to its layout (copies that
    // cost O(mk + nk) next to the O(mnk) product).
    return at::mkldnn_linear(a.contiguous().to_mkldnn(), b.contiguous().to_mkldnn(), {}).to_dense();
  }
  return at::mm(a, b.t());
}

}  // namespace loce
