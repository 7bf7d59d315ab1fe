#include "dist/watchdog.h"

#include <condition_variable>
#include <cstdio>
#include <map>
#include <mutex>
#include <thread>

#include "core/log.h"
#include "dist/world.h"

namespace loce::dist {
namespace {

using Clock = std::chrono::steady_clock;

struct Armed {
  std::string what;
  Clock::time_point deadline;
  double timeout;
};

struct State {
  std::mutex mutex;
  std::condition_variable wake;
  std::map<uint64_t, Armed> armed;
  uint64_t next_token = 1;
  std::thread thread;
  bool stop = false;
};

State& state() {
  static State* s = new State;  // never destroyed: the thread may outlive static destruction
  return *s;
}

void watch() {
  State& s = state();
  std::unique_lock<std::mutex> lock(s.mutex);
  while (!s.stop) {
    auto now = Clock::now();
    auto next = now + std::chrono::seconds(1);
    for (auto& [token, a] : s.armed) {
      if (a.deadline <= now) {
        // Printed directly: the logger's mutex may be held by the stuck thread.
        std::fprintf(stderr,
                     "[r%d] error: %s did not complete within %.0f s (a rank is missing, stuck "
                     "or dead; set LOCE_COLLECTIVE_TIMEOUT to change the limit); ending the "
                     "job\n",
                     world().rank, a.what.c_str(), a.timeout);
        std::fflush(stderr);
        abort_world(1);
      }
      if (a.deadline < next) next = a.deadline;
    }
    s.wake.wait_until(lock, next);
  }
}

}  // namespace

uint64_t Watchdog::arm(const std::string& what, double timeout_seconds) {
  if (timeout_seconds <= 0) return 0;
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (!s.thread.joinable()) {
    s.stop = false;
    s.thread = std::thread(watch);
  }
  uint64_t token = s.next_token++;
  auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                     std::chrono::duration<double>(timeout_seconds));
  s.armed[token] = Armed{what, deadline, timeout_seconds};
  s.wake.notify_all();
  return token;
}

void Watchdog::disarm(uint64_t token) {
  if (token == 0) return;
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  s.armed.erase(token);
}

void Watchdog::shutdown() {
  State& s = state();
  std::thread t;
  {
    std::lock_guard<std::mutex> lock(s.mutex);
    s.stop = true;
    s.armed.clear();
    s.wake.notify_all();
    t = std::move(s.thread);
  }
  if (t.joinable()) t.join();
}

}  // namespace loce::dist
