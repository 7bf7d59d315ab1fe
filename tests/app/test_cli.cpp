// The `loce` binary as a user meets it: global options, config files, clear one-line errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "support/test_support.h"

using namespace loce;
namespace fs = std::filesystem;

namespace {
test::RunResult run_loce(const std::string& args) {
  return test::run_command(test::loce_binary() + " " + args);
}

// Writes `toml` to a fresh c.toml and runs `loce args`, where CFG in args stands for its path.
test::RunResult run_with_config(const std::string& toml, std::string args) {
  const std::string path = test::temp_dir("cli") + "/c.toml";
  std::ofstream(path) << toml;
  args.replace(args.find("CFG"), 3, path);
  return run_loce(args);
}
}  // namespace

TEST(Cli, VersionAndHelp) {
  auto r = run_loce("--version");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("loce "), std::string::npos);
  r = run_loce("--help");
  EXPECT_EQ(r.exit_code, 0);
  for (const char* cmd : {"prepare", "stats", "run"})
    EXPECT_NE(r.output.find(cmd), std::string::npos) << cmd << "\n" << r.output;
}

TEST(Cli, BenchSettingsPrintsTheCpuSettingsInForce) {
  // The user's values are the ones in force, and with the tuning off nothing is added.
  auto r = test::run_command("env -u GLIBC_TUNABLES -u OMP_WAIT_POLICY -u OPENBLAS_THREAD_TIMEOUT "
                             "LOCE_CPU_TUNING=0 OPENBLAS_CORETYPE=Zen " + test::loce_binary() +
                             " --log-level warn bench settings");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "OPENBLAS_CORETYPE=Zen\n");
  // With the tuning on, whatever the restart set is printed, one KEY=VALUE per line.
  r = run_loce("--log-level warn bench settings");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  std::istringstream lines(r.output);
  for (std::string line; std::getline(lines, line);)
    EXPECT_TRUE(line.rfind("OPENBLAS_", 0) == 0 || line.rfind("OMP_WAIT_POLICY=", 0) == 0 ||
                line.rfind("GLIBC_TUNABLES=", 0) == 0)
        << line;
}

TEST(Cli, UnknownConfigKeyIsAnError) {
  auto r = run_with_config("seed = 3\nthreds = 2\n", "--config CFG stats --cache x.h5");
  EXPECT_NE(r.exit_code, 0);
  // One line naming the file and the key.
  EXPECT_NE(r.output.find("c.toml: unknown key 'threds'"), std::string::npos) << r.output;
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
}

TEST(Cli, AnUnknownSubcommandOrAMalformedSectionIsNamed) {
  auto r = run_loce("--threads 1 foo");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("unknown subcommand 'foo' (one of: run, synth, "), std::string::npos)
      << r.output;
  r = run_loce("bench foo");
  EXPECT_NE(r.output.find("unknown subcommand 'foo' (one of: "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("allreduce"), std::string::npos) << r.output;
  r = run_with_config("[stats\nsplit = \"val\"\n", "--config CFG stats --cache x.h5");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("malformed section header '[stats'"), std::string::npos) << r.output;
}

TEST(Cli, UnknownConfigSectionIsNamed) {
  auto r = run_with_config("[stat]\nsplit = \"val\"\n", "--config CFG stats --cache x.h5");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("unknown section [stat]"), std::string::npos) << r.output;
}

TEST(Cli, UnknownKeyInSubcommandSectionIsAnError) {
  auto r = run_with_config("[stats]\nsplit = \"val\"\nsplitt = \"train\"\n",
                           "--config CFG stats --cache x.h5");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("unknown key 'stats.splitt'"), std::string::npos) << r.output;
}

TEST(Cli, ABadValueFromTheConfigNamesTheFileAndKey) {
  auto r = run_with_config("device = \"gpu\"\n[stats]\nsplit = \"val\"\n",
                           "--config CFG stats --cache x.h5");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("c.toml: key 'device': --device: gpu not in"), std::string::npos)
      << r.output;
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
  // Typed on the command line, the value is the command line's: no file is blamed.
  r = run_with_config("seed = 3\n", "--config CFG --device gpu stats --cache x.h5");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("--device: gpu not in"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("c.toml"), std::string::npos) << r.output;
}

// Global options may also follow the subcommand (`loce stats --config c.toml ...`).
TEST(Cli, GlobalOptionsAfterTheSubcommand) {
  auto r = run_with_config("seed = 3\nthreds = 2\n", "stats --cache x.h5 --config CFG");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("threds"), std::string::npos) << r.output;
  r = run_loce("stats --log-level quiet --cache " + test::temp_dir("cli") + "/missing.h5");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.output.find("not expected"), std::string::npos) << r.output;
}

// cuDNN's benchmark mode is on unless switched off, from the command line or a config file.
TEST(Cli, CudnnBenchmarkModeIsOnByDefault) {
  const std::string missing = " --cache " + test::temp_dir("cli") + "/missing.h5";
  auto r = run_loce("--log-level debug stats" + missing);
  EXPECT_NE(r.output.find("cuDNN benchmark on"), std::string::npos) << r.output;
  r = run_loce("--log-level debug --no-cudnn-benchmark stats" + missing);
  EXPECT_NE(r.output.find("cuDNN benchmark off"), std::string::npos) << r.output;
  r = run_with_config("cudnn-benchmark = false\n", "--log-level debug stats --config CFG" + missing);
  EXPECT_NE(r.output.find("cuDNN benchmark off"), std::string::npos) << r.output;
}

TEST(Cli, ConfigValuesApplyAndFlagsOverrideThem) {
  std::string shared = test::shared_dir();
  std::string root = shared + "/fixtures/pseudo_cityscapes";
  if (shared.empty() || !fs::is_directory(root)) GTEST_SKIP() << "shared/fixtures not found";
  std::string dir = test::temp_dir("cli");
  std::ofstream(dir + "/c.toml") << "log-level = \"warn\"\n[stats]\nsplit = \"train\"\n";
  // The config's split (train) does not exist in the fixture: the error proves it was read.
  auto r = run_loce("--config " + dir + "/c.toml stats --cityscapes " + root);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("leftImg8bit/train"), std::string::npos) << r.output;
  // The flag overrides it.
  r = run_loce("--config " + dir + "/c.toml stats --cityscapes " + root + " --split val --json");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("\"images\": 1"), std::string::npos) << r.output;
}

TEST(Cli, MissingDatasetFolderIsOneClearLine) {
  auto r = run_loce("stats --cityscapes /no/such/cityscapes --split val");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("error: Cityscapes folder not found: /no/such/cityscapes"),
            std::string::npos) << r.output;
  int lines = 0;
  for (char c : r.output) lines += c == '\n';
  EXPECT_EQ(lines, 1) << r.output;
}

// A benchmark's options are all checked before the first case is timed; sizes that would
// overflow end the series instead of looping.
TEST(Cli, BenchmarkOptionsAreCheckedBeforeAnyWork) {
  const std::string dir = test::temp_dir("cli_bench");
  auto r = run_loce("bench analysis --n 40 --dim 4 --concepts 2 --covariance bogus --save " + dir +
                    "/b.h5");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("covariance type 'bogus'"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir + "/b.h5"));
  r = run_loce("bench allreduce --backends mpi bogus --iters 1 --warmup 0");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.output.find("algbw"), std::string::npos) << r.output;
  r = run_loce("bench loce --shapes deep --deep-pairs 2 --sharing 1 --modes reference bogus");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.output.find("RESULT"), std::string::npos) << r.output;
  r = test::run_command("timeout 60 " + test::loce_binary() +
                        " bench allreduce --min-bytes 1024 --max-bytes 9223372036854775807"
                        " --factor 9223372036854775807 --iters 1 --warmup 0");
  EXPECT_EQ(r.exit_code, 0) << r.output;
}

TEST(Cli, BadValuesAreRejected) {
  EXPECT_NE(run_loce("--device tpu stats --cache x.h5").exit_code, 0);
  EXPECT_NE(run_loce("--log-level loud stats --cache x.h5").exit_code, 0);
  // Numbers out of range, NaN included, are refused while the command line is read.
  for (const char* args : {"bench allreduce --factor 1", "bench allreduce --seconds nan",
                           "bench loce --full-pairs -3", "bench analysis --separation nan",
                           "embed --model m --data d.h5 --split val --out o.h5 --memory-budget 1e30"}) {
    auto r = run_loce(args);
    EXPECT_NE(r.exit_code, 0) << args;
    EXPECT_NE(r.output.find("must be a "), std::string::npos) << args << "\n" << r.output;
  }
  for (const char* threads : {"-2", "5000"}) {
    auto r = run_loce(std::string("--threads ") + threads + " stats --cache x.h5");
    EXPECT_NE(r.exit_code, 0) << threads;
    EXPECT_NE(r.output.find("--threads: Value " + std::string(threads) + " not in range"),
              std::string::npos) << r.output;
  }
  // Seeds are uint64: "-1" must not become 2^64 - 1.
  for (const char* seed : {"-1", "1.5", "18446744073709551616"}) {
    auto r = run_loce(std::string("--seed ") + seed + " stats --cache x.h5");
    EXPECT_NE(r.exit_code, 0) << seed;
    EXPECT_NE(r.output.find("--seed: must be a whole number"), std::string::npos) << r.output;
  }
  std::string dir = test::temp_dir("cli");
  auto r = run_loce("prepare --cityscapes " + dir + " --out " + dir + "/c.h5 --height 0");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("must be positive"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir + "/c.h5"));
}

TEST(Cli, StatsOnTheRealFixtureFrame) {
  std::string shared = test::shared_dir();
  std::string root = shared + "/fixtures/pseudo_cityscapes";
  if (shared.empty() || !fs::is_directory(root)) GTEST_SKIP() << "shared/fixtures not found";
  auto r = run_loce("stats --cityscapes " + root + " --split val");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("1 images, 32768 pixels"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("road"), std::string::npos);
  // stdout carries the result only (the log goes to stderr): --json output parses as it is.
  r = test::run_command("(" + test::loce_binary() + " stats --cityscapes " + root +
                        " --split val --json 2>/dev/null)");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  ASSERT_FALSE(r.output.empty());
  EXPECT_EQ(r.output.front(), '{') << r.output;
  EXPECT_EQ(r.output.find("\n"), r.output.size() - 1) << r.output;
  r = run_loce("stats --cityscapes " + root + " --split val --per-image");
  EXPECT_NE(r.output.find("frankfurt_000000_000294: road"), std::string::npos) << r.output;
}
