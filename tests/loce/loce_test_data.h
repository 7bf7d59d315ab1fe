#pragma once
// Paths of the LoCE module's committed test data (tests/loce/data).
#include <string>

#include "support/test_support.h"

namespace loce::test {

inline std::string loce_data_file(const std::string& name) {
  return source_dir() + "/tests/loce/data/" + name;
}

}  // namespace loce::test
