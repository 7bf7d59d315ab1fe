#pragma once
// A progress line for long loops, printed by rank 0 only. On a terminal it redraws one line with
// rate and ETA; when stderr (where all logging goes) is a file or a pipe (batch jobs) it prints
// one line per `step_percent`.
#include <chrono>
#include <cstdint>
#include <string>

namespace loce {

class Progress {
 public:
  Progress(std::string label, int64_t total, std::string unit = "it", int step_percent = 10);
  ~Progress();
  void advance(int64_t n = 1);
  void set(int64_t done);
  void finish();  // prints the final line (total, elapsed, mean rate) once
  double elapsed_seconds() const;

 private:
  void print(bool final_line);

  std::string label_, unit_;
  int64_t total_, done_ = 0;
  int step_percent_, next_percent_;
  bool tty_, active_, finished_ = false;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

std::string format_duration(double seconds);  // "1h02m", "3m05s", "12.3s"

}  // namespace loce
