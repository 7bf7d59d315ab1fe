// Datasets over the cache and directly over a PNG tree: for the same synthetic tree and size both
// return identical tensors (shrinking and enlarging), errors name the dataset and what is wrong,
// and DistributedSampler shards read the same images from either.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <numeric>
#include <set>

#include "core/error.h"
#include "data/cache_dataset.h"
#include "data/dataset.h"
#include "data/png_tree_dataset.h"
#include "data/prepare.h"
#include "data/sampler.h"
#include "data/synth.h"
#include "dist/world.h"
#include "support/test_support.h"

namespace fs = std::filesystem;
using namespace loce;
using namespace loce::data;

namespace {

constexpr int kTreeHeight = 32, kTreeWidth = 64;

// A synthetic Cityscapes tree (6 train, 3 val images at 32x64), generated once per process.
const std::string& synth_tree() {
  static const std::string root = [] {
    SynthOptions o;
    o.out = test::temp_dir("dataset") + "/city";
    o.train = 6;
    o.val = 3;
    o.height = kTreeHeight;
    o.width = kTreeWidth;
    o.seed = 11;
    o.threads = 1;
    generate_synthetic_cityscapes(o);
    return o.out;
  }();
  return root;
}

// `loce prepare` of the synthetic tree at height x width; returns the cache's path.
std::string prepare(int height, int width) {
  PrepareOptions o;
  o.cityscapes = synth_tree();
  o.out = test::temp_dir("dataset-cache") + "/c.h5";
  o.height = height;
  o.width = width;
  auto comm = dist::cpu_communicator();
  prepare_cache(o, *comm);
  return o.out;
}


void expect_same_rows(const Dataset& a, const Dataset& b, const std::vector<int64_t>& indices) {
  Batch x = a.read(indices), y = b.read(indices);
  const int64_t n = int64_t(indices.size());
  EXPECT_EQ(x.images.sizes(), (std::vector<int64_t>{n, 3, a.height(), a.width()}));
  EXPECT_EQ(x.labels.sizes(), (std::vector<int64_t>{n, a.height(), a.width()}));
  EXPECT_EQ(x.images.scalar_type(), torch::kByte);
  EXPECT_EQ(x.labels.scalar_type(), torch::kByte);
  EXPECT_TRUE(x.images.equal(y.images)) << a.description() << " vs " << b.description();
  EXPECT_TRUE(x.labels.equal(y.labels)) << a.description() << " vs " << b.description();
  EXPECT_EQ(x.indices, indices);
  EXPECT_EQ(y.indices, indices);
}

}  // namespace

// Shrinking (area) and enlarging (bilinear) both go through the function prepare uses.
TEST(Dataset, PngTreeReturnsExactlyWhatThePreparedCacheHolds) {
  for (auto [h, w] : {std::pair{16, 32}, std::pair{48, 96}}) {
    SCOPED_TRACE(testing::Message() << h << "x" << w);
    auto cache = std::make_shared<const Cache>(prepare(h, w));
    for (const std::string split : {"train", "val"}) {
      PngTreeDataset tree(synth_tree(), split, h, w);
      CacheDataset cached(cache, split);
      ASSERT_EQ(tree.size(), cached.size());
      EXPECT_EQ(tree.size(), split == "train" ? 6 : 3);
      EXPECT_EQ(tree.height(), h);
      EXPECT_EQ(cached.width(), w);
      EXPECT_EQ(tree.names(), cached.names());
      std::vector<int64_t> all(size_t(tree.size()));
      std::iota(all.begin(), all.end(), 0);
      expect_same_rows(tree, cached, all);
    }
    PngTreeDataset tree(synth_tree(), "train", h, w);
    CacheDataset cached(cache, "train");
    expect_same_rows(tree, cached, {5, 0, 3, 0});  // any order, repeats allowed
    expect_same_rows(tree, cached, {});
  }
}

TEST(Dataset, OpenDatasetPicksTheTreeForAFolderAndTheCacheForAFile) {
  std::string cache_path = prepare(16, 32);
  auto tree = open_dataset(synth_tree(), "val", 16, 32);
  auto cached = open_dataset(cache_path, "val", 0, 0);  // 0: whatever size the cache holds
  EXPECT_NE(dynamic_cast<PngTreeDataset*>(tree.get()), nullptr);
  EXPECT_NE(dynamic_cast<CacheDataset*>(cached.get()), nullptr);
  EXPECT_EQ(cached->height(), 16);
  EXPECT_EQ(cached->width(), 32);
  expect_same_rows(*tree, *cached, {2, 1});

  std::string msg = test::input_error([&] { open_dataset("/no/such/dataset", "val", 16, 32); });
  EXPECT_NE(msg.find("/no/such/dataset"), std::string::npos) << msg;
  msg = test::input_error([&] { open_dataset(cache_path, "val", 64, 128); });  // the cache's size differs
  EXPECT_NE(msg.find("16x32"), std::string::npos) << msg;
}

TEST(Dataset, BadInputsNameTheDatasetAndWhatIsWrong) {
  std::string cache_path = prepare(16, 32);
  PngTreeDataset tree(synth_tree(), "val", 16, 32);
  CacheDataset cached(std::make_shared<const Cache>(cache_path), "val");
  const std::vector<const Dataset*> stores{&tree, &cached};
  for (const Dataset* d : stores) {
    for (int64_t bad : {int64_t(-1), int64_t(3), int64_t(1000)}) {
      std::string msg = test::input_error([&] { d->read({0, bad}); });
      EXPECT_NE(msg.find(d->description()), std::string::npos) << msg;
      EXPECT_NE(msg.find("image " + std::to_string(bad)), std::string::npos) << msg;
      EXPECT_NE(msg.find("0..2"), std::string::npos) << msg;
    }
  }
  EXPECT_NE(tree.description().find(synth_tree()), std::string::npos);
  EXPECT_NE(cached.description().find(cache_path), std::string::npos);

  std::string msg = test::input_error([] { PngTreeDataset("/no/such/cityscapes", "train", 16, 32); });
  EXPECT_NE(msg.find("/no/such/cityscapes"), std::string::npos) << msg;
  msg = test::input_error([] { PngTreeDataset(synth_tree(), "test", 16, 32); });  // no such split folder
  EXPECT_NE(msg.find((fs::path(synth_tree()) / "leftImg8bit" / "test").string()), std::string::npos)
      << msg;
  msg = test::input_error([] { PngTreeDataset(synth_tree(), "train", 0, 32); });
  EXPECT_NE(msg.find("0x32"), std::string::npos) << msg;
  msg = test::input_error([&] { CacheDataset(std::make_shared<const Cache>(cache_path), "test"); });
  EXPECT_NE(msg.find("'test'"), std::string::npos) << msg;
  EXPECT_NE(msg.find(cache_path), std::string::npos) << msg;

  // A frame broken after the scan: the error names its file. Broken in a copy, since the
  // synthetic tree is shared by the other tests.
  std::string copy = test::temp_dir("dataset-broken") + "/city";
  fs::copy(synth_tree(), copy, fs::copy_options::recursive);
  PngTreeDataset copied(copy, "val", 16, 32);
  std::string broken = copied.frames()[1].image_path;
  fs::resize_file(broken, fs::file_size(broken) / 3);
  copied.read({0});  // the intact frames still read
  msg = test::input_error([&] { copied.read({0, 1}); });
  EXPECT_NE(msg.find(broken), std::string::npos) << msg;
}

TEST(Dataset, DistributedSamplerShardsReadTheSameImagesFromEitherStore) {
  auto cache = std::make_shared<const Cache>(prepare(16, 32));
  PngTreeDataset tree(synth_tree(), "train", 16, 32);
  CacheDataset cached(cache, "train");
  const int world = 2;
  const int64_t batch_size = 2;
  std::set<int64_t> seen;
  for (int rank = 0; rank < world; ++rank) {
    DistributedSampler sampler(tree.size(), rank, world, batch_size, /*seed=*/3);
    sampler.set_epoch(1);
    ASSERT_EQ(sampler.batches_per_epoch(), 1);  // 6 / (2 x 2); the tail of 2 is dropped
    for (int64_t b = 0; b < sampler.batches_per_epoch(); ++b) {
      std::vector<int64_t> idx = sampler.batch(b);
      expect_same_rows(tree, cached, idx);
      for (int64_t i : idx) EXPECT_TRUE(seen.insert(i).second) << "index " << i << " twice";
    }
  }
  EXPECT_EQ(seen.size(), size_t(world * batch_size));
}
