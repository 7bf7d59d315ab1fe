// Resume is exact: a real `loce pretrain` process killed with SIGKILL after a checkpoint and
// resumed ends with bit-identical weights (SHA-256 of every parameter and buffer) and loss curve
// to an uninterrupted run; SIGTERM checkpoints and exits with the requeue code; a resume with a
// changed config is refused naming the key.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "core/error.h"
#include "core/hdf5.h"
#include "support/test_support.h"
#include "train/run_dir.h"
#include "train/stop_signal.h"
#include "train/synthetic_cache.h"

using namespace loce;

namespace {

constexpr int kSteps = 16;

// $LOCE_BINARY, else the `loce` built beside this test (build/tests/test_train -> build/loce).
std::string loce_path() {
  if (std::getenv("LOCE_BINARY")) return test::loce_binary();
  char self[4096];
  ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n <= 0) return test::loce_binary();
  self[n] = '\0';
  std::string dir(self);
  dir = dir.substr(0, dir.rfind('/'));
  return dir.substr(0, dir.rfind('/')) + "/loce";
}

std::string pretrain_command(const std::string& cache, const std::string& out,
                             const std::string& extra = "") {
  return loce_path() + " --seed 5 --threads 1 --log-level warn pretrain --method dae --data " +
         cache + " --out " + out + " --steps " + std::to_string(kSteps) +
         " --checkpoint-every 2 --keep-checkpoints 3 --base-width 8 --depth 3 --batch-size 8"
         " --lr 0.003 --warmup-steps 2 " + extra;
}

// Starts `command` and returns its pid (the shell execs it, so the pid is loce's).
pid_t spawn(const std::string& command) {
  pid_t pid = fork();
  if (pid == 0) {
    execl("/bin/sh", "sh", "-c", ("exec " + command + " > /dev/null 2>&1").c_str(), (char*)nullptr);
    _exit(127);
  }
  return pid;
}

// Waits until the run has a checkpoint, then sends `sig`; returns the wait status.
int signal_after_first_checkpoint(pid_t pid, const std::string& run, int sig) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (train::list_checkpoints(run).empty() && std::chrono::steady_clock::now() < deadline) {
    int status;
    if (waitpid(pid, &status, WNOHANG) == pid) return status;  // ended on its own
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  kill(pid, sig);
  int status = 0;
  waitpid(pid, &status, 0);
  return status;
}

std::string digest(const std::string& run) {
  auto r = test::run_command(loce_path() + " inspect --json " + run);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  auto at = r.output.find("\"sha256\": \"");
  return at == std::string::npos ? "" : r.output.substr(at + 11, 64);
}

at::Tensor curve(const std::string& run) {
  auto f = h5::File::open(train::curves_path(run));
  return h5::read_tensor(f, "/train/loss");
}

class Resume : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = test::temp_dir("resume");
    cache_ = dir_ + "/cache.h5";
    test::write_synthetic_cache(cache_, 40, 0);
    auto r = test::run_command(pretrain_command(cache_, dir_ + "/straight"));
    // A failure here must fail every test (gtest would only mark them skipped).
    if (r.exit_code != 0) setup_error_ = "the uninterrupted run failed: " + r.output;
    else straight_digest_ = digest(dir_ + "/straight");
  }
  void SetUp() override { ASSERT_TRUE(setup_error_.empty()) << setup_error_; }
  static std::string dir_, cache_, straight_digest_, setup_error_;
};
std::string Resume::dir_, Resume::cache_, Resume::straight_digest_, Resume::setup_error_;

}  // namespace

TEST_F(Resume, KilledWithSigkillAndResumedIsBitIdentical) {
  const std::string run = dir_ + "/killed";
  int status = signal_after_first_checkpoint(spawn(pretrain_command(cache_, run)), run, SIGKILL);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
      << "the run finished before it could be killed; status " << status;
  auto left = train::list_checkpoints(run);
  ASSERT_FALSE(left.empty());
  ASSERT_NE(left.back(), train::checkpoint_path(run, kSteps));
  auto r = test::run_command(pretrain_command(cache_, run, "--resume"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(digest(run), straight_digest_);
  EXPECT_TRUE(torch::equal(curve(run), curve(dir_ + "/straight")));
}

TEST_F(Resume, SigtermCheckpointsExitsForRequeueAndResumesExactly) {
  const std::string run = dir_ + "/term";
  int status = signal_after_first_checkpoint(spawn(pretrain_command(cache_, run)), run, SIGTERM);
  ASSERT_TRUE(WIFEXITED(status)) << "status " << status;
  EXPECT_EQ(WEXITSTATUS(status), train::kExitRequeue);
  auto r = test::run_command(pretrain_command(cache_, run, "--resume"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(digest(run), straight_digest_);
}

// Whether process `pid` catches signal `sig` (its SigCgt mask in /proc).
bool catches(pid_t pid, int sig) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("SigCgt:", 0) == 0)
      return (std::stoull(line.substr(7), nullptr, 16) >> (sig - 1)) & 1ULL;
  return false;
}

TEST_F(Resume, AStopSignalDuringStartUpExitsForRequeueNotKilled) {
  // SLURM may send SIGUSR2 while a requeued job is still starting (MPI, data, model): the
  // commands that train catch it from their first moments (before, the default action killed
  // the rank: exit 140, no requeue). Sent the moment the process catches it.
  const std::string run = dir_ + "/early";
  const pid_t pid = spawn(pretrain_command(cache_, run));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!catches(pid, SIGUSR2) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  ASSERT_TRUE(catches(pid, SIGUSR2)) << "loce pretrain never caught SIGUSR2";
  kill(pid, SIGUSR2);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status)) << "status " << status;
  EXPECT_EQ(WEXITSTATUS(status), train::kExitRequeue);
  auto r = test::run_command(pretrain_command(cache_, run, "--resume"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(digest(run), straight_digest_);
}

// A damaged newest checkpoint (here: truncated) is set aside as .bad and the run resumes from
// the one before, ending exactly where the uninterrupted run did; a requeue does not fail forever.
TEST_F(Resume, ADamagedNewestCheckpointIsSetAsideAndTheOneBeforeResumed) {
  namespace fs = std::filesystem;
  const std::string run = dir_ + "/damaged";
  fs::copy(dir_ + "/straight", run, fs::copy_options::recursive);
  const std::string newest = train::checkpoint_path(run, kSteps);
  ASSERT_TRUE(fs::exists(newest));
  fs::resize_file(newest, fs::file_size(newest) / 2);
  auto r = test::run_command(pretrain_command(cache_, run, "--resume"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("moved to " + newest + ".bad"), std::string::npos) << r.output;
  EXPECT_TRUE(fs::exists(newest + ".bad"));
  EXPECT_EQ(digest(run), straight_digest_);
}

TEST_F(Resume, AChangedConfigIsRefusedNamingTheKey) {
  auto r = test::run_command(pretrain_command(cache_, dir_ + "/straight", "--resume --weight-decay 0.5"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("'weight_decay'"), std::string::npos) << r.output;
  auto again = test::run_command(pretrain_command(cache_, dir_ + "/straight"));
  EXPECT_NE(again.exit_code, 0);
  EXPECT_NE(again.output.find("--resume"), std::string::npos) << again.output;
}

TEST_F(Resume, InspectPrintsTheRunState) {
  auto r = test::run_command(loce_path() + " inspect " + dir_ + "/straight");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* s : {"method          dae", "step            16 / 16", "format version  2",
                        "checksum        verified", "state sha256", "lr = 0.003",
                        "data_fingerprint = ", "threads = 1"})
    EXPECT_NE(r.output.find(s), std::string::npos) << s << "\n" << r.output;
}

// A flipped byte inside the weights still parses; the checkpoint's SHA-256 catches it: inspect
// fails naming the checksum, and a resume sets the file aside as .bad and goes on from the one
// before, ending exactly where the uninterrupted run did.
TEST_F(Resume, ABitFlipInTheNewestCheckpointIsCaughtByItsChecksum) {
  namespace fs = std::filesystem;
  const std::string run = dir_ + "/flipped";
  fs::copy(dir_ + "/straight", run, fs::copy_options::recursive);
  const std::string newest = train::checkpoint_path(run, kSteps);
  std::string bytes;
  {
    std::ifstream in(newest, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    bytes = ss.str();
  }
  const size_t at = bytes.find("data/0");  // the first tensor's bytes in torch::save's archive
  ASSERT_NE(at, std::string::npos);
  bytes[at + 200] ^= 0x10;
  { std::ofstream(newest, std::ios::binary | std::ios::trunc) << bytes; }
  auto inspect = test::run_command(loce_path() + " inspect " + newest);
  EXPECT_NE(inspect.exit_code, 0) << inspect.output;
  EXPECT_NE(inspect.output.find("checksum"), std::string::npos) << inspect.output;
  auto r = test::run_command(pretrain_command(cache_, run, "--resume"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("moved to " + newest + ".bad"), std::string::npos) << r.output;
  EXPECT_EQ(digest(run), straight_digest_);
}

// CPU reductions round differently under another thread count: a resume with another
// --threads goes on, with a warning that the result will not be bit-identical.
TEST_F(Resume, AnotherThreadCountIsWarnedAbout) {
  namespace fs = std::filesystem;
  const std::string run = dir_ + "/threads";
  fs::copy(dir_ + "/straight", run, fs::copy_options::recursive);
  fs::remove(train::checkpoint_path(run, kSteps));
  std::string command = pretrain_command(cache_, run, "--resume");
  command.replace(command.find("--threads 1"), 11, "--threads 2");
  auto r = test::run_command(command);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("not be bit-identical"), std::string::npos) << r.output;
  auto same = test::run_command(pretrain_command(cache_, dir_ + "/straight", "--resume"));
  EXPECT_EQ(same.output.find("bit-identical"), std::string::npos) << same.output;
}
