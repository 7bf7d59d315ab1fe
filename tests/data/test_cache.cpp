#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/hdf5.h"
#include "data/cache.h"
#include "data/cityscapes.h"
#include "data/prepare.h"
#include "data/stats.h"
#include "dist/world.h"
#include "support/test_support.h"
#include "tree_builder.h"

using namespace loce;
using namespace loce::data;
namespace fs = std::filesystem;

namespace {

std::string make_tree(int n_train, int n_val) {
  std::string root = test::temp_dir("tree");
  for (int i = 0; i < n_train; ++i)
    test::write_random_frame(root, "train", i % 2 ? "bonn" : "aachen",
                             (i % 2 ? "bonn_" : "aachen_") + std::to_string(100000 + i) + "_000019",
                             16, 32, 10 + i);
  for (int i = 0; i < n_val; ++i)
    test::write_random_frame(root, "val", "frankfurt",
                             "frankfurt_" + std::to_string(200000 + i) + "_000019", 16, 32, 100 + i);
  return root;
}

PrepareOptions options(const std::string& root, const std::string& out) {
  PrepareOptions o;
  o.cityscapes = root;
  o.out = out;
  o.height = 8;
  o.width = 16;
  return o;
}

bool only_file_is(const std::string& dir, const std::string& name) {
  int n = 0;
  bool found = false;
  for (auto& e : fs::directory_iterator(dir)) {
    ++n;
    found |= e.path().filename() == name;
  }
  return name.empty() ? n == 0 : (found && n == 1);
}

}  // namespace

TEST(Cache, PrepareThenReadBackEqualsDirectDecode) {
  std::string root = make_tree(5, 3);
  std::string out_dir = test::temp_dir("cache");
  auto comm = dist::cpu_communicator();
  prepare_cache(options(root, out_dir + "/c.h5"), *comm);
  EXPECT_TRUE(only_file_is(out_dir, "c.h5"));

  Cache cache(out_dir + "/c.h5", 8, 16);
  EXPECT_EQ(cache.size("train"), 5);
  EXPECT_EQ(cache.size("val"), 3);
  EXPECT_EQ(cache.splits(), (std::vector<std::string>{"train", "val"}));
  auto frames = scan_cityscapes(root, "train");
  auto names = cache.names("train");
  ASSERT_EQ(names.size(), frames.size());
  for (size_t i = 0; i < frames.size(); ++i) {
    EXPECT_EQ(names[i], frames[i].name);
    DecodedFrame d = load_frame(frames[i], 8, 16);
    Batch b = cache.read("train", {int64_t(i)});
    EXPECT_TRUE(b.images[0].equal(d.image)) << i;
    EXPECT_TRUE(b.labels[0].equal(d.labels)) << i;
  }
  Batch r = cache.read_range("val", 1, 2);
  EXPECT_EQ(r.images.sizes(), (std::vector<int64_t>{2, 3, 8, 16}));
  EXPECT_EQ(cache.cities("val")[0], "frankfurt");
  EXPECT_THROW(cache.size("test"), InputError);
}

TEST(Cache, WrongDimensionsOrVersionAreRefused) {
  std::string root = make_tree(2, 1);
  std::string out_dir = test::temp_dir("cache");
  auto comm = dist::cpu_communicator();
  prepare_cache(options(root, out_dir + "/c.h5"), *comm);
  try {
    Cache c(out_dir + "/c.h5", 128, 256);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("8x16"), std::string::npos) << e.what();
  }
  {
    auto f = h5::File::open(out_dir + "/c.h5", true);
    h5::set_attr(f, "/", "format_version", int64_t(99));
  }
  try {
    Cache c(out_dir + "/c.h5");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("version 99"), std::string::npos) << e.what();
  }
  EXPECT_THROW(Cache(out_dir + "/missing.h5"), InputError);
}

TEST(Cache, CorruptFrameLeavesNoFileBehind) {
  std::string root = make_tree(3, 1);
  std::string img = root + "/leftImg8bit/train/bonn/bonn_100001_000019_leftImg8bit.png";
  fs::resize_file(img, fs::file_size(img) / 3);
  std::string out_dir = test::temp_dir("cache");
  auto comm = dist::cpu_communicator();
  try {
    prepare_cache(options(root, out_dir + "/c.h5"), *comm);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("bonn_100001_000019_leftImg8bit.png"), std::string::npos);
  }
  EXPECT_TRUE(only_file_is(out_dir, ""));
}

TEST(Cache, BadSizesAndMissingFolder) {
  auto comm = dist::cpu_communicator();
  std::string out_dir = test::temp_dir("cache");
  auto o = options("/no/such/cityscapes", out_dir + "/c.h5");
  EXPECT_THROW(prepare_cache(o, *comm), InputError);
  o = options(make_tree(1, 1), out_dir + "/c.h5");
  o.height = 0;
  EXPECT_THROW(prepare_cache(o, *comm), InputError);
  o.height = -4;
  EXPECT_THROW(prepare_cache(o, *comm), InputError);
  o.height = 16;
  o.splits = {"val", "train", "val"};  // would store every val frame twice
  EXPECT_THROW(prepare_cache(o, *comm), InputError);
  EXPECT_TRUE(only_file_is(out_dir, ""));
}

TEST(Cache, NotACacheFile) {
  std::string dir = test::temp_dir("cache");
  {
    auto f = h5::File::create(dir + "/other.h5");
    h5::write_tensor(f, "/x", torch::zeros({2}));
  }
  EXPECT_THROW(Cache(dir + "/other.h5"), InputError);
  // Not HDF5 at all: the message says what HDF5 found.
  { std::ofstream(dir + "/text.h5") << "not hdf5"; }
  try {
    Cache c(dir + "/text.h5");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("not a readable HDF5 file (HDF5: "), std::string::npos)
        << e.what();
  }
}

// Readers index names and cities by image: a cache whose lists are shorter (or longer) than
// its images is refused on open, not read past its end.
TEST(Cache, NamesOrCitiesOfAnotherLengthAreACorruptCache) {
  std::string root = make_tree(2, 3);
  std::string out_dir = test::temp_dir("cache");
  auto comm = dist::cpu_communicator();
  prepare_cache(options(root, out_dir + "/c.h5"), *comm);
  for (const std::string list : {"names", "cities"}) {
    for (size_t len : {size_t(1), size_t(4)}) {
      fs::copy_file(out_dir + "/c.h5", out_dir + "/bad.h5", fs::copy_options::overwrite_existing);
      {
        auto f = h5::File::open(out_dir + "/bad.h5", true);
        h5::write_strings(f, "/val/" + list, std::vector<std::string>(len, "x"));
      }
      try {
        Cache c(out_dir + "/bad.h5");
        FAIL() << list << " of " << len;
      } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find("has 3 images but " + std::to_string(len) + " " + list),
                  std::string::npos) << e.what();
      }
    }
  }
}

// The same dataset, however its folder is spelled, gives a cache of the same bytes.
TEST(Cache, TheSameDatasetGivesTheSameBytes) {
  std::string root = make_tree(2, 3);
  std::string out_dir = test::temp_dir("cache");
  auto comm = dist::cpu_communicator();
  prepare_cache(options(root, out_dir + "/a.h5"), *comm);
  prepare_cache(options(root + "/./", out_dir + "/b.h5"), *comm);
  EXPECT_EQ(test::run_command("cmp " + out_dir + "/a.h5 " + out_dir + "/b.h5").exit_code, 0);
}

// Images or labels stored as anything but bytes (floats in [0, 1], int16) would be converted
// to bytes on reading without a word: refused when the cache is opened.
TEST(Cache, ImagesAndLabelsMustBeBytes) {
  std::string root = make_tree(2, 3);
  std::string out_dir = test::temp_dir("cache");
  auto comm = dist::cpu_communicator();
  prepare_cache(options(root, out_dir + "/c.h5"), *comm);
  for (const std::string data : {"images", "labels"}) {
    fs::copy_file(out_dir + "/c.h5", out_dir + "/bad.h5", fs::copy_options::overwrite_existing);
    {
      auto f = h5::File::open(out_dir + "/bad.h5", true);
      const at::Tensor bytes = h5::read_tensor(f, "/val/" + data);
      h5::write_tensor(f, "/val/" + data, bytes.to(at::kFloat).div(255));
    }
    EXPECT_NE(test::input_error([&] { Cache c(out_dir + "/bad.h5"); })
                  .find("split 'val' stores " + data + " as float32, not uint8"),
              std::string::npos);
  }
}

// A label byte that is neither a trainId nor 255 would be counted as some class, or dropped.
TEST(Cache, LabelsOutsideTheTrainIdsAreReportedWithImageAndPixel) {
  std::string root = make_tree(1, 3);
  std::string out_dir = test::temp_dir("cache");
  auto comm = dist::cpu_communicator();
  prepare_cache(options(root, out_dir + "/c.h5"), *comm);
  {
    auto f = h5::File::open(out_dir + "/c.h5", true);
    at::Tensor labels = h5::read_tensor(f, "/val/labels");
    labels[1][2][5] = 19;
    labels[2][0][0] = 100;
    h5::write_tensor(f, "/val/labels", labels);
  }
  Cache cache(out_dir + "/c.h5");
  EXPECT_NO_THROW(cache.read("val", {0}));
  for (auto read : std::vector<std::function<void()>>{
           [&] { cache.read("val", {0, 1}); }, [&] { cache.read_range("val", 0, 3); },
           [&] { stats_from_cache(out_dir + "/c.h5", "val", *comm); }}) {
    try {
      read();
      FAIL() << "read an out-of-range label";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("image 1 (frankfurt_200001_000019): label value 19 at "
                                           "pixel (y 2, x 5)"),
                std::string::npos) << e.what();
    }
  }
}

// --out is checked before anything is decoded (the tree here has a corrupt frame, whose error
// would come first otherwise), and what is not a regular file is never replaced.
TEST(Cache, OutputPathIsCheckedFirstAndNeverReplacedWhenNotAFile) {
  std::string root = make_tree(2, 1);
  std::string img = root + "/leftImg8bit/train/aachen/aachen_100000_000019_leftImg8bit.png";
  fs::resize_file(img, fs::file_size(img) / 3);
  std::string dir = test::temp_dir("cache");
  auto comm = dist::cpu_communicator();
  auto error_of = [&](const std::string& out) {
    return test::input_error([&] { prepare_cache(options(root, out), *comm); });
  };
  fs::create_directories(dir + "/adir");
  EXPECT_NE(error_of(dir + "/adir").find("--out " + dir + "/adir exists and is a folder"),
            std::string::npos);
  std::ofstream(dir + "/target") << "keep";
  fs::create_symlink(dir + "/target", dir + "/link.h5");
  EXPECT_NE(error_of(dir + "/link.h5").find("symbolic link"), std::string::npos);
  std::ofstream(dir + "/ro.h5") << "keep";
  fs::permissions(dir + "/ro.h5", fs::perms::owner_read);
  EXPECT_NE(error_of(dir + "/ro.h5").find("read-only"), std::string::npos);
  EXPECT_NE(error_of("").find("--out is empty"), std::string::npos);
  EXPECT_NE(error_of(dir + "/trail/").find("ends in '/'"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir + "/trail"));
  EXPECT_TRUE(fs::is_symlink(dir + "/link.h5"));
  EXPECT_EQ(fs::file_size(dir + "/target"), 4u);
  EXPECT_EQ(fs::file_size(dir + "/ro.h5"), 4u);
  // A writable regular file is the normal case (re-running prepare into the same path).
  EXPECT_NE(error_of(dir + "/c.h5").find("aachen_100000_000019_leftImg8bit.png"), std::string::npos);
  // Nothing but what the test made.
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 4);
}

TEST(Cache, PrepareReplacesAnEarlierCacheAndItsLeftovers) {
  std::string root = make_tree(1, 2);
  std::string dir = test::temp_dir("cache");
  auto comm = dist::cpu_communicator();
  std::ofstream(dir + "/c.h5") << "an older cache";
  // A killed run's temporary: this host, a process that no longer exists.
  const std::string tag = temp_owner_tag();
  const std::string stale = dir + "/.c.h5.tmp." + tag.substr(0, tag.rfind('.')) + ".999999999";
  std::ofstream(stale) << "half written";
  prepare_cache(options(root, dir + "/c.h5"), *comm);
  EXPECT_EQ(Cache(dir + "/c.h5").size("val"), 2);
  EXPECT_FALSE(fs::exists(stale));
  EXPECT_TRUE(only_file_is(dir, "c.h5"));
}

// File names may hold TAB and newline; the frame list that rank 0 sends must keep them.
TEST(Cache, NamesWithTabsAndNewlinesSurvive) {
  std::string root = test::temp_dir("tree");
  test::write_random_frame(root, "val", "tab\tcity", "tab\tcity_000001_000019", 16, 32, 1);
  test::write_random_frame(root, "val", "new\nline", "new\nline_000001_000019", 16, 32, 2);
  std::string dir = test::temp_dir("cache");
  auto comm = dist::cpu_communicator();
  auto o = options(root, dir + "/c.h5");
  o.splits = {"val"};
  prepare_cache(o, *comm);
  Cache cache(dir + "/c.h5");
  EXPECT_EQ(cache.names("val"),
            (std::vector<std::string>{"new\nline_000001_000019", "tab\tcity_000001_000019"}));
  EXPECT_EQ(cache.cities("val"), (std::vector<std::string>{"new\nline", "tab\tcity"}));
}
