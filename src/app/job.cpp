#include "app/job.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <sstream>

#include "core/error.h"
#include "core/seed_text.h"

namespace fs = std::filesystem;

namespace loce::app {

const std::vector<std::string>& pipeline_stages() {
  static const std::vector<std::string> s = {"prepare", "pretrain", "finetune", "evaluate",
                                             "embed",   "analyze",  "report"};
  return s;
}

const std::vector<std::string>& known_methods() {
  static const std::vector<std::string> m = {"baseline", "barlow", "dae", "rpl"};
  return m;
}

const std::string& Job::config_for(const std::string& stage) const {
  auto it = stage_configs.find(stage);
  return it != stage_configs.end() ? it->second : config;
}

namespace {

bool contains(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

// A list naming the same entry twice would plan the same steps (and output folders) twice.
void no_duplicates(const std::vector<std::string>& v, const std::string& where, const std::string& key) {
  for (size_t i = 0; i < v.size(); ++i)
    if (std::find(v.begin(), v.begin() + i, v[i]) != v.begin() + i)
      bad_input(where, ": '", v[i], "' appears twice in ", key);
}

std::string one(const CLI::ConfigItem& item, const std::string& where) {
  if (item.inputs.size() != 1) bad_input(where, ": key '", item.fullname(), "' takes one value");
  return item.inputs[0];
}

int positive_int(const CLI::ConfigItem& item, const std::string& where) {
  std::string v = one(item, where);
  try {
    size_t used = 0;
    int n = std::stoi(v, &used);
    if (used == v.size() && n > 0) return n;
  } catch (const std::exception&) {
  }
  bad_input(where, ": key '", item.fullname(), "' must be a positive integer, got '", v, "'");
}

Resolution parse_resolution(const std::string& s, const std::string& where) {
  Resolution r;
  char x = 0;
  std::istringstream in(s);
  if (!(in >> r.height >> x >> r.width) || x != 'x' || r.height <= 0 || r.width <= 0 || !in.eof())
    bad_input(where, ": resolution '", s, "' is not HEIGHTxWIDTH (e.g. 128x256)");
  return r;
}

}  // namespace

std::string absolute_normal(const std::string& path) {
  fs::path p = fs::absolute(fs::path(path)).lexically_normal();
  if (!p.has_filename() && p.has_parent_path() && p != p.root_path()) p = p.parent_path();  // "x/"
  return p.string();
}

Job load_job(const std::string& given_path) {
  if (!fs::is_regular_file(given_path)) bad_input("job file not found: ", given_path);
  const std::string path = absolute_normal(given_path);
  std::vector<CLI::ConfigItem> items;
  try {
    items = CLI::ConfigTOML().from_file(path);
  } catch (const CLI::Error& e) {
    bad_input(path, ": ", e.what());
  }
  Job job;
  job.path = path;
  job.name = fs::path(path).stem().string();
  job.methods = known_methods();
  job.seeds = {0};
  job.resolutions = {Resolution{128, 256}};
  job.stages = pipeline_stages();
  fs::path base = fs::path(path).parent_path();
  auto resolve = [&](const std::string& p) {
    const std::string full = absolute_normal((base / p).string());  // base / "/abs" is "/abs"
    if (!fs::is_regular_file(full)) bad_input(path, ": config file ", full, " does not exist");
    return full;
  };
  for (const auto& item : items) {
    if (item.name == "++" || item.name == "--") continue;  // section markers
    std::string section = item.parents.empty() ? "" : item.parents[0];
    const std::string& key = item.name;
    if (section.empty() || section == "default") {
      if (key == "name") job.name = one(item, path);
      else if (key == "config") job.config = resolve(one(item, path));
      else if (key == "methods") job.methods = item.inputs;
      else if (key == "stages") job.stages = item.inputs;
      else if (key == "seeds") {
        job.seeds.clear();
        for (const auto& s : item.inputs) {
          auto seed = parse_seed(s);
          if (!seed) bad_input(path, ": seed '", s, "' is not a non-negative integer");
          job.seeds.push_back(*seed);
        }
      } else if (key == "resolutions") {
        job.resolutions.clear();
        for (const auto& s : item.inputs) job.resolutions.push_back(parse_resolution(s, path));
      } else {
        bad_input(path, ": unknown key '", key, "' (known: name, config, methods, seeds, ",
                  "resolutions, stages, [dataset], [configs])");
      }
    } else if (section == "dataset") {
      if (key == "source") job.source = one(item, path);
      else if (key == "synth_train") job.synth_train = positive_int(item, path);
      else if (key == "synth_val") job.synth_val = positive_int(item, path);
      else if (key == "synth_height") job.synth_height = positive_int(item, path);
      else if (key == "synth_width") job.synth_width = positive_int(item, path);
      else bad_input(path, ": unknown key 'dataset.", key, "'");
    } else if (section == "configs") {
      if (!contains(pipeline_stages(), key))
        bad_input(path, ": [configs] names unknown stage '", key, "'");
      job.stage_configs[key] = resolve(one(item, path));
    } else {
      bad_input(path, ": unknown section [", section, "]");
    }
  }
  for (const auto& m : job.methods)
    if (!contains(known_methods(), m))
      bad_input(path, ": unknown method '", m, "' (baseline, barlow, dae, rpl)");
  for (const auto& s : job.stages)
    if (!contains(pipeline_stages(), s))
      bad_input(path, ": unknown stage '", s, "' (prepare, pretrain, finetune, evaluate, embed, ",
                "analyze, report)");
  if (job.methods.empty() || job.seeds.empty() || job.resolutions.empty())
    bad_input(path, ": methods, seeds and resolutions must not be empty");
  no_duplicates(job.methods, path, "methods");
  no_duplicates(job.stages, path, "stages");
  std::vector<std::string> seeds, resolutions;
  for (uint64_t s : job.seeds) seeds.push_back(std::to_string(s));
  for (const auto& r : job.resolutions) resolutions.push_back(r.tag());
  no_duplicates(seeds, path, "seeds");
  no_duplicates(resolutions, path, "resolutions");
  if (!job.synthetic())
    job.source = absolute_normal((base / job.source).string());
  return job;
}

}  // namespace loce::app
