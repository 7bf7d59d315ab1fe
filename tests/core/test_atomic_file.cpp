// AtomicFile never replaces what is not a regular file of ours to replace, and cleans up the
// temporaries that killed runs leave behind (only this host's, only of dead processes).
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <fstream>
#include <sstream>
#include <string>

#include "core/atomic_file.h"
#include "core/error.h"
#include "support/test_support.h"

using namespace loce;
namespace fs = std::filesystem;

namespace {

std::string read_all(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_via(AtomicFile& f, const std::string& text) {
  std::ofstream(f.temp_path()) << text;
  f.commit();
}


// The PID of a process that has exited (and been reaped).
pid_t dead_pid() {
  pid_t child = fork();
  if (child == 0) _exit(0);
  waitpid(child, nullptr, 0);
  return child;
}

}  // namespace

TEST(AtomicFile, ReplacesAnExistingRegularFile) {
  const std::string dir = test::temp_dir("atomic");
  std::ofstream(dir + "/a.txt") << "old";
  {
    AtomicFile f(dir + "/a.txt");
    write_via(f, "new");
  }
  EXPECT_EQ(read_all(dir + "/a.txt"), "new");
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 1);
}

TEST(AtomicFile, NeverReplacesAFolderLinkPipeOrReadOnlyFile) {
  const std::string dir = test::temp_dir("atomic");
  fs::create_directories(dir + "/folder/inside");
  EXPECT_NE(test::input_error([&] { AtomicFile f(dir + "/folder"); }).find("is a folder"),
            std::string::npos);
  // A link is refused as such (renaming over it would replace the link, not its target).
  std::ofstream(dir + "/target") << "target";
  fs::create_symlink(dir + "/target", dir + "/link");
  EXPECT_NE(test::input_error([&] { AtomicFile f(dir + "/link"); }).find("symbolic link"),
            std::string::npos);
  ASSERT_EQ(mkfifo((dir + "/pipe").c_str(), 0600), 0);
  EXPECT_NE(test::input_error([&] { AtomicFile f(dir + "/pipe"); }).find("named pipe"), std::string::npos);
  std::ofstream(dir + "/ro") << "keep";
  fs::permissions(dir + "/ro", fs::perms::owner_read | fs::perms::group_read);
  EXPECT_NE(test::input_error([&] { AtomicFile f(dir + "/ro"); }).find("read-only"), std::string::npos);
  EXPECT_TRUE(fs::is_directory(dir + "/folder/inside"));
  EXPECT_TRUE(fs::is_symlink(dir + "/link"));
  EXPECT_EQ(read_all(dir + "/target"), "target");
  EXPECT_EQ(fs::symlink_status(dir + "/pipe").type(), fs::file_type::fifo);
  EXPECT_EQ(read_all(dir + "/ro"), "keep");
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 5)
      << "a temporary was left behind";
}

TEST(AtomicFile, CommitRefusesAFolderThatAppearedMeanwhile) {
  const std::string dir = test::temp_dir("atomic");
  try {
    AtomicFile f(dir + "/late");
    std::ofstream(f.temp_path()) << "x";
    fs::create_directories(dir + "/late/inside");
    f.commit();
    FAIL() << "renamed over a folder";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("is a folder"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(fs::is_directory(dir + "/late/inside"));
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 1);
}

TEST(AtomicFile, TemporaryNameCarriesHostAndPid) {
  const std::string dir = test::temp_dir("atomic");
  AtomicFile f(dir + "/c.h5");
  EXPECT_EQ(fs::path(f.temp_path()).filename().string(), ".c.h5.tmp." + temp_owner_tag());
  const std::string tag = temp_owner_tag();
  EXPECT_EQ(tag.substr(tag.rfind('.') + 1), std::to_string(getpid()));
}

TEST(AtomicFile, RemovesOnlyThisHostsTemporariesOfDeadProcesses) {
  const std::string dir = test::temp_dir("atomic");
  const std::string tag = temp_owner_tag();
  const std::string host = tag.substr(0, tag.rfind('.'));
  const pid_t gone = dead_pid();
  const std::string stale = dir + "/.c.h5.tmp." + host + "." + std::to_string(gone);
  const std::string live = dir + "/.c.h5.tmp." + host + "." + std::to_string(getppid());
  const std::string other_host = dir + "/.c.h5.tmp.another-host." + std::to_string(gone);
  const std::string other_file = dir + "/.d.h5.tmp." + host + "." + std::to_string(gone);
  const std::string old_style = dir + "/.c.h5.tmp." + std::to_string(gone);
  for (const auto& p : {stale, live, other_host, other_file, old_style}) std::ofstream(p) << "x";
  {
    AtomicFile f(dir + "/c.h5");
    write_via(f, "new");
  }
  EXPECT_FALSE(fs::exists(stale));
  for (const auto& p : {live, other_host, other_file, old_style}) EXPECT_TRUE(fs::exists(p)) << p;
  EXPECT_EQ(read_all(dir + "/c.h5"), "new");
  // Folders too (synth's temporary datasets).
  fs::create_directories(dir + "/.ds.synth." + host + "." + std::to_string(gone) + "/gtFine");
  EXPECT_EQ(remove_stale_temps(dir + "/ds", ".synth."), 1);
  EXPECT_FALSE(fs::exists(dir + "/.ds.synth." + host + "." + std::to_string(gone)));
}

TEST(AtomicFile, OutputPathCheckNamesTheFlag) {
  const std::string dir = test::temp_dir("atomic");
  EXPECT_NE(test::input_error([] { check_output_file("", "--out"); }).find("--out is empty"),
            std::string::npos);
  EXPECT_NE(test::input_error([&] { check_output_file(dir + "/trail/", "--out"); }).find("ends in '/'"),
            std::string::npos);
  EXPECT_FALSE(fs::exists(dir + "/trail"));
  fs::create_directories(dir + "/adir");
  const std::string e = test::input_error([&] { check_output_file(dir + "/adir", "--out"); });
  EXPECT_NE(e.find("--out " + dir + "/adir exists and is a folder"), std::string::npos) << e;
  EXPECT_NO_THROW(check_output_file(dir + "/sub/new.h5", "--out"));
  EXPECT_TRUE(fs::is_directory(dir + "/sub"));
  // /proc takes no files: refused (for root, whom its permissions let through, by its storage).
  if (fs::is_directory("/proc")) {
    const std::string p = test::input_error([] { check_output_file("/proc/loce_out.h5", "--out"); });
    if (getuid() == 0) {
      EXPECT_NE(p.find("without storage"), std::string::npos) << p;
    }
  }
}
