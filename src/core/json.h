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

// `v` as a JSON value, 10 significant digits. JSON has no NaN or infinity: NaN (undefined, 0/0)
// is null, +-inf (e.g. the separability ratio of concepts whose LoCEs coincide within each
// concept) the string "inf" or "-inf", so that the two stay apart and the output stays valid.
std::string json_number(double v);

}  // namespace loce
