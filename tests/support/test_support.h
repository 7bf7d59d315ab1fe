#pragma once
// Shared helpers for the test suites.
#include <functional>
#include <string>

namespace loce::test {

// ../shared (fixtures, reference data): $LOCE_SHARED_DIR, else the folder beside the checkout.
// Empty when neither exists, so tests can GTEST_SKIP() with a visible reason.
std::string shared_dir();

// The source tree (committed test data lives under tests/<module>/data): $LOCE_SOURCE_DIR,
// else the checkout this test binary was configured from.
std::string source_dir();

// A fresh, empty temporary folder, removed at exit of the test process.
std::string temp_dir(const std::string& tag);

// The `loce` binary built beside the tests ($LOCE_BINARY).
std::string loce_binary();

struct RunResult {
  int exit_code;
  std::string output;  // stdout and stderr together
};
// The message of the InputError `f` throws; a test failure (and "") when it throws none.
std::string input_error(const std::function<void()>& f);

// Runs a shell command line, capturing its output.
RunResult run_command(const std::string& command_line);

}  // namespace loce::test
