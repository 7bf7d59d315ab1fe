#pragma once
// Seeds written as text (command line, job files, the config a checkpoint stores): digits only,
// so that "-1" is not read as 2^64 - 1 (std::stoull wraps it) nor "1.5" as 1.
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

namespace loce {

inline std::optional<uint64_t> parse_seed(const std::string& text) {
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  try {
    return std::stoull(text);
  } catch (const std::out_of_range&) {
    return std::nullopt;
  }
}

}  // namespace loce
