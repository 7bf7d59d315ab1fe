// The lock of a run folder: one holder at a time, with a message naming it; a lock left by a
// process of this host that has ended is taken over; another host's is not, unless it is an
// earlier run of this SLURM job (a requeue).
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/error.h"
#include "core/lock_file.h"
#include "support/test_support.h"

using namespace loce;

TEST(LockFile, OneHolderAtATimeAndStaleLocksAreTakenOver) {
  namespace fs = std::filesystem;
  const std::string path = test::temp_dir("lock") + "/sub/train.lock";
  auto contents = [&] {
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);
    return line;
  };
  {
    LockFile lock(path, "folder X");
    EXPECT_EQ(contents(), LockFile::holder_line());
    try {
      LockFile second(path, "folder X");
      FAIL() << "a held lock was taken twice";
    } catch (const InputError& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find("folder X is in use by pid " + std::to_string(getpid())), std::string::npos) << msg;
      EXPECT_NE(msg.find(path), std::string::npos) << msg;
    }
    EXPECT_TRUE(fs::exists(path));  // the refused one did not remove it
  }
  EXPECT_FALSE(fs::exists(path));

  char host[256] = {0};
  gethostname(host, sizeof host - 1);
  // A process of this host that has ended: its lock is stale.
  const pid_t dead = fork();
  if (dead == 0) _exit(0);
  waitpid(dead, nullptr, 0);
  { std::ofstream(path) << host << " " << dead << " -\n"; }
  {
    LockFile lock(path, "folder X");
    EXPECT_EQ(contents(), LockFile::holder_line());
  }
  EXPECT_FALSE(fs::exists(path));

  // Another host: nothing tells whether it still runs, so the lock holds.
  { std::ofstream(path) << "some-other-host-x 12345 777\n"; }
  try {
    LockFile lock(path, "folder X");
    FAIL() << "another host's lock was taken";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("pid 12345 on some-other-host-x (SLURM job 777)"), std::string::npos)
        << e.what();
  }
  // ... unless it is an earlier run of this SLURM job (a requeue keeps the job id).
  setenv("SLURM_JOB_ID", "777", 1);
  { LockFile lock(path, "folder X"); }
  unsetenv("SLURM_JOB_ID");
  EXPECT_FALSE(fs::exists(path));
}
