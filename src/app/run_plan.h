#pragma once
// A job expanded into steps: each step is one `loce` command line, exactly what a user could
// type, with the files it reads and writes. The run folder:
//   OUT/data/synth/                         synthetic Cityscapes tree (source = "synth")
//   OUT/data/cache-HxW.h5                   `loce prepare` cache per resolution
//   OUT/HxW/<method>-s<seed>/pretrain/      pretrained run (checkpoints, train.h5)
//   OUT/HxW/<method>-s<seed>/finetune/      fine-tuned run (eval.json after `evaluate`)
//   OUT/HxW/<method>-s<seed>/loce.h5        LoCEs of the pretrained encoder on val
//   OUT/HxW/<method>-s<seed>/analysis.h5    GMM, Table 1 metrics, projections
//   OUT/HxW/report-s<seed>/                 table1.md / table1.csv across methods
//   OUT/manifest.tsv                        one line per step: status, hashes, time, inputs, outputs
//   OUT/manifest-c<i>.tsv                   the same for a `--combination i` run (job arrays)
// Every path in the plan is absolute and lexically normal (OUT included), so the printed commands
// work from any folder and a path spelled another way is still the same step.
#include <string>
#include <vector>

#include "app/job.h"

namespace loce::app {

struct Step {
  std::string key;    // "pretrain/64x128/barlow/s0"
  std::string stage;  // "prepare" also covers "synth"
  std::string method;
  std::vector<std::string> args;     // command line after `loce`
  std::vector<std::string> inputs;   // files/folders whose change invalidates the step
  std::vector<std::string> outputs;  // must exist for the step to count as done
  std::string run_dir{};  // training steps: the run folder whose checkpoints --resume continues
  // The job's run folder (OUT): paths below it enter the step's hash relative to it, so a run
  // folder moved or copied elsewhere is still recognised.
  std::string folder{};
};

struct PlanFilter {
  std::vector<std::string> only_methods;
  std::string from_stage, until_stage;
  int combination = -1;  // >= 0: only this (resolution, method, seed) combination (job arrays)
};

// Whether the filter's stages reach the report but the plan leaves it out: a --combination run
// covers one method, and the report (one table across methods) is the full job's.
bool report_left_out(const Job& job, const PlanFilter& filter);

// One (resolution, method, seed) combination, in the order job arrays number them.
struct Combination {
  Resolution resolution;
  std::string method;
  uint64_t seed;
};
std::vector<Combination> combinations(const Job& job);

// `out_dir` is made absolute (absolute_normal); with --combination there is no report step.
std::vector<Step> make_plan(const Job& job, const std::string& out_dir, const PlanFilter& filter);

std::string quote_command(const std::vector<std::string>& args);

}  // namespace loce::app
