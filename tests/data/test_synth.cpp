// The synthetic Cityscapes stand-in: determinism, layout and encoding as the Cityscapes reader
// expects them, valid label ids, plausible class statistics and scene structure, and option
// checking.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "core/atomic_file.h"
#include "core/error.h"
#include "data/cityscapes.h"
#include "data/labels.h"
#include "data/png.h"
#include "data/synth.h"
#include "support/test_support.h"

namespace fs = std::filesystem;
using namespace loce;
using namespace loce::data;

namespace {

int label_id(const std::string& name) {
  for (const auto& l : cityscapes_labels())
    if (l.name == name) return l.id;
  ADD_FAILURE() << "no label " << name;
  return -1;
}

// Fraction of pixels per labelId over `n` val scenes of size h x w.
struct Stats {
  std::map<int, double> fraction;           // labelId -> share of all pixels
  std::map<int, int> images_with;           // labelId -> images containing it (>= 0.1 %)
  int images = 0;
};

Stats scene_stats(int n, int h, int w, uint64_t seed) {
  Stats s;
  std::map<int, int64_t> count;
  for (int i = 0; i < n; ++i) {
    SynthScene sc = render_synthetic_scene(synth_scene_seed(seed, "val", i), h, w);
    std::map<int, int64_t> here;
    for (uint8_t v : sc.label_ids) ++here[v];
    for (auto [id, c] : here) {
      count[id] += c;
      if (c * 1000 >= int64_t(h) * w) ++s.images_with[id];
    }
  }
  for (auto [id, c] : count) s.fraction[id] = double(c) / (double(n) * h * w);
  s.images = n;
  return s;
}

const Stats& stats_64x128() {
  static const Stats s = scene_stats(20, 64, 128, 7);
  return s;
}

}  // namespace

TEST(Synth, SameSeedSamePixelsOtherSeedOtherScene) {
  SynthScene a = render_synthetic_scene(42, 48, 96);
  SynthScene b = render_synthetic_scene(42, 48, 96);
  SynthScene c = render_synthetic_scene(43, 48, 96);
  ASSERT_EQ(a.rgb.size(), size_t(48 * 96 * 3));
  ASSERT_EQ(a.label_ids.size(), size_t(48 * 96));
  EXPECT_EQ(a.rgb, b.rgb);
  EXPECT_EQ(a.label_ids, b.label_ids);
  EXPECT_EQ(a.instance_ids, b.instance_ids);
  EXPECT_NE(a.rgb, c.rgb);
  EXPECT_NE(a.label_ids, c.label_ids);
  // Each image of a split has its own scene.
  EXPECT_NE(synth_scene_seed(1, "train", 0), synth_scene_seed(1, "train", 1));
  EXPECT_NE(synth_scene_seed(1, "train", 0), synth_scene_seed(1, "val", 0));
  EXPECT_NE(synth_scene_seed(1, "train", 0), synth_scene_seed(2, "train", 0));
}

TEST(Synth, LabelIdsAreValidAndInstancesEncodeTheirClass) {
  const auto& lut = label_to_train_lut();
  const std::set<int> instance_classes = {label_id("person"), label_id("car")};
  for (int i = 0; i < 5; ++i) {
    SynthScene sc = render_synthetic_scene(synth_scene_seed(3, "train", i), 64, 128);
    for (size_t p = 0; p < sc.label_ids.size(); ++p) {
      int id = sc.label_ids[p], inst = sc.instance_ids[p];
      ASSERT_NE(lut[id], kInvalidId) << "labelId " << id << " not in the table";
      if (instance_classes.count(id)) {
        ASSERT_EQ(inst / 1000, id) << "instance id " << inst << " for labelId " << id;
      } else {
        ASSERT_EQ(inst, id);
      }
    }
  }
}

TEST(Synth, ClassFrequenciesResembleCityscapes) {
  const Stats& s = stats_64x128();
  auto share = [&](const char* name) { return s.fraction.count(label_id(name)) ? s.fraction.at(label_id(name)) : 0.0; };
  // Cityscapes (fine, train): road 33 %, building 20 %, vegetation 14 %, car 6 %, sidewalk 5 %,
  // sky 3.6 %, person 1.1 %.
  EXPECT_GT(share("road"), 0.25);
  EXPECT_LT(share("road"), 0.45);
  EXPECT_GT(share("building"), 0.12);
  EXPECT_LT(share("building"), 0.32);
  EXPECT_GT(share("vegetation"), 0.07);
  EXPECT_LT(share("vegetation"), 0.25);
  EXPECT_GT(share("car"), 0.03);
  EXPECT_LT(share("car"), 0.12);
  EXPECT_GT(share("sidewalk"), 0.02);
  EXPECT_LT(share("sidewalk"), 0.12);
  EXPECT_GT(share("sky"), 0.015);
  EXPECT_LT(share("sky"), 0.12);
  EXPECT_GT(share("person"), 0.003);
  EXPECT_LT(share("person"), 0.03);
  EXPECT_GT(share("pole") + share("traffic sign") + share("traffic light"), 0.002);
  EXPECT_GT(share("terrain"), 0.001);
}

TEST(Synth, PaperConceptsPresentInMostImages) {
  const Stats& s = stats_64x128();
  for (const std::string& name : default_concepts()) {
    int id = label_id(name);
    int n = s.images_with.count(id) ? s.images_with.at(id) : 0;
    EXPECT_GE(n, s.images * 7 / 10) << name << " in only " << n << " of " << s.images;
  }
}

TEST(Synth, SkyAboveRoadAndNearThingsLower) {
  const int sky = label_id("sky"), road = label_id("road");
  for (int i = 0; i < 10; ++i) {
    SynthScene sc = render_synthetic_scene(synth_scene_seed(11, "val", i), 64, 128);
    double sky_rows = 0, road_rows = 0;
    int64_t n_sky = 0, n_road = 0;
    for (int y = 0; y < sc.height; ++y) {
      for (int x = 0; x < sc.width; ++x) {
        int id = sc.label_ids[size_t(y) * sc.width + x];
        if (id == sky) sky_rows += y, ++n_sky;
        if (id == road) road_rows += y, ++n_road;
      }
    }
    ASSERT_GT(n_road, 0) << "image " << i;
    if (n_sky > 0) {
      EXPECT_LT(sky_rows / n_sky + 10, road_rows / n_road) << "image " << i;
    }
    // The bottom row is never sky, the top row never road.
    for (int x = 0; x < sc.width; ++x) {
      EXPECT_NE(sc.label_ids[x], road);
      EXPECT_NE(sc.label_ids[size_t(sc.height - 1) * sc.width + x], sky);
    }
  }
}

TEST(Synth, SceneIsDrawnInContinuousCoordinates) {
  // The same scene at two resolutions: labels agree after nearest downsampling.
  for (int i = 0; i < 3; ++i) {
    uint64_t seed = synth_scene_seed(5, "train", i);
    SynthScene small = render_synthetic_scene(seed, 32, 64);
    SynthScene large = render_synthetic_scene(seed, 128, 256);
    int agree = 0;
    for (int y = 0; y < 32; ++y)
      for (int x = 0; x < 64; ++x)
        agree += small.label_ids[y * 64 + x] == large.label_ids[(y * 4 + 2) * 256 + x * 4 + 2];
    EXPECT_GT(agree, 32 * 64 * 85 / 100) << "scene " << i;
  }
}

TEST(Synth, ImagesAreNotFlat) {
  SynthScene sc = render_synthetic_scene(9, 64, 128);
  std::set<int> values;
  double mean = 0, var = 0;
  for (uint8_t v : sc.rgb) mean += v;
  mean /= sc.rgb.size();
  for (uint8_t v : sc.rgb) var += (v - mean) * (v - mean), values.insert(v);
  EXPECT_GT(std::sqrt(var / sc.rgb.size()), 20.0);
  EXPECT_GT(values.size(), 150u);
}

TEST(Synth, WritesTheCityscapesLayout) {
  std::string root = test::temp_dir("synth") + "/city";
  SynthOptions o;
  o.out = root;
  o.train = 7;
  o.val = 4;
  o.height = 32;
  o.width = 64;
  o.seed = 5;
  o.threads = 2;
  generate_synthetic_cityscapes(o);

  for (const std::string split : {"train", "val"}) {
    int64_t n = split == "train" ? o.train : o.val;
    std::vector<Frame> frames = scan_cityscapes(root, split);
    ASSERT_EQ(int64_t(frames.size()), n) << split;
    std::set<std::string> cities;
    for (const Frame& f : frames) cities.insert(f.city);
    EXPECT_EQ(cities.size(), std::min<size_t>(n, synth_cities(split).size())) << split;
    for (int64_t i = 0; i < n; ++i) {
      SynthFrameName name = synth_frame_name(split, i);
      EXPECT_EQ(name.stem.rfind(name.city + "_", 0), 0u);
      EXPECT_EQ(name.stem.size(), name.city.size() + 14);  // _<6 digits>_<6 digits>
      fs::path image = fs::path(root) / "leftImg8bit" / split / name.city / (name.stem + "_leftImg8bit.png");
      fs::path gt = fs::path(root) / "gtFine" / split / name.city / name.stem;
      PngInfo info = read_png_info(image.string());
      EXPECT_EQ(info.channels, 3);
      EXPECT_EQ(info.bit_depth, 8);
      EXPECT_EQ(info.height, 32);
      EXPECT_EQ(info.width, 64);
      info = read_png_info(gt.string() + "_gtFine_labelIds.png");
      EXPECT_EQ(info.channels, 1);
      EXPECT_EQ(info.bit_depth, 8);
      info = read_png_info(gt.string() + "_gtFine_instanceIds.png");
      EXPECT_EQ(info.channels, 1);
      EXPECT_EQ(info.bit_depth, 16);
      ASSERT_TRUE(fs::exists(gt.string() + "_gtFine_labelTrainIds.png"));
    }
  }
  // The files hold exactly the rendered scene.
  SynthScene sc = render_synthetic_scene(synth_scene_seed(5, "val", 3), 32, 64);
  SynthFrameName name = synth_frame_name("val", 3);
  std::string gt = root + "/gtFine/val/" + name.city + "/" + name.stem;
  at::Tensor rgb = read_png(root + "/leftImg8bit/val/" + name.city + "/" + name.stem + "_leftImg8bit.png");
  at::Tensor labels = read_png(gt + "_gtFine_labelIds.png");
  at::Tensor train = read_png(gt + "_gtFine_labelTrainIds.png");
  at::Tensor inst = read_png(gt + "_gtFine_instanceIds.png");
  EXPECT_TRUE(torch::equal(rgb.reshape({-1}), torch::tensor(std::vector<int64_t>(sc.rgb.begin(), sc.rgb.end())).to(torch::kByte)));
  EXPECT_TRUE(torch::equal(labels.reshape({-1}), torch::tensor(std::vector<int64_t>(sc.label_ids.begin(), sc.label_ids.end())).to(torch::kByte)));
  EXPECT_TRUE(torch::equal(inst.reshape({-1}).to(torch::kLong), torch::tensor(std::vector<int64_t>(sc.instance_ids.begin(), sc.instance_ids.end()))));
  EXPECT_TRUE(torch::equal(train.reshape({-1}), label_ids_to_train_ids(labels, gt).reshape({-1})));
  // Nothing but the dataset is left beside it (no temporary folder).
  int entries = 0;
  for (auto& e : fs::directory_iterator(fs::path(root).parent_path())) (void)e, ++entries;
  EXPECT_EQ(entries, 1);
}

TEST(Synth, ImageDependsOnlyOnSeedSplitAndIndex) {
  // Fewer or more images, other thread counts: image i is byte-identical.
  std::string base = test::temp_dir("synth_restart");
  SynthOptions o;
  o.height = 32;
  o.width = 64;
  o.seed = 17;
  o.out = base + "/a";
  o.train = 3;
  o.val = 1;
  o.threads = 1;
  generate_synthetic_cityscapes(o);
  o.out = base + "/b";
  o.train = 8;
  o.val = 2;
  o.threads = 2;
  generate_synthetic_cityscapes(o);
  auto bytes = [](const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  for (int64_t i = 0; i < 3; ++i) {
    SynthFrameName name = synth_frame_name("train", i);
    for (std::string rel : {"leftImg8bit/train/" + name.city + "/" + name.stem + "_leftImg8bit.png",
                            "gtFine/train/" + name.city + "/" + name.stem + "_gtFine_labelIds.png",
                            "gtFine/train/" + name.city + "/" + name.stem + "_gtFine_instanceIds.png"}) {
      std::string a = bytes(base + "/a/" + rel), b = bytes(base + "/b/" + rel);
      ASSERT_FALSE(a.empty()) << rel;
      EXPECT_EQ(a, b) << rel;
    }
  }
}

TEST(Synth, RejectsBadOptions) {
  std::string base = test::temp_dir("synth_bad");
  SynthOptions ok;
  ok.out = base + "/new";
  EXPECT_NO_THROW(validate_synth_options(ok));
  auto rejects = [&](SynthOptions o, const std::string& needle) {
    const std::string e = test::input_error([&] { validate_synth_options(o); });
    EXPECT_NE(e.find(needle), std::string::npos) << "'" << e << "' lacks '" << needle << "'";
  };
  SynthOptions o = ok;
  o.height = 0;
  rejects(o, "--height");
  o = ok;
  o.width = -64;
  rejects(o, "--width");
  o = ok;
  o.train = -1;
  rejects(o, "--train");
  o = ok;
  o.val = -3;
  rejects(o, "--val");
  o = ok;
  o.train = 0;
  o.val = 0;
  rejects(o, "nothing to generate");
  o = ok;
  o.out = "";
  rejects(o, "--out");
  // An existing non-empty folder needs --force; a file is never a dataset root.
  fs::create_directories(base + "/full");
  std::ofstream(base + "/full/keep.txt") << "x";
  o = ok;
  o.out = base + "/full";
  rejects(o, "--force");
  o.force = true;
  EXPECT_NO_THROW(validate_synth_options(o));
  std::ofstream(base + "/file") << "x";
  o = ok;
  o.out = base + "/file";
  o.force = true;
  rejects(o, "not a folder");
  // An existing empty folder is fine.
  fs::create_directories(base + "/empty");
  o = ok;
  o.out = base + "/empty";
  EXPECT_NO_THROW(validate_synth_options(o));
}

TEST(Synth, ForceReplacesAnOldDataset) {
  std::string root = test::temp_dir("synth_force") + "/ds";
  fs::create_directories(root + "/stale");
  std::ofstream(root + "/stale/old.txt") << "old";
  SynthOptions o;
  o.out = root;
  o.train = 1;
  o.val = 1;
  o.height = 32;
  o.width = 64;
  EXPECT_THROW(generate_synthetic_cityscapes(o), InputError);
  EXPECT_TRUE(fs::exists(root + "/stale/old.txt"));
  o.force = true;
  generate_synthetic_cityscapes(o);
  EXPECT_FALSE(fs::exists(root + "/stale"));
  EXPECT_EQ(scan_cityscapes(root, "train").size(), 1u);
}

TEST(Synth, CommandLine) {
  std::string root = test::temp_dir("synth_cli") + "/ds";
  auto r = test::run_command(test::loce_binary() + " synth --out " + root +
                             " --train 3 --val 2 --height 32 --width 64 --seed 4");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(scan_cityscapes(root, "val").size(), 2u);
  // The flag's seed is the dataset seed.
  SynthScene sc = render_synthetic_scene(synth_scene_seed(4, "train", 1), 32, 64);
  SynthFrameName name = synth_frame_name("train", 1);
  at::Tensor labels = read_png(root + "/gtFine/train/" + name.city + "/" + name.stem + "_gtFine_labelIds.png");
  EXPECT_EQ(labels.reshape({-1})[100].item<int>(), int(sc.label_ids[100]));
  EXPECT_TRUE(torch::equal(labels.reshape({-1}), torch::tensor(std::vector<int64_t>(sc.label_ids.begin(), sc.label_ids.end())).to(torch::kByte)));

  r = test::run_command(test::loce_binary() + " synth --out " + root + " --train 1 --val 1");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("--force"), std::string::npos) << r.output;
  r = test::run_command(test::loce_binary() + " synth --out " + root + "_x --height 0");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("--height"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(root + "_x"));
}

// A killed run leaves its temporary dataset (".<out>.synth.<host>.<pid>") behind; the next run
// into the same --out removes it when its process is gone, and never another host's.
TEST(Synth, RemovesTheTemporaryDatasetOfAKilledRun) {
  std::string base = test::temp_dir("synth_stale");
  const std::string tag = temp_owner_tag();
  const std::string host = tag.substr(0, tag.rfind('.'));
  const std::string stale = base + "/.ds.synth." + host + ".999999999";
  const std::string other = base + "/.ds.synth.another-host.999999999";
  fs::create_directories(stale + "/leftImg8bit/train");
  fs::create_directories(other + "/leftImg8bit/train");
  SynthOptions o;
  o.out = base + "/ds";
  o.train = 1;
  o.val = 1;
  o.height = 32;
  o.width = 64;
  generate_synthetic_cityscapes(o);
  EXPECT_FALSE(fs::exists(stale));
  EXPECT_TRUE(fs::exists(other));
  EXPECT_EQ(scan_cityscapes(base + "/ds", "val").size(), 1u);
}
