#pragma once
// The run folder's record of what ran: OUT/manifest.tsv, one line per step
//   key  status(running|done|failed|interrupted)  hash  seconds  finished_at  outputs(;-separated)
// A step whose line says done, whose hash (its command line, config files and input files'
// sizes and times) is unchanged and whose outputs exist is skipped on the next `loce run`.
// Written by rank 0 only, atomically, before every step ("running") and after it. A run also
// reads the folder's other manifests (a job array's manifest-c<i>.tsv, the full run's
// manifest.tsv): what one run did, the other does not do again.
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
  // Also reads another manifest of the same run folder: the steps it records count here too,
  // the newest line of a step (finished_at) deciding. Only this manifest's own file is written.
  void consult(const std::string& other_path);
  // The newest line of a step, in this manifest or one consulted; null if none.
  const ManifestEntry* find(const std::string& key) const;
  bool is_done(const Step& step, const std::string& hash) const;
  // Whether a training step that runs may continue the checkpoints in its run folder: only
  // its own unfinished run (interrupted, failed, or "running" when the job was killed) with
  // the same hash. A finished run, or one from another config or other inputs, must not be
  // continued: resuming it at its last step would keep the old model. With no line for the
  // step (a manifest removed by hand) the trainer's own config check decides.
  bool can_resume(const Step& step, const std::string& hash) const;
  void record(const Step& step, const std::string& status, const std::string& hash, double seconds);
  // This manifest's own lines (not those consulted).
  const std::map<std::string, ManifestEntry>& entries() const { return entries_; }

 private:
  void save() const;
  std::string path_;
  std::map<std::string, ManifestEntry> entries_;
  std::vector<std::string> order_;
  std::map<std::string, ManifestEntry> consulted_;  // the newest line per step of the others
};

// Whether a training step about to run must first move its earlier run folder aside and train
// from step 0 instead of resuming it: the folder exists and holds a finished run or one of
// another config or other inputs (!can_resume), or --force meets a run no manifest records.
// An empty `hash` stands for one not known yet (an earlier step that runs changes its inputs).
bool must_set_aside(const Step& step, const Manifest& manifest, const std::string& hash, bool force);

// What `loce run` would do with each step of a plan (the dry run's answer). A step runs when the
// manifest does not say it is done, and also when it reads what an earlier step that runs
// writes (that changes its inputs). A training step that runs resumes the run in its folder or
// moves it aside and trains from step 0.
struct StepForecast {
  bool done = false;
  std::string after;      // not done because it reads the outputs of this earlier step, which runs
  bool resumes = false;   // a training step continuing the unfinished run in its folder
  bool retrains = false;  // a training step whose earlier run folder is moved aside first
};
std::vector<StepForecast> forecast(const std::vector<Step>& plan, const Manifest& manifest, bool force);

// Hash of a step's command line and of what decides its result in the config files it names:
// their top-level keys (not log-level or threads) and the section of the step's subcommand.
std::string config_hash(const Step& step);
// Hash of everything a step depends on: its config hash, and the size and modification time of
// its inputs.
std::string step_hash(const Step& step);

// An error naming the holder while a live process holds `lock_path` (a stale lock is ignored):
// a full run holds .lock and a --combination run .lock-c<i>, and each, once it holds its own,
// checks that no run of the other kind works in the folder. `holder` says who that would be.
void require_unlocked(const std::string& lock_path, const std::string& holder);

}  // namespace loce::app
