#include "core/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "core/log.h"

namespace loce {

std::string format_duration(double s) {
  char buf[32];
  if (s < 60) std::snprintf(buf, sizeof buf, "%.1fs", s);
  else if (s < 3600) std::snprintf(buf, sizeof buf, "%dm%02ds", int(s) / 60, int(s) % 60);
  else std::snprintf(buf, sizeof buf, "%dh%02dm", int(s) / 3600, (int(s) % 3600) / 60);
  return buf;
}

Progress::Progress(std::string label, int64_t total, std::string unit, int step_percent)
    : label_(std::move(label)), unit_(std::move(unit)), total_(std::max<int64_t>(total, 0)),
      step_percent_(std::clamp(step_percent, 1, 100)), next_percent_(step_percent_),
      tty_(isatty(STDERR_FILENO) != 0), active_(log::enabled(log::Level::Info)),
      start_(std::chrono::steady_clock::now()), last_draw_(start_) {}

Progress::~Progress() {
  if (!finished_ && tty_ && active_ && done_ > 0) std::fputs("\n", stderr);
}

double Progress::elapsed_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void Progress::advance(int64_t n) { set(done_ + n); }

void Progress::set(int64_t done) {
  done_ = std::min(done, total_);
  if (!active_ || finished_) return;
  if (tty_) {
    auto now = std::chrono::steady_clock::now();
    if (now - last_draw_ > std::chrono::milliseconds(200) || done_ == total_) {
      last_draw_ = now;
      print(false);
    }
  } else if (total_ > 0 && done_ * 100 >= next_percent_ * total_ && done_ < total_) {
    print(false);
    while (next_percent_ * total_ <= done_ * 100) next_percent_ += step_percent_;
  }
}

void Progress::finish() {
  if (finished_) return;
  done_ = total_;
  if (active_) print(true);
  finished_ = true;
}

void Progress::print(bool final_line) {
  double t = elapsed_seconds();
  double rate = t > 0 ? done_ / t : 0.0;
  double pct = total_ > 0 ? 100.0 * done_ / total_ : 100.0;
  char buf[256];
  if (final_line) {
    std::snprintf(buf, sizeof buf, "%s: %lld/%lld %s in %s (%.2f %s/s)", label_.c_str(),
                  (long long)done_, (long long)total_, unit_.c_str(), format_duration(t).c_str(),
                  rate, unit_.c_str());
  } else {
    double eta = rate > 0 ? (total_ - done_) / rate : 0.0;
    std::snprintf(buf, sizeof buf, "%s: %lld/%lld %s (%3.0f%%) %.2f %s/s ETA %s", label_.c_str(),
                  (long long)done_, (long long)total_, unit_.c_str(), pct, rate, unit_.c_str(),
                  format_duration(eta).c_str());
  }
  if (tty_) {
    std::fprintf(stderr, "\r\033[K%s%s", buf, final_line ? "\n" : "");
    std::fflush(stderr);
  } else {
    log::info(buf);
  }
}

}  // namespace loce
