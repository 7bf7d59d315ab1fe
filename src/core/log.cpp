#include "core/log.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace loce::log {
namespace {
Level g_level = Level::Info;
int g_rank = 0;
int g_world = 1;
std::mutex g_mutex;
}  // namespace

Level parse_level(const std::string& name) {
  if (name == "debug") return Level::Debug;
  if (name == "info") return Level::Info;
  if (name == "warn" || name == "warning") return Level::Warn;
  if (name == "error") return Level::Error;
  if (name == "quiet") return Level::Quiet;
  bad_input("--log-level: unknown level '", name, "' (use debug, info, warn, error or quiet)");
}

void set_level(Level level) { g_level = level; }
Level level() { return g_level; }
void set_rank(int rank, int world) { g_rank = rank; g_world = world; }
int rank() { return g_rank; }
int world() { return g_world; }

bool enabled(Level level) {
  if (level < g_level) return false;
  return g_rank == 0 || level >= Level::Warn;
}

void write(Level level, const std::string& message) {
  std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  localtime_r(&now, &tm);
  char stamp[16];
  std::strftime(stamp, sizeof stamp, "%H:%M:%S", &tm);
  std::string prefix = std::string("[") + stamp + "]";
  if (g_world > 1) prefix += " [r" + std::to_string(g_rank) + "]";
  const char* tag = level == Level::Warn ? " warning:" : level == Level::Error ? " error:" : "";
  // Everything the program says goes to stderr; stdout carries only results (tables, JSON), so
  // `loce ... --json > file` stays parseable.
  std::FILE* out = stderr;
  std::lock_guard<std::mutex> lock(g_mutex);
  std::fprintf(out, "%s%s %s\n", prefix.c_str(), tag, message.c_str());
  std::fflush(out);
}

}  // namespace loce::log
