// The shipped configs (configs/*.toml) parse for every subcommand that `loce run` starts with
// them: a typo in a key, a section or a value fails here instead of hours into a cluster job.
//
// `loce --config FILE SUB --help` is the check: CLI11 (2.1) reads the config file before it
// handles --help, checks the keys of every section whichever subcommand is selected and validates
// the values, then --help exits 0 without touching any data. ConfigChecks.* proves that this
// invocation really parses the file, so that a CLI11 change cannot turn these tests into no-ops.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "support/test_support.h"

using namespace loce;

namespace {

const std::vector<std::string> kConfigFiles = {"paper.toml", "fullres.toml", "demo.toml",
                                               "ci.toml"};

// The subcommands src/app/run_plan.cpp runs with --config (synth gets the prepare stage's config,
// report the report stage's).
const std::vector<std::string> kStages = {"synth",    "prepare", "pretrain", "finetune",
                                          "evaluate", "embed",   "analyze",  "report"};

// Options a config file does not list (see the header of every config): those naming one
// invocation's inputs and outputs, which `loce run` passes per step. synth and report, whose
// options the runner sets itself, have no section.
const std::set<std::string> kNotListed = {
    "help", "config", "version", "data", "out", "resume", "method", "encoder", "model",
    "full-res-labels", "from-activations", "in", "json", "cityscapes"};
// The sections a config file documents, "" for the global options.
const std::vector<std::string> kDocumentedSections = {"",         "prepare", "pretrain", "finetune",
                                                      "evaluate", "embed",   "analyze"};

std::string config_path(const std::string& name) { return test::source_dir() + "/configs/" + name; }

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string write_temp(const std::string& name, const std::string& text) {
  std::string path = test::temp_dir("configs") + "/" + name;
  std::ofstream(path) << text;
  return path;
}

test::RunResult parse_for(const std::string& config, const std::string& subcommand) {
  return test::run_command(test::loce_binary() + " --config '" + config + "' " + subcommand +
                           " --help");
}

bool is_config_error(const std::string& output) {
  return output.find("unknown key") != std::string::npos ||
         output.find("unknown section") != std::string::npos;
}

// A documented key: `key = value` (set) or `# key = value` (commented out at its default).
const std::regex kKeyLine(R"(^(# )?([a-z][a-z0-9-]*) = .*$)");
const std::regex kSectionLine(R"(^\[([a-z][a-z0-9-]*)\]\s*$)");

// section ("" = global) -> keys listed in the file, set or commented out.
std::map<std::string, std::set<std::string>> listed_keys(const std::string& text) {
  std::map<std::string, std::set<std::string>> out;
  std::string section, line;
  std::istringstream in(text);
  std::smatch m;
  while (std::getline(in, line)) {
    if (std::regex_match(line, m, kSectionLine))
      section = m[1].str();
    else if (std::regex_match(line, m, kKeyLine))
      out[section].insert(m[2].str());
  }
  return out;
}

// The file with every `# key = default` line uncommented.
std::string uncommented(const std::string& text) {
  std::string out, line;
  std::istringstream in(text);
  std::smatch m;
  while (std::getline(in, line)) {
    if (std::regex_match(line, m, kKeyLine) && m[1].matched) line = line.substr(2);
    out += line + "\n";
  }
  return out;
}

// The option names `loce [SUB] --help` lists ("bf16" for "--bf16,--no-bf16").
std::set<std::string> help_options(const std::string& subcommand) {
  auto r = test::run_command(test::loce_binary() + " " + subcommand + " --help");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  std::set<std::string> out;
  const std::regex option(R"(^\s+(?:-[a-zA-Z],)?--([a-z0-9-]+))");
  std::istringstream in(r.output);
  std::string line;
  std::smatch m;
  while (std::getline(in, line))
    if (std::regex_search(line, m, option)) out.insert(m[1].str());
  return out;
}

}  // namespace

// The check itself: a typo in any section, read through that section's subcommand, is reported.
TEST(ConfigChecks, TyposInKeysSectionsAndValuesAreCaught) {
  const std::string text = read_file(config_path("paper.toml"));
  ASSERT_FALSE(text.empty());
  for (const auto& section : kDocumentedSections) {
    std::string broken = text;
    std::string subcommand = section.empty() ? "pretrain" : section;
    if (section.empty()) {
      broken = "threds = 2\n" + broken;
    } else {
      const std::string header = "\n[" + section + "]\n";
      size_t at = broken.find(header);
      ASSERT_NE(at, std::string::npos) << section;
      broken.insert(at + header.size(), "typo-key = 1\n");
    }
    const std::string path = write_temp("typo.toml", broken);
    const std::string key = section.empty() ? "threds" : section + ".typo-key";
    auto r = parse_for(path, subcommand);
    EXPECT_NE(r.exit_code, 0) << section << ":\n" << r.output;
    EXPECT_NE(r.output.find("unknown key '" + key + "'"), std::string::npos) << r.output;
    // Any other subcommand reads the whole file too.
    if (section == "pretrain") {
      r = parse_for(path, "analyze");
      EXPECT_NE(r.exit_code, 0) << r.output;
      EXPECT_NE(r.output.find("unknown key '" + key + "'"), std::string::npos) << r.output;
    }
  }
  // A misspelt section, whichever stage reads the file.
  std::string broken = text;
  const size_t embed = broken.find("\n[embed]\n");
  ASSERT_NE(embed, std::string::npos);
  broken.replace(embed, 9, "\n[embedd]\n");
  for (const char* subcommand : {"embed", "pretrain"}) {
    auto r = parse_for(write_temp("typo.toml", broken), subcommand);
    EXPECT_NE(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("unknown section [embedd]"), std::string::npos) << r.output;
  }
  // A value outside an option's choices.
  auto r = parse_for(write_temp("value.toml", "[embed]\nmode = \"referense\"\n"), "embed");
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("referense"), std::string::npos) << r.output;
}

class ConfigFile : public ::testing::TestWithParam<std::string> {};

TEST_P(ConfigFile, ParsesForEveryStage) {
  const std::string path = config_path(GetParam());
  ASSERT_FALSE(read_file(path).empty()) << path;
  for (const auto& stage : kStages) {
    auto r = parse_for(path, stage);
    EXPECT_EQ(r.exit_code, 0) << path << " for `loce " << stage << "`:\n" << r.output;
    EXPECT_FALSE(is_config_error(r.output)) << path << " for `loce " << stage << "`:\n" << r.output;
  }
}

// The commented-out `# key = default` lines are valid too: uncommenting one never breaks a run.
// One subcommand reads every section (ConfigChecks shows that a typo in [pretrain] is caught
// through `loce analyze`).
TEST_P(ConfigFile, CommentedOutDefaultsParse) {
  const std::string text = read_file(config_path(GetParam()));
  ASSERT_FALSE(text.empty());
  auto r = parse_for(write_temp(GetParam(), uncommented(text)), "embed");
  EXPECT_EQ(r.exit_code, 0) << GetParam() << " with every key uncommented:\n" << r.output;
  EXPECT_FALSE(is_config_error(r.output)) << r.output;
}

INSTANTIATE_TEST_SUITE_P(Configs, ConfigFile, ::testing::ValuesIn(kConfigFiles),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param.substr(0, info.param.find('.'));
                         });

// Every option of every documented section is listed, set or commented out at its default; a
// new option fails here until the configs document it.
TEST(ConfigFiles, ListEveryOption) {
  std::map<std::string, std::set<std::string>> wanted;
  for (const auto& section : kDocumentedSections)
    for (const auto& option : help_options(section))
      if (!kNotListed.count(option)) wanted[section].insert(option);
  for (const auto& name : kConfigFiles) {
    SCOPED_TRACE(name);
    auto listed = listed_keys(read_file(config_path(name)));
    for (const auto& section : kDocumentedSections) {
      const std::string where = section.empty() ? "the global options" : "[" + section + "]";
      for (const auto& option : wanted[section])
        EXPECT_TRUE(listed[section].count(option))
            << name << ": " << where << " does not list '" << option << "'";
      for (const auto& key : listed[section])
        EXPECT_TRUE(wanted[section].count(key)) << name << ": " << where << " lists '" << key
                                                << "', which is not an option to document";
    }
    for (const auto& [section, keys] : listed)
      EXPECT_TRUE(wanted.count(section)) << name << ": unexpected section [" << section << "]";
  }
}
