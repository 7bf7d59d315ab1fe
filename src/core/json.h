#pragma once
// JSON text that every writer of this program shares: strings are escaped one way everywhere
// (run.json, eval.json, stats, inspect, analyze), so that any name a user can give (a folder
// with a quote or a tab in it, a Latin-1 file name) still gives valid JSON.
#include <string>

namespace loce {

// The body of a JSON string holding `v` (without the quotes).
std::string json_escape(const std::string& v);

// `v` as a JSON string, quotes included.
inline std::string json_string(const std::string& v) { return "\"" + json_escape(v) + "\""; }

}  // namespace loce
