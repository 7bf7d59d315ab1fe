#pragma once
// Access to tests/analysis/data/sklearn_reference.h5 (generated once by
// gen_sklearn_reference.py with scikit-learn 1.2).
#include <cstdlib>
#include <string>

#include <ATen/Tensor.h>

#include "core/hdf5.h"

namespace loce::test {

inline std::string sklearn_reference_path() {
  const char* src = std::getenv("LOCE_SOURCE_DIR");
  std::string root = src && *src ? src : ".";
  return root + "/tests/analysis/data/sklearn_reference.h5";
}

inline h5::File sklearn_reference() { return h5::File::open(sklearn_reference_path()); }

}  // namespace loce::test
