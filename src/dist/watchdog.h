#pragma once
// A watchdog for collectives: a blocking MPI call cannot be interrupted, so a rank whose partner
// died or never arrives would wait forever. Each collective is armed with a deadline; a
// background thread that finds an expired one prints what was stuck, where, and ends the job.
// The same thread polls error sources that fail without blocking anyone (NCCL reports a broken
// peer or network asynchronously while its kernels spin on the GPU).
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

namespace loce::dist {

class Watchdog {
 public:
  // Arms a deadline `timeout_seconds` from now (<= 0: not watched); returns a token for disarm.
  static uint64_t arm(const std::string& what, double timeout_seconds);
  static void disarm(uint64_t token);
  // Polls `error` about once a second until unpolled; a non-empty result is printed and ends the
  // job. `error` runs on the watchdog's thread with its lock held: it must be quick and must not
  // call back into the watchdog. unpoll returns only when `error` is no longer running.
  static uint64_t poll(std::function<std::string()> error);
  static void unpoll(uint64_t token);
  // Stops the thread (at finalize); later arms start it again.
  static void shutdown();
};

// RAII arm/disarm around one blocking call.
class WatchdogScope {
 public:
  WatchdogScope(const std::string& what, double timeout_seconds)
      : token_(Watchdog::arm(what, timeout_seconds)) {}
  ~WatchdogScope() { Watchdog::disarm(token_); }
  WatchdogScope(const WatchdogScope&) = delete;
  WatchdogScope& operator=(const WatchdogScope&) = delete;

 private:
  uint64_t token_;
};

}  // namespace loce::dist
