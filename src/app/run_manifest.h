#pragma once
// The run folder's record of what ran: OUT/manifest.tsv, one line per step
//   key  status(running|done|failed|interrupted)  hash  seconds  finished_at  outputs(;-separated)
// A step whose line says done, whose hash (its command line, config files and input files'
// sizes and times) is unchanged and whose outputs exist is skipped on the next `loce run`.
// Written by rank 0 only, atomically, before every step ("running") and after it.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "app/run_plan.h"

namespace loce::app {

struct ManifestEntry {
  std::string status;
  std::string hash;         // step_hash: decides whether the step is done
  std::string config_hash;  // its command line and config contents alone
  double seconds = 0;
  std::string finished_at;
  std::vector<std::string> inputs, outputs;
};

class Manifest {
 public:
  explicit Manifest(std::string path);
  bool is_done(const Step& step, const std::string& hash) const;
  // Whether a training step that runs may continue the checkpoints in its run folder: only
  // its own unfinished run (interrupted, failed, or "running" when the job was killed) with
  // the same hash. A finished run, or one from another config or other inputs, must not be
  // continued: resuming it at its last step would keep the old model. With no line for the
  // step (a manifest removed by hand) the trainer's own config check decides.
  bool can_resume(const Step& step, const std::string& hash) const;
  void record(const Step& step, const std::string& status, const std::string& hash, double seconds);
  const std::map<std::string, ManifestEntry>& entries() const { return entries_; }

 private:
  void save() const;
  std::string path_;
  std::map<std::string, ManifestEntry> entries_;
  std::vector<std::string> order_;
};

// Hash of a step's command line and of what decides its result in the config files it names:
// their top-level keys (not log-level or threads) and the section of the step's subcommand.
std::string config_hash(const Step& step);
// Hash of everything a step depends on: its config hash, and the size and modification time of
// its inputs.
std::string step_hash(const Step& step);

// Exclusive use of a run folder (or of one combination in it): the lock file holds "host pid". A lock left by a dead process on this
// host is taken over with a warning; a live holder is an error naming it.
class RunLock {
 public:
  explicit RunLock(const std::string& lock_path);
  ~RunLock();
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;

 private:
  std::string path_;
  bool held_ = false;
};

}  // namespace loce::app
