// The runner's parts as functions: job files (every key checked), the plan a job expands to
// (stage order, filters, job-array combinations, the inputs that tie each step to the one before),
// the manifest that decides what is skipped, the dry run's forecast, the run folder's locks and
// the stop signals; then `loce run` itself where only the program shows it (a config checked
// before the first step, a full run and a combination run kept apart, Ctrl-C in training).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "app/job.h"
#include "app/run_manifest.h"
#include "app/run_plan.h"
#include "core/error.h"
#include "core/lock_file.h"
#include "support/test_support.h"
#include "train/stop_signal.h"

using namespace loce;
using namespace loce::app;
namespace fs = std::filesystem;

namespace {

// A folder with a config file c.toml and a job file j.toml holding `body`.
struct JobDir {
  std::string dir, config, job;
  explicit JobDir(const std::string& body) {
    dir = test::temp_dir("runner");
    config = dir + "/c.toml";
    job = dir + "/j.toml";
    std::ofstream(config) << "seed = 1\n";
    std::ofstream(job) << body;
  }
};

// The message of the InputError that loading `body` as a job file throws.
std::string job_error(const std::string& body) {
  JobDir d(body);
  return test::input_error([&] { load_job(d.job); });
}

std::vector<std::string> keys(const std::vector<Step>& plan) {
  std::vector<std::string> k;
  for (const auto& s : plan) k.push_back(s.key);
  return k;
}

// A copy: the callers pass the key as a temporary, and GCC 14 warns (-Wdangling-reference) about
// a returned reference whenever an argument is one.
Step step(const std::vector<Step>& plan, const std::string& key) {
  auto it = std::find_if(plan.begin(), plan.end(), [&](const Step& s) { return s.key == key; });
  if (it == plan.end()) throw std::runtime_error("no step " + key);
  return *it;
}

bool has(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

std::string hostname() {
  char buf[256] = {0};
  gethostname(buf, sizeof buf - 1);
  return buf;
}

}  // namespace

TEST(Job, EveryJobFileInTheTreeLoadsWithItsConfigs) {
  int n = 0;
  for (const auto& e : fs::directory_iterator(test::source_dir() + "/jobs")) {
    if (e.path().extension() != ".toml") continue;
    SCOPED_TRACE(e.path().string());
    Job job = load_job(e.path().string());
    EXPECT_FALSE(job.methods.empty());
    for (const auto& stage : job.stages) {
      const std::string& config = job.config_for(stage);
      if (!config.empty()) {
        EXPECT_TRUE(fs::is_regular_file(config)) << stage << ": " << config;
      }
    }
    ++n;
  }
  EXPECT_GE(n, 4);  // table1, demo, ci, ablation-*
}

TEST(Job, DefaultsAndResolvedPaths) {
  JobDir d("config = \"c.toml\"\n[dataset]\nsource = \"cityscapes\"\n");
  Job job = load_job(d.job);
  EXPECT_EQ(job.name, "j");
  EXPECT_EQ(job.methods, known_methods());
  EXPECT_EQ(job.stages, pipeline_stages());
  EXPECT_EQ(job.seeds, std::vector<uint64_t>{0});
  ASSERT_EQ(job.resolutions.size(), 1u);
  EXPECT_EQ(job.resolutions[0].tag(), "128x256");
  // Paths in a job file are relative to the file, wherever `loce run` is started.
  EXPECT_EQ(job.config, fs::path(d.config).lexically_normal().string());
  EXPECT_EQ(job.source, (fs::path(d.dir) / "cityscapes").lexically_normal().string());
  EXPECT_FALSE(job.synthetic());
}

TEST(Job, EveryMistakeIsAnErrorNamingIt) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"methds = [\"dae\"]\n", "unknown key 'methds'"},
      {"[datset]\nsource = \"synth\"\n", "unknown section [datset]"},
      {"[dataset]\nsynth_trian = 3\n", "unknown key 'dataset.synth_trian'"},
      {"[dataset]\nsynth_train = 0\n", "must be a positive integer, got '0'"},
      {"[dataset]\nsynth_val = 2.5\n", "must be a positive integer, got '2.5'"},
      {"[configs]\npretrian = \"c.toml\"\n", "unknown stage 'pretrian'"},
      {"methods = [\"dae\", \"simclr\"]\n", "unknown method 'simclr'"},
      {"stages = [\"prepare\", \"train\"]\n", "unknown stage 'train'"},
      {"config = \"missing.toml\"\n", "missing.toml does not exist"},
      {"[configs]\nembed = \"gone.toml\"\n", "gone.toml does not exist"},
      {"resolutions = [\"128by256\"]\n", "resolution '128by256' is not HEIGHTxWIDTH"},
      {"resolutions = [\"0x256\"]\n", "resolution '0x256'"},
      {"seeds = [-1]\n", "seed '-1' is not a non-negative integer"},
      {"seeds = [1.5]\n", "seed '1.5'"},
      {"seeds = [99999999999999999999999]\n", "seed '99999999999999999999999'"},
      {"methods = []\n", "must not be empty"},
      {"name = \"a\"\nname = [\"b\", \"c\"]\n", "key 'name' takes one value"},
      // The same steps and folders twice.
      {"methods = [\"dae\", \"rpl\", \"dae\"]\n", "'dae' appears twice in methods"},
      {"seeds = [0, 1, 0]\n", "'0' appears twice in seeds"},
      {"resolutions = [\"32x64\", \"32x64\"]\n", "'32x64' appears twice in resolutions"},
  };
  for (const auto& [body, expected] : cases) {
    std::string msg = job_error(body);
    EXPECT_NE(msg.find(expected), std::string::npos) << "job file:\n" << body << "gave: '" << msg << "'";
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;  // one line
  }
  try {
    load_job("/nonexistent/job.toml");
    ADD_FAILURE() << "a missing job file was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("job file not found: /nonexistent/job.toml"), std::string::npos);
  }
}

TEST(Plan, StagesInPipelineOrderWithEachStepReadingItsPredecessorsOutputs) {
  JobDir d("config = \"c.toml\"\n");
  Job job = load_job(d.job);
  auto plan = make_plan(job, "/runs/x", {});
  // synth + prepare, then five steps per method, then the report.
  ASSERT_EQ(plan.size(), 2 + 4 * 5 + 1u);
  EXPECT_EQ(plan.front().key, "synth");
  EXPECT_EQ(plan[1].key, "prepare/128x256");
  EXPECT_EQ(plan.back().key, "report/128x256/s0");
  for (const auto& m : known_methods()) {
    const std::string tag = "128x256/" + m + "/s0";
    const Step pre = step(plan, "pretrain/" + tag);
    const Step fin = step(plan, "finetune/" + tag);
    const Step eval = step(plan, "evaluate/" + tag);
    const Step emb = step(plan, "embed/" + tag);
    const Step ana = step(plan, "analyze/" + tag);
    // A changed output upstream invalidates every step after it.
    EXPECT_TRUE(has(pre.inputs, plan[1].outputs[0]));
    EXPECT_TRUE(has(fin.inputs, pre.outputs[0]));
    EXPECT_TRUE(has(eval.inputs, fin.outputs[0]));
    EXPECT_TRUE(has(emb.inputs, pre.outputs[0]));
    EXPECT_TRUE(has(ana.inputs, emb.outputs[0]));
    EXPECT_TRUE(has(plan.back().inputs, ana.outputs[0]));
    // Training steps resume; every step names the job's config and the combination's seed.
    EXPECT_TRUE(has(pre.args, "--resume"));
    EXPECT_TRUE(has(fin.args, "--resume"));
    for (const Step* s : {&pre, &fin, &eval, &emb, &ana}) {
      EXPECT_EQ(s->args[0], "--config");
      EXPECT_EQ(s->args[1], job.config);
      EXPECT_EQ(s->method, m);
    }
  }
}

TEST(Plan, FiltersPickStagesAndMethods) {
  JobDir d("config = \"c.toml\"\nseeds = [3]\n");
  Job job = load_job(d.job);
  PlanFilter f;
  f.only_methods = {"dae"};
  f.from_stage = "embed";
  f.until_stage = "analyze";
  EXPECT_EQ(keys(make_plan(job, "out", f)),
            (std::vector<std::string>{"embed/128x256/dae/s3", "analyze/128x256/dae/s3"}));

  f = {};
  f.until_stage = "prepare";
  EXPECT_EQ(keys(make_plan(job, "out", f)), (std::vector<std::string>{"synth", "prepare/128x256"}));

  // The report lists only the methods that were run.
  f = {};
  f.only_methods = {"barlow", "rpl"};
  f.from_stage = "report";
  auto plan = make_plan(job, d.dir + "/out", f);
  ASSERT_EQ(plan.size(), 1u);
  EXPECT_TRUE(has(plan[0].args, d.dir + "/out/128x256/barlow-s3"));
  EXPECT_TRUE(has(plan[0].args, d.dir + "/out/128x256/rpl-s3"));
  EXPECT_FALSE(has(plan[0].args, d.dir + "/out/128x256/dae-s3"));

  // A job's own `stages` list limits the plan as well.
  JobDir d2("config = \"c.toml\"\nstages = [\"pretrain\", \"embed\"]\nmethods = [\"rpl\"]\n");
  EXPECT_EQ(keys(make_plan(load_job(d2.job), "out", {})),
            (std::vector<std::string>{"pretrain/128x256/rpl/s0", "embed/128x256/rpl/s0"}));
}

TEST(Plan, PerStageConfigsOverrideTheJobsConfig) {
  JobDir d("config = \"c.toml\"\nmethods = [\"dae\"]\n[configs]\nembed = \"e.toml\"\n");
  std::ofstream(d.dir + "/e.toml") << "seed = 2\n";
  auto plan = make_plan(load_job(d.job), "out", {});
  EXPECT_EQ(step(plan, "embed/128x256/dae/s0").args[1], fs::path(d.dir + "/e.toml").lexically_normal().string());
  EXPECT_EQ(step(plan, "pretrain/128x256/dae/s0").args[1], fs::path(d.config).lexically_normal().string());
}

TEST(Plan, JobArrayCombinationsAreNumberedResolutionMethodSeed) {
  JobDir d("config = \"c.toml\"\nmethods = [\"barlow\", \"dae\"]\nseeds = [0, 1]\n"
           "resolutions = [\"64x128\", \"128x256\"]\n");
  Job job = load_job(d.job);
  auto combos = combinations(job);
  ASSERT_EQ(combos.size(), 8u);
  EXPECT_EQ(combos[0].resolution.tag(), "64x128");
  EXPECT_EQ(combos[0].method, "barlow");
  EXPECT_EQ(combos[1].seed, 1u);
  EXPECT_EQ(combos[2].method, "dae");
  EXPECT_EQ(combos[7].resolution.tag(), "128x256");
  EXPECT_EQ(combos[7].method, "dae");
  EXPECT_EQ(combos[7].seed, 1u);
  for (int i = 0; i < 8; ++i) {
    PlanFilter f;
    f.combination = i;
    f.from_stage = "pretrain";
    f.until_stage = "analyze";
    auto plan = make_plan(job, "out", f);
    ASSERT_EQ(plan.size(), 5u);
    for (const auto& s : plan) {
      EXPECT_EQ(s.method, combos[i].method);
      const std::string tail = combos[i].resolution.tag() + "/" + combos[i].method + "/s" +
                               std::to_string(combos[i].seed);
      EXPECT_EQ(s.key.substr(s.key.size() - tail.size()), tail);
    }
  }
}

// A --combination run covers one method: the report (one table across methods, in the folder
// the full job's report writes) is left out of its plan, and said so.
TEST(Plan, ACombinationRunHasNoReportStep) {
  JobDir d("config = \"c.toml\"\nmethods = [\"dae\", \"rpl\"]\n");
  Job job = load_job(d.job);
  PlanFilter f;
  f.combination = 1;
  auto plan = make_plan(job, d.dir + "/out", f);
  EXPECT_EQ(keys(plan), (std::vector<std::string>{"synth", "prepare/128x256", "pretrain/128x256/rpl/s0",
                                                  "finetune/128x256/rpl/s0", "evaluate/128x256/rpl/s0",
                                                  "embed/128x256/rpl/s0", "analyze/128x256/rpl/s0"}));
  EXPECT_TRUE(report_left_out(job, f));
  f.until_stage = "analyze";  // what the job array runs
  EXPECT_FALSE(report_left_out(job, f));
  EXPECT_FALSE(report_left_out(job, {}));
  EXPECT_EQ(make_plan(job, d.dir + "/out", {}).back().key, "report/128x256/s0");
}

// However the paths are spelled (relative, "./", "..", a trailing slash), the plan holds the
// same absolute paths, so the same steps are recognised as done and their commands work from
// any folder.
TEST(Plan, PathsAreAbsoluteHoweverSpelled) {
  JobDir d("config = \"./sub/../c.toml\"\nmethods = [\"dae\"]\n[dataset]\nsource = \"data/../cs/\"\n");
  const std::string cwd = fs::current_path().string();
  const std::string rel_job = fs::relative(d.job, cwd).string();
  fs::create_directories(d.dir + "/sub");
  Job a = load_job(d.job), b = load_job("./" + rel_job);
  EXPECT_EQ(b.path, d.job);
  EXPECT_EQ(b.config, d.config);
  EXPECT_EQ(b.source, d.dir + "/cs");
  const std::string rel_out = fs::relative(d.dir, cwd).string() + "/out";
  auto pa = make_plan(a, d.dir + "/out", {}), pb = make_plan(b, "./" + rel_out + "/", {});
  ASSERT_EQ(pa.size(), pb.size());
  for (size_t i = 0; i < pa.size(); ++i) {
    EXPECT_EQ(pa[i].args, pb[i].args);
    EXPECT_EQ(pa[i].inputs, pb[i].inputs);
    EXPECT_EQ(step_hash(pa[i]), step_hash(pb[i])) << pa[i].key;
    for (const auto& arg : pb[i].args) {
      if (arg.find("/out") != std::string::npos) {
        EXPECT_EQ(arg.rfind(d.dir + "/out", 0), 0u) << arg;
      }
    }
  }
  EXPECT_EQ(absolute_normal("x/./y/../"), cwd + "/x");
  EXPECT_EQ(absolute_normal("/"), "/");
}

TEST(Plan, BadFiltersAreErrors) {
  JobDir d("config = \"c.toml\"\nmethods = [\"dae\"]\n");
  Job job = load_job(d.job);
  auto error = [&](const PlanFilter& f) {
    return test::input_error([&] { make_plan(job, "out", f); });
  };
  PlanFilter f;
  f.from_stage = "analyze";
  f.until_stage = "pretrain";
  EXPECT_NE(error(f).find("--from analyze comes after --until pretrain"), std::string::npos);
  f = {};
  f.from_stage = "finetuning";
  EXPECT_NE(error(f).find("unknown stage 'finetuning' (stages: prepare, pretrain, finetune, evaluate, "
                          "embed, analyze, report)"), std::string::npos) << error(f);
  f = {};
  f.until_stage = "synth";  // a step's key, not a stage
  EXPECT_NE(error(f).find("the synth step belongs to stage prepare"), std::string::npos) << error(f);
  f = {};
  f.combination = -5;
  EXPECT_NE(error(f).find("--combination -5: must be >= 0"), std::string::npos) << error(f);
  f = {};
  f.combination = 0;
  f.from_stage = "report";
  EXPECT_NE(error(f).find("the report covers every combination"), std::string::npos) << error(f);
  f = {};
  f.only_methods = {"barlow"};
  EXPECT_NE(error(f).find("has no method 'barlow'"), std::string::npos);
  f = {};
  f.only_methods = {"dae"};
  f.combination = 0;
  EXPECT_NE(error(f).find("--only cannot narrow it"), std::string::npos);
  f = {};
  f.combination = 1;
  EXPECT_NE(error(f).find("combination 1 out of range: the job has 1"), std::string::npos);
}

TEST(Manifest, ADoneStepIsSkippedUntilItsInputsConfigOrOutputsChange) {
  const std::string dir = test::temp_dir("manifest");
  const std::string config = dir + "/c.toml", input = dir + "/in.h5", output = dir + "/out.h5";
  std::ofstream(config) << "seed = 1\n";
  std::ofstream(input) << "abc";
  std::ofstream(output) << "result";
  Step s{"embed/64x128/dae/s0", "embed", "dae", {"--config", config, "embed", "--data", input},
         {input}, {output}};
  const std::string path = dir + "/manifest.tsv";
  const std::string hash = step_hash(s);
  Manifest(path).record(s, "done", hash, 1.5);

  Manifest m(path);  // as the next `loce run` reads it
  EXPECT_TRUE(m.is_done(s, step_hash(s)));
  ASSERT_EQ(m.entries().count(s.key), 1u);
  EXPECT_EQ(m.entries().at(s.key).outputs, std::vector<std::string>{output});
  EXPECT_DOUBLE_EQ(m.entries().at(s.key).seconds, 1.5);
  for (const auto& e : fs::directory_iterator(dir))  // written through a temporary, renamed
    EXPECT_EQ(e.path().filename().string().find(".tmp"), std::string::npos) << e.path();

  // The input changes (its size): the step runs again.
  std::ofstream(input, std::ios::app) << "d";
  EXPECT_NE(step_hash(s), hash);
  EXPECT_FALSE(m.is_done(s, step_hash(s)));
  std::ofstream(input) << "abc";
  fs::last_write_time(input, fs::last_write_time(input) - std::chrono::hours(1));
  EXPECT_NE(step_hash(s), hash) << "same size, other modification time";

  // The config's content changes: so do both hashes.
  Manifest(path).record(s, "done", step_hash(s), 1.0);
  const std::string before = step_hash(s), config_before = config_hash(s);
  std::ofstream(config) << "seed = 2\n";
  EXPECT_NE(step_hash(s), before);
  EXPECT_NE(config_hash(s), config_before);
  EXPECT_FALSE(Manifest(path).is_done(s, step_hash(s)));

  // Only what decides this step's result counts: its own section and the top-level keys, not
  // another stage's section, comments, or how it runs (log-level, threads).
  std::ofstream(config) << "seed = 2\n[embed]\niterations = 50\n[analyze]\ngrid = 20\n";
  const std::string base = config_hash(s);
  std::ofstream(config) << "# tuned\nseed = 2\nlog-level = \"debug\"\nthreads = 4\n"
                        << "[embed]\niterations = 50\n\n[analyze]\ngrid = 21\n";
  EXPECT_EQ(config_hash(s), base);
  std::ofstream(config) << "seed = 2\n[embed]\niterations = 60\n[analyze]\ngrid = 20\n";
  EXPECT_NE(config_hash(s), base) << "its own section";
  std::ofstream(config) << "seed = 2\ndevice = \"cpu\"\n[embed]\niterations = 50\n[analyze]\ngrid = 20\n";
  EXPECT_NE(config_hash(s), base) << "a global option that changes results";
  std::ofstream(config) << "seed = 2\n";

  // Same hash, but an output is gone, or the step did not finish.
  Manifest(path).record(s, "done", step_hash(s), 1.0);
  EXPECT_TRUE(Manifest(path).is_done(s, step_hash(s)));
  fs::remove(output);
  EXPECT_FALSE(Manifest(path).is_done(s, step_hash(s)));
  std::ofstream(output) << "result";
  for (const char* status : {"failed", "interrupted"}) {
    Manifest(path).record(s, status, step_hash(s), 1.0);
    EXPECT_FALSE(Manifest(path).is_done(s, step_hash(s))) << status;
  }
}

// Comments and white space do not change what a config says; a '#' inside a string does.
TEST(Manifest, ConfigHashIgnoresCommentsAndSpacing) {
  const std::string dir = test::temp_dir("manifest");
  const std::string config = dir + "/c.toml";
  Step s{"embed/64x128/dae/s0", "embed", "dae", {"--config", config, "embed"}, {}, {}};
  std::ofstream(config) << "seed = 2\n[embed]\niterations = 11\nmode = \"native\"\n";
  const std::string base = config_hash(s);
  std::ofstream(config) << "seed=2   # the job's\n[ embed ]  # LoCE\n  iterations=11 # was 10\n"
                        << "mode =\t\"native\"\n";
  EXPECT_EQ(config_hash(s), base);
  std::ofstream(config) << "seed = 2\n[embed]\niterations = 11 # other words\nmode = \"native\"\n";
  EXPECT_EQ(config_hash(s), base);
  std::ofstream(config) << "seed = 2\n[embed]\niterations = 11\nmode = \"nat ive\"\n";
  EXPECT_NE(config_hash(s), base) << "a space inside a string";
  std::ofstream(config) << "seed = 2\n[embed]\niterations = 11\nmode = \"native # x\"\n";
  EXPECT_NE(config_hash(s), base) << "a '#' inside a string";
}

// The hash does not depend on where the run folder or the config file are: a run folder moved
// elsewhere (mv keeps modification times) is still done, and a config copied elsewhere is the
// same config. Its content still counts.
TEST(Manifest, AMovedRunFolderAndACopiedConfigKeepTheirHashes) {
  const std::string dir = test::temp_dir("manifest");
  fs::create_directories(dir + "/cfg1");
  fs::create_directories(dir + "/cfg2");
  std::ofstream(dir + "/cfg1/c.toml") << "seed = 1\n[pretrain]\nsteps = 6\n";
  fs::copy_file(dir + "/cfg1/c.toml", dir + "/cfg2/c.toml");
  std::ofstream(dir + "/job1.toml") << "config = \"cfg1/c.toml\"\nmethods = [\"dae\"]\n";
  std::ofstream(dir + "/job2.toml") << "config = \"cfg2/c.toml\"\nmethods = [\"dae\"]\n";
  auto before = make_plan(load_job(dir + "/job1.toml"), dir + "/run1", {});
  fs::create_directories(dir + "/run1/data");
  std::ofstream(dir + "/run1/data/cache-128x256.h5") << "cache";
  fs::create_directories(dir + "/run1/data/synth/a");
  std::ofstream(dir + "/run1/data/synth/a/x.png") << "png";
  std::map<std::string, std::string> hashes;
  for (const auto& s : before) hashes[s.key] = step_hash(s);
  fs::rename(dir + "/run1", dir + "/run2");
  auto after = make_plan(load_job(dir + "/job2.toml"), dir + "/run2", {});
  ASSERT_EQ(after.size(), before.size());
  for (const auto& s : after) EXPECT_EQ(step_hash(s), hashes[s.key]) << s.key;
  std::ofstream(dir + "/cfg2/c.toml") << "seed = 1\n[pretrain]\nsteps = 7\n";
  EXPECT_NE(step_hash(step(after, "pretrain/128x256/dae/s0")), hashes["pretrain/128x256/dae/s0"]);
}

// A plain `loce run` after a job array reads the array's manifests: what a combination run did
// is done. The newest line of a step decides, and only the run's own manifest is written.
TEST(Manifest, OtherManifestsOfTheFolderCount) {
  const std::string dir = test::temp_dir("manifest");
  const std::string output = dir + "/out.h5";
  std::ofstream(output) << "result";
  Step s{"embed/64x128/dae/s0", "embed", "dae", {"embed", "--out", output}, {}, {output}};
  const std::string hash = step_hash(s);
  std::ofstream(dir + "/manifest-c0.tsv")
      << "embed/64x128/dae/s0\tdone\t" << hash << "\tx\t1\t2030-01-01T00:00:00\t\t" << output << "\n";
  Manifest full(dir + "/manifest.tsv");
  EXPECT_FALSE(full.is_done(s, hash));
  full.consult(dir + "/manifest-c0.tsv");
  EXPECT_TRUE(full.is_done(s, hash));
  EXPECT_FALSE(full.can_resume(s, hash)) << "a finished run in the array's manifest";
  ASSERT_NE(full.find(s.key), nullptr);
  EXPECT_TRUE(full.entries().empty()) << "its own lines only";
  full.record(s, "failed", hash, 1);  // now, older than the array's line (2030)
  EXPECT_TRUE(full.is_done(s, hash)) << "the newest line decides";
  std::ofstream(dir + "/manifest-c0.tsv")
      << "embed/64x128/dae/s0\tdone\t" << hash << "\tx\t1\t2000-01-01T00:00:00\t\t" << output << "\n";
  Manifest again(dir + "/manifest.tsv");
  again.consult(dir + "/manifest-c0.tsv");
  EXPECT_FALSE(again.is_done(s, hash)) << "its own newer line (failed)";
  std::ifstream in(dir + "/manifest.tsv");
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str().find("\tdone\t"), std::string::npos) << text.str();
}

// The dry run says what the real run does: a step after one that runs is due too (its inputs
// change), and a training step that runs says whether it resumes or trains again.
TEST(Manifest, TheForecastFollowsStepsThatRun) {
  const std::string dir = test::temp_dir("manifest");
  const std::string config = dir + "/c.toml", path = dir + "/manifest.tsv";
  std::ofstream(config) << "seed = 1\n";
  const std::string a_out = dir + "/a.h5", b_out = dir + "/b.h5", run = dir + "/train";
  fs::create_directories(run);
  std::ofstream(a_out) << "a";
  std::ofstream(b_out) << "b";
  std::ofstream(run + "/train.h5") << "t";
  std::vector<Step> plan = {
      {"prepare/x", "prepare", "", {"--config", config, "prepare"}, {}, {a_out}},
      {"embed/x", "embed", "dae", {"embed", "--data", a_out}, {a_out}, {b_out}},
      {"finetune/x", "finetune", "dae", {"finetune", "--data", b_out, "--resume"}, {b_out},
       {run + "/train.h5"}, run},
      {"analyze/y", "analyze", "dae", {"analyze"}, {dir + "/unrelated.h5"}, {}}};
  {
    Manifest m(path);
    for (const auto& s : plan) m.record(s, "done", step_hash(s), 1);
  }
  for (const auto& f : forecast(plan, Manifest(path), false)) EXPECT_TRUE(f.done);
  auto forced = forecast(plan, Manifest(path), true);
  EXPECT_FALSE(forced[2].done);
  EXPECT_TRUE(forced[2].retrains) << "--force trains a finished run again";

  std::ofstream(config) << "seed = 2\n";  // prepare's config changes
  auto f = forecast(plan, Manifest(path), false);
  EXPECT_FALSE(f[0].done);
  EXPECT_TRUE(f[0].after.empty());
  EXPECT_FALSE(f[1].done);
  EXPECT_EQ(f[1].after, "prepare/x");
  EXPECT_FALSE(f[2].done);
  EXPECT_EQ(f[2].after, "embed/x");
  EXPECT_TRUE(f[2].retrains) << "its recorded run is of other inputs";
  EXPECT_FALSE(f[2].resumes);
  EXPECT_TRUE(f[3].done) << "it reads nothing that changes";

  // An interrupted training run with the same hash resumes.
  std::ofstream(config) << "seed = 1\n";
  Manifest(path).record(plan[2], "interrupted", step_hash(plan[2]), 1);
  f = forecast(plan, Manifest(path), false);
  EXPECT_FALSE(f[2].done);
  EXPECT_TRUE(f[2].resumes);
  EXPECT_FALSE(f[2].retrains);
  EXPECT_FALSE(must_set_aside(plan[2], Manifest(path), step_hash(plan[2]), false));
  EXPECT_TRUE(must_set_aside(plan[2], Manifest(path), "", false)) << "inputs about to change";
}

// A training step continues only its own unfinished run: resuming a finished checkpoint (or one
// trained from other inputs) would keep the old model under a step that says it ran.
TEST(Manifest, ATrainingStepResumesOnlyItsOwnUnfinishedRun) {
  const std::string dir = test::temp_dir("manifest");
  const std::string input = dir + "/pretrain.h5", path = dir + "/manifest.tsv";
  std::ofstream(input) << "encoder v1";
  Step s{"finetune/64x128/dae/s0", "finetune", "dae", {"finetune", "--encoder", input, "--resume"},
         {input}, {dir + "/finetune/train.h5"}, dir + "/finetune"};
  EXPECT_TRUE(Manifest(path).can_resume(s, step_hash(s))) << "no line: the trainer decides";
  for (const char* status : {"running", "interrupted", "failed"}) {
    Manifest(path).record(s, status, step_hash(s), 1.0);
    EXPECT_TRUE(Manifest(path).can_resume(s, step_hash(s))) << status;
  }
  Manifest(path).record(s, "done", step_hash(s), 1.0);
  EXPECT_FALSE(Manifest(path).can_resume(s, step_hash(s))) << "finished";
  Manifest(path).record(s, "interrupted", step_hash(s), 1.0);
  std::ofstream(input) << "encoder v2, retrained";
  EXPECT_FALSE(Manifest(path).can_resume(s, step_hash(s))) << "its input changed meanwhile";
}

TEST(Manifest, KeepsEveryStepInOrderAndIgnoresDamagedLines) {
  const std::string dir = test::temp_dir("manifest");
  const std::string path = dir + "/manifest.tsv";
  std::ofstream(path) << "# header\nnot a manifest line\nsynth\tdone\tabc\n";
  Manifest m(path);
  EXPECT_TRUE(m.entries().empty());
  Step a{"synth", "prepare", "", {"synth"}, {}, {dir}};
  Step b{"prepare/64x128", "prepare", "", {"prepare"}, {dir}, {dir}};
  m.record(a, "done", step_hash(a), 2);
  m.record(b, "failed", step_hash(b), 3);
  m.record(a, "done", step_hash(a), 4);  // a rerun replaces its line in place
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);)
    if (!line.empty() && line[0] != '#') lines.push_back(line.substr(0, line.find('\t')));
  EXPECT_EQ(lines, (std::vector<std::string>{"synth", "prepare/64x128"}));
  Manifest again(path);
  EXPECT_DOUBLE_EQ(again.entries().at("synth").seconds, 4);
  EXPECT_EQ(again.entries().at("prepare/64x128").status, "failed");
}

// The lock itself (stale locks, other hosts, SLURM requeues) is pinned by LockFile's own test
// (tests/train/test_units.cpp).

// A full run (.lock) and a --combination run (.lock-c<i>) must not share a folder at once: each
// checks the other kind's lock; only a live holder counts.
TEST(RunLocks, TheOtherKindOfRunIsRefusedWhileItsHolderLives) {
  const std::string dir = test::temp_dir("lock");
  const std::string path = dir + "/.lock-c0";
  auto error = [&]() -> std::string {
    try {
      require_unlocked(path, "a --combination run");
    } catch (const InputError& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_EQ(error(), "") << "no lock";
  {
    LockFile held(path, "run folder " + dir);
    std::string msg = error();
    EXPECT_NE(msg.find("run folder " + dir + " is in use by a --combination run, pid " +
                       std::to_string(getpid()) + " on " + hostname()),
              std::string::npos) << msg;
    EXPECT_TRUE(fs::exists(path)) << "only looked at";
  }
  pid_t child = fork();
  if (child == 0) _exit(0);
  ASSERT_GT(child, 0);
  waitpid(child, nullptr, 0);
  std::ofstream(path) << hostname() << " " << child << "\n";
  EXPECT_EQ(error(), "") << "a stale lock";
}

// Ctrl-C in training: the first SIGINT asks for a stop (checkpoint, exit 75) like SIGTERM; the
// second has its default action, so Ctrl-C twice still ends the program at once. Where SIGINT is
// ignored (a shell's background job), it stays ignored. Each case in a child process.
TEST(StopSignal, FirstSigintStopsSecondKills) {
  auto in_child = [](auto body) {
    pid_t pid = fork();
    if (pid == 0) _exit(body());
    int status = 0;
    waitpid(pid, &status, 0);
    return status;
  };
  int status = in_child([] {
    train::install_stop_handlers();
    if (train::stop_requested()) return 2;
    raise(SIGINT);
    if (!train::stop_requested()) return 3;
    train::install_stop_handlers();  // as the trainer does after the runner: not re-armed
    raise(SIGINT);
    return 4;  // not reached
  });
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGINT) << "status " << status;
  status = in_child([] {
    train::install_stop_handlers();
    raise(SIGTERM);
    raise(SIGUSR2);
    return train::stop_requested() ? 0 : 5;
  });
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
  status = in_child([] {
    signal(SIGINT, SIG_IGN);
    train::install_stop_handlers();
    raise(SIGINT);
    return train::stop_requested() ? 6 : 0;
  });
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
}

namespace {

// A tiny synthetic job (32x64) in a fresh folder: j.toml with c.toml, plus `extra` in the job.
struct TinyJob {
  std::string dir, job, config, out;
  TinyJob(const std::string& config_text, const std::string& extra = "") {
    dir = test::temp_dir("runjob");
    job = dir + "/j.toml";
    config = dir + "/c.toml";
    out = dir + "/out";
    std::ofstream(config) << config_text;
    std::ofstream(job) << "config = \"c.toml\"\nmethods = [\"dae\"]\nresolutions = [\"32x64\"]\n" << extra
                       << "[dataset]\nsynth_train = 8\nsynth_val = 4\nsynth_height = 32\nsynth_width = 64\n";
  }
  test::RunResult run(const std::string& args) const {
    return test::run_command(test::loce_binary() + " run " + job + " --out " + out + " " + args);
  }
};

const char* kTinyConfig =
    "threads = 1\nlog-level = \"warn\"\n[pretrain]\nbatch-size = 2\nsteps = 4\nbase-width = 4\n"
    "depth = 2\ncheckpoint-every = 2\n[finetune]\nbatch-size = 2\nsteps = 2\n[embed]\nmode = \"native\"\n"
    "iterations = 2\n[analyze]\nn-init = 1\ngrid = 5\numap-epochs = 5\n";

}  // namespace

// A typo in any stage's config stops `loce run` before its first step, naming the step and the
// key, and leaves no run folder behind (not hours later, when that stage is reached).
TEST(Run, EveryStepsConfigIsCheckedBeforeTheFirstStep) {
  TinyJob j(kTinyConfig, "[configs]\nanalyze = \"typo.toml\"\n");
  std::ofstream(j.dir + "/typo.toml") << "[analyze]\ngird = 20\n";
  for (const char* args : {"", "--dry-run"}) {
    auto r = j.run(args);
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find("step analyze/32x64/dae/s0: --config " + j.dir +
                            "/typo.toml: unknown key 'analyze.gird'"),
              std::string::npos) << r.output;
    EXPECT_FALSE(fs::exists(j.out)) << args;
  }
  // A bad value too, in the job's main config (CLI11 checks every section's values for every
  // subcommand: the first step fails, as it would when run).
  std::ofstream(j.dir + "/typo.toml") << "[analyze]\ngrid = 20\n";
  std::ofstream(j.config) << kTinyConfig << "[evaluate]\nbatch-size = 0\n";
  auto r = j.run("");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("step synth: --batch-size: must be a whole number of at least 1"),
            std::string::npos) << r.output;
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
  EXPECT_FALSE(fs::exists(j.out));
  // Nothing wrong: the check passes although no step's inputs exist yet, and prints nothing.
  std::ofstream(j.config) << kTinyConfig;
  r = j.run("--dry-run");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output.find("Usage"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("[todo] report/32x64/s0"), std::string::npos) << r.output;
}

// A full run and a --combination run of the same folder never run at once; a negative
// combination is an error.
TEST(Run, AFullRunAndACombinationRunExcludeEachOther) {
  TinyJob j(kTinyConfig);
  fs::create_directories(j.out);
  const std::string me = hostname() + " " + std::to_string(getpid()) + "\n";
  std::ofstream(j.out + "/.lock-c0") << me;  // a live combination run (this test process)
  auto r = j.run("--until prepare");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("is in use by a --combination run, pid " + std::to_string(getpid())),
            std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(j.out + "/.lock")) << "released on the way out";
  EXPECT_FALSE(fs::exists(j.out + "/manifest.tsv"));
  fs::remove(j.out + "/.lock-c0");
  std::ofstream(j.out + "/.lock") << me;  // a live full run
  r = j.run("--combination 0 --from pretrain --until pretrain");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("is in use by a full run (without --combination), pid"), std::string::npos)
      << r.output;
  EXPECT_FALSE(fs::exists(j.out + "/.lock-c0"));
  r = j.run("--combination -5 --dry-run");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("--combination: must be a whole number of at least 0"), std::string::npos)
      << r.output;
}

// Ctrl-C (SIGINT) during training checkpoints, records the step as interrupted, releases the
// lock and exits 75, like SIGTERM; `loce run` again resumes.
TEST(Run, SigintInTrainingCheckpointsAndExitsForRequeue) {
  TinyJob j(kTinyConfig, "stages = [\"prepare\", \"pretrain\"]\n");
  std::ofstream(j.config) << "threads = 1\nlog-level = \"info\"\n[pretrain]\nbatch-size = 2\n"
                          << "steps = 100000\nbase-width = 4\ndepth = 2\ncheckpoint-every = 2\n";
  const std::string run = j.out + "/32x64/dae-s0/pretrain/checkpoints", log = j.dir + "/run.log";
  pid_t pid = fork();
  if (pid == 0) {
    const std::string cmd = "exec " + test::loce_binary() + " run " + j.job + " --out " + j.out + " > " +
                            log + " 2>&1";
    execl("/bin/sh", "sh", "-c", cmd.c_str(), (char*)nullptr);
    _exit(127);
  }
  auto has_checkpoint = [&] {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(run, ec))
      if (e.path().filename().string().rfind("ckpt-", 0) == 0) return true;
    return false;
  };
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(300);
  int status = 0;
  bool ended = false;
  while (!has_checkpoint() && std::chrono::steady_clock::now() < deadline) {
    if (waitpid(pid, &status, WNOHANG) == pid) {
      ended = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (!ended) {
    kill(pid, SIGINT);
    waitpid(pid, &status, 0);
  }
  std::ifstream in(log);
  std::stringstream text;
  text << in.rdbuf();
  ASSERT_FALSE(ended) << "loce run ended before its first checkpoint:\n" << text.str();
  ASSERT_TRUE(WIFEXITED(status)) << "status " << status << "\n" << text.str();
  EXPECT_EQ(WEXITSTATUS(status), train::kExitRequeue) << text.str();
  EXPECT_NE(text.str().find("stop signal: checkpointing"), std::string::npos) << text.str();
  EXPECT_FALSE(fs::exists(j.out + "/.lock")) << text.str();
  std::ifstream manifest(j.out + "/manifest.tsv");
  std::stringstream lines;
  lines << manifest.rdbuf();
  EXPECT_NE(lines.str().find("pretrain/32x64/dae/s0\tinterrupted\t"), std::string::npos) << lines.str();
}
