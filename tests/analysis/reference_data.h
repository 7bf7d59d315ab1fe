#pragma once
// Access to tests/analysis/data/sklearn_reference.h5 (generated once by
// gen_sklearn_reference.py with scikit-learn 1.2).
#include <string>

#include <ATen/Tensor.h>

#include "core/hdf5.h"
#include "support/test_support.h"

namespace loce::test {

// The tolerance for every metric against scikit-learn.
constexpr double kSklearnTol = 1e-6;

inline std::string sklearn_reference_path() {
  return source_dir() + "/tests/analysis/data/sklearn_reference.h5";
}

inline h5::File sklearn_reference() { return h5::File::open(sklearn_reference_path()); }

}  // namespace loce::test
