#pragma once
// Build identity, recorded in every output file and printed by `loce --version`.
//
// Defined in a file that CMake generates (tools/cmake/version.cpp.in), not as compile
// definitions: a new git revision then recompiles one file instead of the whole tree.
namespace loce {

const char* version();       // the project version, e.g. "0.1.0"
const char* git_revision();  // short hash of HEAD at configure time, or "unknown"

}  // namespace loce
