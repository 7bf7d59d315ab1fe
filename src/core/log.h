#pragma once
// Rank-aware logging. Rank 0 prints every level it is configured for; other ranks print only
// warnings and errors, so an N-rank job reads like a one-rank job unless something goes wrong.
// When the world is larger than one, every line carries its rank: "[r2] ...".
#include <string>

#include "core/error.h"

namespace loce::log {

enum class Level { Debug = 0, Info = 1, Warn = 2, Error = 3, Quiet = 4 };

Level parse_level(const std::string& name);  // debug|info|warn|error|quiet; throws on others
void set_level(Level level);
Level level();
void set_rank(int rank, int world);
int rank();
int world();
bool enabled(Level level);  // would a message of this level be printed on this rank?
void write(Level level, const std::string& message);

template <class... A> void debug(A&&... a) { if (enabled(Level::Debug)) write(Level::Debug, cat(a...)); }
template <class... A> void info(A&&... a)  { if (enabled(Level::Info))  write(Level::Info,  cat(a...)); }
template <class... A> void warn(A&&... a)  { if (enabled(Level::Warn))  write(Level::Warn,  cat(a...)); }
template <class... A> void error(A&&... a) { if (enabled(Level::Error)) write(Level::Error, cat(a...)); }

}  // namespace loce::log
