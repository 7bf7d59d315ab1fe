#pragma once
// An experiment definition (jobs/*.toml): which dataset, at which resolutions, which methods and
// seeds, which stages, with which configs. Expanded into a plan of stage command lines
// (run_plan.h). Keys are checked: an unknown key, stage or method is an error naming it, and so
// is a method, seed or resolution listed twice. Its paths (the file itself, its configs and a
// dataset folder) are made absolute and lexically normal, however they were spelled.
//
//   name = "demo"
//   config = "../configs/demo.toml"          # config for every stage (relative to this file)
//   methods = ["baseline", "barlow", "dae", "rpl"]
//   seeds = [0]
//   resolutions = ["64x128"]                  # HxW working resolutions
//   stages = ["prepare", "pretrain", ...]     # default: all, in pipeline order
//   [dataset]
//   source = "synth"                          # or the root of a Cityscapes tree
//   synth_train = 64                          # synthetic dataset size and native resolution
//   synth_val = 24
//   synth_height = 128
//   synth_width = 256
//   [configs]                                 # optional per-stage configs, overriding `config`
//   pretrain = "../configs/demo.toml"
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace loce::app {

// The pipeline, in order.
const std::vector<std::string>& pipeline_stages();
const std::vector<std::string>& known_methods();

struct Resolution {
  int height = 0, width = 0;
  std::string tag() const { return std::to_string(height) + "x" + std::to_string(width); }
};

// `path` absolute and lexically normal, without a trailing separator: "./x", "x/" and
// "$PWD/x" are one path (the runner's step hashes compare paths as text).
std::string absolute_normal(const std::string& path);

struct Job {
  std::string path;  // the job file (absolute)
  std::string name;
  std::string config;  // resolved absolute path, may be empty
  std::map<std::string, std::string> stage_configs;
  std::vector<std::string> methods;
  std::vector<uint64_t> seeds;
  std::vector<Resolution> resolutions;
  std::vector<std::string> stages;
  std::string source = "synth";
  int synth_train = 64, synth_val = 24, synth_height = 128, synth_width = 256;

  bool synthetic() const { return source == "synth"; }
  const std::string& config_for(const std::string& stage) const;
};

Job load_job(const std::string& path);

}  // namespace loce::app
