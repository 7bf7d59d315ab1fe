#include "core/json.h"

#include <cmath>
#include <cstdio>
#include <iomanip>
#include <sstream>

namespace loce {

namespace {

// Length of the well-formed UTF-8 sequence at s[i] (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF), or 0 when the byte there does not start one.
size_t utf8_sequence_length(const std::string& s, size_t i) {
  auto byte = [&](size_t k) { return k < s.size() ? static_cast<unsigned char>(s[k]) : 0u; };
  const unsigned c = byte(i);
  auto cont = [&](size_t k, unsigned lo = 0x80, unsigned hi = 0xBF) {
    return byte(k) >= lo && byte(k) <= hi;
  };
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return cont(i + 1) ? 2 : 0;
  if (c == 0xE0) return cont(i + 1, 0xA0) && cont(i + 2) ? 3 : 0;
  if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) return cont(i + 1) && cont(i + 2) ? 3 : 0;
  if (c == 0xED) return cont(i + 1, 0x80, 0x9F) && cont(i + 2) ? 3 : 0;
  if (c == 0xF0) return cont(i + 1, 0x90) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  if (c >= 0xF1 && c <= 0xF3) return cont(i + 1) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  if (c == 0xF4) return cont(i + 1, 0x80, 0x8F) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  return 0;
}

}  // namespace

// The body of a JSON string holding `v`: '"' and '\' escaped, control characters as \u00XX.
// File names are bytes, not necessarily UTF-8 (a Latin-1 city folder, say), and JSON must be
// UTF-8: a byte that does not start a well-formed UTF-8 sequence is written as \u00XX, the
// code point of the same number (so Latin-1 names read as intended, and two names that differ
// in such bytes stay different).
std::string json_escape(const std::string& v) {
  std::string o;
  char hex[8];
  for (size_t i = 0; i < v.size();) {
    const unsigned char c = static_cast<unsigned char>(v[i]);
    const size_t n = utf8_sequence_length(v, i);
    if (c == '"' || c == '\\') {
      o += '\\';
      o += char(c);
    } else if (c < 0x20 || n == 0) {
      std::snprintf(hex, sizeof hex, "\\u%04x", unsigned(c));
      o += hex;
    } else {
      o.append(v, i, n);
      i += n;
      continue;
    }
    ++i;
  }
  return o;
}

std::string json_number(double v) {
  if (std::isnan(v)) return "null";
  if (std::isinf(v)) return v > 0 ? "\"inf\"" : "\"-inf\"";
  std::ostringstream os;
  os << std::setprecision(10) << v;
  return os.str();
}

}  // namespace loce
