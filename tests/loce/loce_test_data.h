#pragma once
// Paths of the LoCE module's committed test data (tests/loce/data).
#include <cstdlib>
#include <string>

namespace loce::test {

inline std::string loce_data_file(const std::string& name) {
  const char* src = std::getenv("LOCE_SOURCE_DIR");
  return std::string(src ? src : ".") + "/tests/loce/data/" + name;
}

}  // namespace loce::test
