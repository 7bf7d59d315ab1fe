// HDF5 writes that fail late: the last chunks and the metadata reach the disk only when a
// dataset or the file is closed, so a full disk must be reported there, not lost.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <sys/resource.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <string>
#include <thread>

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

// Reasons are one line, and the file-locking hint comes only with a locking failure: a
// truncated file's reason mentions "sblock->base_addr", which is no lock.
TEST(Hdf5, ATruncatedFileIsReportedOnOneLineWithoutTheLockingHint) {
  const std::string dir = test::temp_dir("h5_trunc");
  {
    auto f = h5::File::create(dir + "/t.h5");
    h5::write_tensor(f, "/x", torch::rand({256, 256}));
    f.close();
  }
  fs::resize_file(dir + "/t.h5", fs::file_size(dir + "/t.h5") / 2);
  try {
    h5::File::open(dir + "/t.h5");
    FAIL() << "opened a truncated file";
  } catch (const InputError& e) {
    const std::string m = e.what();
    EXPECT_EQ(m.find('\n'), std::string::npos) << m;
    EXPECT_NE(m.find("not a readable HDF5 file"), std::string::npos) << m;
    EXPECT_EQ(m.find("HDF5_USE_FILE_LOCKING"), std::string::npos) << m;
  }
  // A folder (HDF5's own reason for it spans two lines).
  try {
    h5::File::open(dir);
    FAIL() << "opened a folder";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("is a folder"), std::string::npos) << e.what();
  }
}

TEST(Hdf5, AChunkOverFourGiBIsNamedAsTheReason) {
  const std::string dir = test::temp_dir("h5_chunk");
  auto f = h5::File::create(dir + "/big.h5");
  try {
    h5::Writer w(f, "/images", at::kByte, {2, 3, 40000, 40000}, 1, 4);
    FAIL() << "created a dataset with a 4.8 GB chunk";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("4 GiB limit on a chunk"), std::string::npos) << e.what();
  }
}

// The same content written twice, a second apart, gives the same bytes: no object carries its
// creation or modification time, so two runs' outputs compare with cmp.
TEST(Hdf5, TheSameContentMakesTheSameBytes) {
  const std::string dir = test::temp_dir("h5_bytes");
  auto write = [&](const std::string& path) {
    auto f = h5::File::create(path);
    h5::write_tensor(f, "/a/b/tensor", at::arange(100, at::kFloat).reshape({10, 10}), true);
    h5::write_strings(f, "/names", {"x", "y"});
    h5::set_attr(f, "/group/with/attrs", "k", int64_t(3));
    h5::Writer rows(f, "/rows", at::kByte, {4, 3}, 2);
    rows.write_rows(0, at::ones({4, 3}, at::kByte));
    rows.finish();
    f.close();
  };
  write(dir + "/first.h5");
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // timestamps have seconds
  write(dir + "/second.h5");
  EXPECT_EQ(test::run_command("cmp " + dir + "/first.h5 " + dir + "/second.h5").exit_code, 0);
}

// A numeric attribute must be one number of the right kind: an array (which H5Aread would
// copy past the one value it is given) or a float where an integer belongs is refused.
TEST(Hdf5, NumericAttributesMustBeOneValueOfTheirKind) {
  const std::string path = test::temp_dir("h5_attr") + "/a.h5";
  {
    auto f = h5::File::create(path);
    h5::set_attr(f, "/", "fine", int64_t(2));
    h5::set_attr(f, "/", "fraction", 2.7);
    const hsize_t n = 8000;
    hid_t s = H5Screate_simple(1, &n, nullptr);
    hid_t a = H5Acreate2(f.id(), "array", H5T_NATIVE_INT64, s, H5P_DEFAULT, H5P_DEFAULT);
    std::vector<int64_t> values(n, 7);
    H5Awrite(a, H5T_NATIVE_INT64, values.data());
    H5Aclose(a);
    H5Sclose(s);
    f.close();
  }
  auto f = h5::File::open(path);
  EXPECT_EQ(h5::attr_int(f, "/", "fine"), 2);
  EXPECT_DOUBLE_EQ(h5::attr_double(f, "/", "fine"), 2.0);
  EXPECT_NE(test::input_error([&] { h5::attr_int(f, "/", "fraction"); }).find("'fraction' is not an integer"),
            std::string::npos);
  EXPECT_NE(test::input_error([&] { h5::attr_int(f, "/", "array"); }).find("must be one value, found 8000"),
            std::string::npos);
  EXPECT_NE(test::input_error([&] { h5::attr_double(f, "/", "array"); }).find("must be one value"),
            std::string::npos);
}
