#include "support/test_support.h"

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <vector>

#include <gtest/gtest.h>

#include "core/error.h"

namespace fs = std::filesystem;

namespace loce::test {

std::string input_error(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected an InputError";
  return "";
}

std::string shared_dir() {
  for (const char* var : {"LOCE_SHARED_DIR", "LOCE_SHARED_DIR_DEFAULT"}) {
    const char* v = std::getenv(var);
    if (v && *v && fs::is_directory(v)) return v;
  }
  if (fs::is_directory(LOCE_TEST_SHARED_DIR)) return LOCE_TEST_SHARED_DIR;
  return "";
}

std::string source_dir() {
  const char* v = std::getenv("LOCE_SOURCE_DIR");
  return v && *v ? v : LOCE_TEST_SOURCE_DIR;
}

namespace {
struct TempDirs {
  std::vector<std::string> dirs;
  ~TempDirs() {
    std::error_code ec;
    for (auto& d : dirs) fs::remove_all(d, ec);
  }
};
TempDirs g_temp;
}  // namespace

std::string temp_dir(const std::string& tag) {
  std::string tmpl = (fs::temp_directory_path() / ("loce_" + tag + "_XXXXXX")).string();
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (!mkdtemp(buf.data())) std::abort();
  g_temp.dirs.emplace_back(buf.data());
  return buf.data();
}

std::string loce_binary() {
  const char* v = std::getenv("LOCE_BINARY");
  return v && *v ? v : LOCE_TEST_BINARY;
}

RunResult run_command(const std::string& command_line) {
  std::string cmd = command_line + " 2>&1";
  FILE* pipe = popen(cmd.c_str(), "r");
  if (!pipe) return {-1, "popen failed"};
  std::string out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) out.append(buf.data(), n);
  int status = pclose(pipe);
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return {code, out};
}

}  // namespace loce::test
