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
  std::map<uint64_t, std::function<std::string()>> polled;
  uint64_t next_token = 1;
  std::thread thread;
  bool stop = false;
};

State& state() {
  static State* s = new State;  // never destroyed: the thread may outlive static destruction
  return *s;
}

// Printed directly: the logger's mutex may be held by the stuck thread.
[[noreturn]] void end_job(const std::string& message) {
  std::fprintf(stderr, "[r%d] error: %s; ending the job\n", world().rank, message.c_str());
  std::fflush(stderr);
  abort_world(1);
}

void watch() {
  State& s = state();
  std::unique_lock<std::mutex> lock(s.mutex);
  while (!s.stop) {
    auto now = Clock::now();
    auto next = now + std::chrono::seconds(1);
    for (auto& [token, a] : s.armed) {
      if (a.deadline <= now) {
        char limit[64];
        std::snprintf(limit, sizeof limit, "%.0f s", a.timeout);
        end_job(a.what + " did not complete within " + limit +
                " (a rank is missing, stuck or dead; set LOCE_COLLECTIVE_TIMEOUT to change the "
                "limit)");
      }
      if (a.deadline < next) next = a.deadline;
    }
    for (auto& [token, error] : s.polled) {
      const std::string message = error();
      if (!message.empty()) end_job(message);
    }
    s.wake.wait_until(lock, next);
  }
}

// The thread starts with the first deadline or poll (and again after shutdown).
void start_locked(State& s) {
  if (s.thread.joinable()) return;
  s.stop = false;
  s.thread = std::thread(watch);
}

}  // namespace

uint64_t Watchdog::arm(const std::string& what, double timeout_seconds) {
  if (timeout_seconds <= 0) return 0;
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  start_locked(s);
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

uint64_t Watchdog::poll(std::function<std::string()> error) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  start_locked(s);
  const uint64_t token = s.next_token++;
  s.polled[token] = std::move(error);
  return token;
}

void Watchdog::unpoll(uint64_t token) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);  // waits for a poll in progress
  s.polled.erase(token);
}

void Watchdog::shutdown() {
  State& s = state();
  std::thread t;
  {
    std::lock_guard<std::mutex> lock(s.mutex);
    s.stop = true;
    s.armed.clear();
    s.polled.clear();
    s.wake.notify_all();
    t = std::move(s.thread);
  }
  if (t.joinable()) t.join();
}

}  // namespace loce::dist
