// HDF5 writes that fail late: the last chunks and the metadata reach the disk only when a
// dataset or the file is closed, so a full disk must be reported there, not lost.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <sys/resource.h>

#include <csignal>
#include <filesystem>
#include <string>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/hdf5.h"
#include "support/test_support.h"

using namespace loce;
namespace fs = std::filesystem;

namespace {

// Caps the size of any file this process writes (RLIMIT_FSIZE): writes past it fail with
// EFBIG, as they would with ENOSPC on a full disk.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    getrlimit(RLIMIT_FSIZE, &saved_);
    rlimit capped = saved_;
    capped.rlim_cur = bytes;
    std::signal(SIGXFSZ, SIG_IGN);  // the write then fails instead of killing the process
    setrlimit(RLIMIT_FSIZE, &capped);
  }
  ~FileSizeLimit() {
    setrlimit(RLIMIT_FSIZE, &saved_);
    std::signal(SIGXFSZ, SIG_DFL);
  }

 private:
  rlimit saved_{};
};

}  // namespace

TEST(Hdf5, AWriteThatFailsAtCloseIsReportedAndNotCommitted) {
  const std::string dir = test::temp_dir("h5_full");
  std::string stage = "create";
  try {
    AtomicFile out(dir + "/rows.h5");
    FileSizeLimit limit(32 << 10);
    auto f = h5::File::create(out.temp_path());
    // 8 chunks of 32 KiB: all fit HDF5's 1 MiB chunk cache, so none is written before finish().
    h5::Writer w(f, "/x", at::kByte, {8, 32, 1024}, 1, /*gzip_level=*/0);
    stage = "write_rows";
    for (int64_t i = 0; i < 8; ++i)
      w.write_rows(i, torch::randint(0, 255, {1, 32, 1024}, torch::kByte));
    stage = "finish";
    w.finish();
    stage = "close";
    f.close();
    stage = "commit";
    out.commit();
    FAIL() << "nothing reported the failed writes";
  } catch (const Error& e) {
    EXPECT_EQ(stage, "finish") << e.what();
    EXPECT_NE(std::string(e.what()).find("disk full"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(fs::is_empty(dir)) << "a file was left behind";
}

TEST(Hdf5, AFileThatCannotBeCompletedIsNotCommitted) {
  const std::string dir = test::temp_dir("h5_full");
  try {
    AtomicFile out(dir + "/tensors.h5");
    FileSizeLimit limit(16 << 10);
    auto f = h5::File::create(out.temp_path());
    h5::write_tensor(f, "/x", torch::rand({64, 1024}), /*compress=*/true);
    f.close();
    out.commit();
    FAIL() << "nothing reported the failed writes";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("disk full"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(fs::is_empty(dir)) << "a file was left behind";
}
