#include "app/run_plan.h"

#include <algorithm>
#include <filesystem>

#include "core/error.h"

namespace fs = std::filesystem;

namespace loce::app {
namespace {

int stage_index(const std::string& stage) {
  const auto& s = pipeline_stages();
  auto it = std::find(s.begin(), s.end(), stage);
  if (it == s.end()) {
    std::string known;
    for (const auto& k : s) known += (known.empty() ? "" : ", ") + k;
    bad_input("unknown stage '", stage, "' (stages: ", known, ")",
              stage == "synth" ? "; the synth step belongs to stage prepare" : "");
  }
  return int(it - s.begin());
}

std::vector<std::string> with_config(const Job& job, const std::string& stage, uint64_t seed,
                                     std::vector<std::string> args) {
  std::vector<std::string> out;
  const std::string& config = job.config_for(stage);
  if (!config.empty()) out = {"--config", config};
  out.push_back("--seed");
  out.push_back(std::to_string(seed));
  out.insert(out.end(), args.begin(), args.end());
  return out;
}

}  // namespace

bool report_left_out(const Job& job, const PlanFilter& f) {
  if (f.combination < 0 || std::find(job.stages.begin(), job.stages.end(), "report") == job.stages.end())
    return false;
  return f.until_stage.empty() || f.until_stage == "report";
}

std::vector<Combination> combinations(const Job& job) {
  std::vector<Combination> c;
  for (const auto& r : job.resolutions)
    for (const auto& m : job.methods)
      for (uint64_t s : job.seeds) c.push_back({r, m, s});
  return c;
}

std::vector<Step> make_plan(const Job& job, const std::string& out_dir, const PlanFilter& f) {
  const int from = f.from_stage.empty() ? 0 : stage_index(f.from_stage);
  const int until = f.until_stage.empty() ? int(pipeline_stages().size()) - 1 : stage_index(f.until_stage);
  if (from > until) bad_input("--from ", f.from_stage, " comes after --until ", f.until_stage);
  if (f.combination < -1) bad_input("--combination ", f.combination, ": must be >= 0 (see --list)");
  if (f.combination >= 0 && from == stage_index("report"))
    bad_input("--combination ", f.combination, " --from report: the report covers every combination; ",
              "run --from report without --combination once they are done");
  auto wanted = [&](const std::string& stage) {
    int i = stage_index(stage);
    return i >= from && i <= until &&
           std::find(job.stages.begin(), job.stages.end(), stage) != job.stages.end();
  };
  for (const auto& m : f.only_methods)
    if (std::find(job.methods.begin(), job.methods.end(), m) == job.methods.end())
      bad_input("--only ", m, ": the job ", job.path, " has no method '", m, "'");

  auto all = combinations(job);
  std::vector<Combination> chosen;
  if (f.combination >= 0 && !f.only_methods.empty())
    bad_input("--combination picks one (resolution, method, seed) already; --only cannot narrow it");
  if (f.combination >= 0) {
    if (f.combination >= int(all.size()))
      bad_input("combination ", f.combination, " out of range: the job has ", all.size(),
                " (resolution x method x seed)");
    chosen.push_back(all[f.combination]);
  } else {
    for (const auto& c : all)
      if (f.only_methods.empty() ||
          std::find(f.only_methods.begin(), f.only_methods.end(), c.method) != f.only_methods.end())
        chosen.push_back(c);
  }

  const fs::path out(absolute_normal(out_dir));
  const std::string data_root = job.synthetic() ? (out / "data" / "synth").string() : job.source;
  std::vector<Step> plan;
  std::vector<std::string> resolutions_done;

  for (const auto& c : chosen) {
    const std::string res = c.resolution.tag();
    const std::string cache = (out / "data" / ("cache-" + res + ".h5")).string();
    if (wanted("prepare") && std::find(resolutions_done.begin(), resolutions_done.end(), res) ==
                                 resolutions_done.end()) {
      resolutions_done.push_back(res);
      if (job.synthetic() && std::none_of(plan.begin(), plan.end(), [](const Step& s) { return s.key == "synth"; })) {
        plan.push_back({"synth", "prepare", "",
                        with_config(job, "prepare", 0,
                                    {"synth", "--out", data_root, "--train", std::to_string(job.synth_train),
                                     "--val", std::to_string(job.synth_val), "--height",
                                     std::to_string(job.synth_height), "--width",
                                     std::to_string(job.synth_width), "--seed", "1", "--force"}),
                        {}, {data_root}});
      }
      plan.push_back({"prepare/" + res, "prepare", "",
                      with_config(job, "prepare", 0,
                                  {"prepare", "--cityscapes", data_root, "--out", cache, "--height",
                                   std::to_string(c.resolution.height), "--width",
                                   std::to_string(c.resolution.width)}),
                      {data_root}, {cache}});
    }
    const fs::path combo = out / res / (c.method + "-s" + std::to_string(c.seed));
    const std::string pre = (combo / "pretrain").string(), fin = (combo / "finetune").string();
    const std::string loce_file = (combo / "loce.h5").string(), analysis = (combo / "analysis.h5").string();
    const std::string tag = res + "/" + c.method + "/s" + std::to_string(c.seed);
    if (wanted("pretrain"))
      plan.push_back({"pretrain/" + tag, "pretrain", c.method,
                      with_config(job, "pretrain", c.seed,
                                  {"pretrain", "--method", c.method, "--data", cache, "--out", pre, "--resume"}),
                      {cache}, {pre + "/train.h5"}, pre});
    if (wanted("finetune"))
      plan.push_back({"finetune/" + tag, "finetune", c.method,
                      with_config(job, "finetune", c.seed,
                                  {"finetune", "--encoder", pre, "--data", cache, "--out", fin, "--resume"}),
                      {cache, pre + "/train.h5"}, {fin + "/train.h5"}, fin});
    if (wanted("evaluate"))
      plan.push_back({"evaluate/" + tag, "evaluate", c.method,
                      with_config(job, "evaluate", c.seed,
                                  {"evaluate", "--model", fin, "--data", cache, "--split", "val"}),
                      {cache, fin + "/train.h5"}, {fin + "/eval.json"}});
    if (wanted("embed"))
      plan.push_back({"embed/" + tag, "embed", c.method,
                      with_config(job, "embed", c.seed,
                                  {"embed", "--model", pre, "--data", cache, "--split", "val", "--out", loce_file}),
                      {cache, pre + "/train.h5"}, {loce_file}});
    if (wanted("analyze"))
      plan.push_back({"analyze/" + tag, "analyze", c.method,
                      with_config(job, "analyze", c.seed, {"analyze", "--in", loce_file, "--out", analysis}),
                      {loce_file}, {analysis}});
  }

  // One report per (resolution, seed) across the methods that were run. Not in a --combination
  // run: its table would hold one method, in the folder the full job's report writes.
  if (wanted("report") && f.combination < 0) {
    for (const auto& r : job.resolutions) {
      for (uint64_t seed : job.seeds) {
        std::vector<std::string> runs, inputs;
        for (const auto& c : chosen)
          if (c.resolution.tag() == r.tag() && c.seed == seed) {
            std::string combo = (out / r.tag() / (c.method + "-s" + std::to_string(seed))).string();
            runs.push_back(combo);
            inputs.push_back(combo + "/analysis.h5");
            inputs.push_back(combo + "/finetune/eval.json");  // the mIoU and pixel accuracy rows
          }
        if (runs.empty()) continue;
        std::string report_dir = (out / r.tag() / ("report-s" + std::to_string(seed))).string();
        std::vector<std::string> args = {"report"};
        args.insert(args.end(), runs.begin(), runs.end());
        args.push_back("--out");
        args.push_back(report_dir);
        plan.push_back({"report/" + r.tag() + "/s" + std::to_string(seed), "report", "",
                        with_config(job, "report", seed, args), inputs, {report_dir + "/table1.md"}});
      }
    }
  }
  for (auto& s : plan) s.folder = out.string();
  return plan;
}

std::string quote_command(const std::vector<std::string>& args) {
  std::string s = "loce";
  for (const auto& a : args) {
    bool plain = !a.empty() && a.find_first_of(" \t'\"$\\") == std::string::npos;
    s += " " + (plain ? a : "'" + a + "'");
  }
  return s;
}

}  // namespace loce::app
