#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "data/cityscapes.h"
#include "data/labels.h"
#include "data/png.h"
#include "data/stats.h"
#include "dist/world.h"
#include "support/test_support.h"
#include "tree_builder.h"

using namespace loce;
using namespace loce::data;
namespace fs = std::filesystem;

TEST(Cityscapes, ScansAndPairsFramesSorted) {
  std::string root = test::temp_dir("cs");
  test::write_random_frame(root, "val", "bonn", "bonn_000001_000019", 8, 16, 1);
  test::write_random_frame(root, "val", "aachen", "aachen_000002_000019", 8, 16, 2);
  test::write_random_frame(root, "val", "aachen", "aachen_000001_000019", 8, 16, 3);
  test::write_random_frame(root, "train", "bonn", "bonn_000009_000019", 8, 16, 4);
  auto frames = scan_cityscapes(root, "val");
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_EQ(frames[0].name, "aachen_000001_000019");
  EXPECT_EQ(frames[1].name, "aachen_000002_000019");
  EXPECT_EQ(frames[2].city, "bonn");
  EXPECT_NE(frames[2].label_path.find("gtFine/val/bonn/bonn_000001_000019_gtFine_labelIds.png"),
            std::string::npos);
  auto d = load_frame(frames[0], 4, 8);
  EXPECT_EQ(d.image.sizes(), (std::vector<int64_t>{3, 4, 8}));
  EXPECT_EQ(d.labels.sizes(), (std::vector<int64_t>{4, 8}));
}

TEST(Cityscapes, MissingFolderAndEmptySplit) {
  EXPECT_NE(test::input_error([] { scan_cityscapes("/no/such/folder", "val"); }).find("/no/such/folder"),
            std::string::npos);
  std::string root = test::temp_dir("cs");
  test::write_random_frame(root, "train", "bonn", "bonn_000001_000019", 8, 16, 1);
  EXPECT_NE(test::input_error([&] { scan_cityscapes(root, "val"); }).find("leftImg8bit/val"),
            std::string::npos);
  fs::create_directories(root + "/leftImg8bit/test/bonn");
  fs::create_directories(root + "/gtFine/test/bonn");
  EXPECT_NE(test::input_error([&] { scan_cityscapes(root, "test"); }).find("is empty"), std::string::npos);
}

TEST(Cityscapes, UnmatchedPartnersAreErrorsNamingTheFile) {
  std::string root = test::temp_dir("cs");
  test::write_random_frame(root, "val", "bonn", "bonn_000001_000019", 8, 16, 1);
  test::write_random_frame(root, "val", "bonn", "bonn_000002_000019", 8, 16, 2);
  fs::remove(root + "/gtFine/val/bonn/bonn_000002_000019_gtFine_labelIds.png");
  EXPECT_NE(test::input_error([&] { scan_cityscapes(root, "val"); }).find("bonn_000002_000019_leftImg8bit.png"),
            std::string::npos);
  fs::remove(root + "/leftImg8bit/val/bonn/bonn_000002_000019_leftImg8bit.png");
  fs::remove(root + "/leftImg8bit/val/bonn/bonn_000001_000019_leftImg8bit.png");
  test::write_random_frame(root, "val", "bonn", "bonn_000003_000019", 8, 16, 3);
  EXPECT_NE(test::input_error([&] { scan_cityscapes(root, "val"); }).find("bonn_000001_000019_gtFine_labelIds.png"),
            std::string::npos);
}

TEST(Cityscapes, SizeMismatchAndBadLabelId) {
  std::string root = test::temp_dir("cs");
  test::write_frame(root, "val", "bonn", "bonn_000001_000019", torch::zeros({8, 16, 3}, torch::kByte),
                    torch::full({8, 12}, 7, torch::kByte));
  auto frames = scan_cityscapes(root, "val");
  EXPECT_NE(test::input_error([&] { load_frame(frames[0]); }).find("differs from its image"),
            std::string::npos);
  at::Tensor labels = torch::full({8, 16}, 7, torch::kByte);
  labels[3][5] = 77;
  test::write_frame(root, "val", "bonn", "bonn_000001_000019", torch::zeros({8, 16, 3}, torch::kByte),
                    labels);
  std::string msg = test::input_error([&] { load_frame(frames[0]); });
  EXPECT_NE(msg.find("label id 77"), std::string::npos) << msg;
  EXPECT_NE(msg.find("bonn_000001_000019_gtFine_labelIds.png"), std::string::npos) << msg;
}

TEST(Cityscapes, CorruptPngInTreeNamesTheFile) {
  std::string root = test::temp_dir("cs");
  test::write_random_frame(root, "val", "bonn", "bonn_000001_000019", 8, 16, 1);
  std::string img = root + "/leftImg8bit/val/bonn/bonn_000001_000019_leftImg8bit.png";
  fs::resize_file(img, fs::file_size(img) / 2);
  auto frames = scan_cityscapes(root, "val");
  EXPECT_NE(test::input_error([&] { load_frame(frames[0]); }).find("_leftImg8bit.png"), std::string::npos);
}

// The one real Cityscapes frame in ../shared/fixtures: the reader must decode it and agree
// pixel for pixel with a remap of its labelIds file through the official table.
TEST(Cityscapes, RealFixtureFrame) {
  std::string shared = test::shared_dir();
  std::string root = shared + "/fixtures/pseudo_cityscapes";
  if (shared.empty() || !fs::is_directory(root))
    GTEST_SKIP() << "shared/fixtures/pseudo_cityscapes not found (set LOCE_SHARED_DIR)";
  auto frames = scan_cityscapes(root, "val");
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].name, "frankfurt_000000_000294");
  EXPECT_EQ(frames[0].city, "frankfurt");
  DecodedFrame d = load_frame(frames[0]);
  at::Tensor raw = read_png(frames[0].label_path).select(2, 0);
  ASSERT_EQ(d.labels.sizes(), raw.sizes());
  EXPECT_EQ(d.image.size(0), 3);
  EXPECT_EQ(d.image.size(1), raw.size(0));
  // Independent remap: the table, pixel by pixel.
  auto r = raw.accessor<uint8_t, 2>();
  auto l = d.labels.accessor<uint8_t, 2>();
  std::map<int, int> to_train;
  for (const auto& lab : cityscapes_labels()) to_train[lab.id] = lab.train_id;
  int64_t mismatches = 0;
  for (int64_t y = 0; y < raw.size(0); ++y)
    for (int64_t x = 0; x < raw.size(1); ++x) mismatches += to_train.at(r[y][x]) != l[y][x];
  EXPECT_EQ(mismatches, 0);

  // `loce stats` agrees with the same remap.
  dist::WorldInfo w;
  auto comm = dist::cpu_communicator();
  SplitStats s = stats_from_cityscapes(root, "val", *comm);
  EXPECT_EQ(s.images, 1);
  at::Tensor ids = d.labels.to(torch::kLong).flatten();
  EXPECT_EQ(s.pixels[0], (ids == 0).sum().item<int64_t>());
  EXPECT_EQ(s.pixels[13], (ids == 13).sum().item<int64_t>());
  EXPECT_EQ(s.pixels[kNumClasses], (ids == 255).sum().item<int64_t>());
  int64_t total = 0;
  for (auto p : s.pixels) total += p;
  EXPECT_EQ(total, raw.numel());
}

// A frame name in two city folders (a bad copy or merge) would lose one frame silently, and
// a label found in another city's folder would pair two different places.
TEST(Cityscapes, DuplicateNamesAndLabelsInAnotherCityAreErrors) {
  std::string root = test::temp_dir("cs");
  test::write_random_frame(root, "val", "bonn", "bonn_000001_000019", 8, 16, 1);
  test::write_random_frame(root, "val", "zcity", "bonn_000001_000019", 8, 16, 2);
  std::string msg = test::input_error([&] { scan_cityscapes(root, "val"); });
  EXPECT_NE(msg.find("frame bonn_000001_000019 is also in another city folder"), std::string::npos)
      << msg;
  fs::remove_all(root + "/leftImg8bit/val/zcity");
  fs::remove_all(root + "/gtFine/val/zcity");
  EXPECT_EQ(scan_cityscapes(root, "val").size(), 1u);
  // The image in bonn/, its label only in koeln/.
  fs::create_directories(root + "/gtFine/val/koeln");
  fs::rename(root + "/gtFine/val/bonn/bonn_000001_000019_gtFine_labelIds.png",
             root + "/gtFine/val/koeln/bonn_000001_000019_gtFine_labelIds.png");
  msg = test::input_error([&] { scan_cityscapes(root, "val"); });
  EXPECT_NE(msg.find("bonn_000001_000019_leftImg8bit.png: its label file is in another city folder"),
            std::string::npos) << msg;
  EXPECT_NE(msg.find("koeln"), std::string::npos) << msg;
}

// A palette labelIds PNG decodes to 3 channels; the message says what the file is.
TEST(Cityscapes, PaletteLabelIsNamedAsSuch) {
  static const unsigned char kPalette8x4[] = {
      0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44,
      0x52, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x04, 0x08, 0x03, 0x00, 0x00, 0x00, 0x84,
      0x13, 0x8e, 0xc2, 0x00, 0x00, 0x00, 0x18, 0x50, 0x4c, 0x54, 0x45, 0x00, 0x01, 0x02, 0x03,
      0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12,
      0x13, 0x14, 0x15, 0x16, 0x17, 0x77, 0x63, 0x70, 0x9c, 0x00, 0x00, 0x00, 0x0e, 0x49, 0x44,
      0x41, 0x54, 0x78, 0x9c, 0x63, 0x60, 0x87, 0x02, 0x06, 0xdc, 0x0c, 0x00, 0x0f, 0xe4, 0x00,
      0xe1, 0x01, 0xb5, 0x9c, 0xb3, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42,
      0x60, 0x82};
  std::string root = test::temp_dir("cs");
  test::write_random_frame(root, "val", "bonn", "bonn_000001_000019", 4, 8, 1);
  std::ofstream(root + "/gtFine/val/bonn/bonn_000001_000019_gtFine_labelIds.png", std::ios::binary)
      .write(reinterpret_cast<const char*>(kPalette8x4), sizeof kPalette8x4);
  auto frames = scan_cityscapes(root, "val");
  std::string msg = test::input_error([&] { load_frame(frames[0]); });
  EXPECT_NE(msg.find("got a palette (indexed-colour) PNG"), std::string::npos) << msg;
}

// stats --json stays valid JSON (RFC 8259, UTF-8) whatever the names hold.
TEST(Cityscapes, StatsJsonEscapesControlCharactersAndNonUtf8Bytes) {
  SplitStats s;
  s.source = "root\\with \"quotes\"";
  s.split = "v\"al";
  s.concepts = {"road"};
  s.names = {"tab\there", "new\nline", "caf\xc3\xa9", "latin1 \xe9t\xe9", "cut \xe2\x82"};
  s.present.assign(s.names.size(), std::vector<bool>{true});
  s.images = int64_t(s.names.size());
  const std::string j = stats_to_json(s);
  EXPECT_NE(j.find("\"source\": \"root\\\\with \\\"quotes\\\"\""), std::string::npos) << j;
  EXPECT_NE(j.find("\"split\": \"v\\\"al\""), std::string::npos) << j;
  EXPECT_NE(j.find("\"tab\\u0009here\""), std::string::npos) << j;
  EXPECT_NE(j.find("\"new\\u000aline\""), std::string::npos) << j;
  EXPECT_NE(j.find("\"caf\xc3\xa9\""), std::string::npos) << j;  // valid UTF-8 stays as is
  EXPECT_NE(j.find("\"latin1 \\u00e9t\\u00e9\""), std::string::npos) << j;
  EXPECT_NE(j.find("\"cut \\u00e2\\u0082\""), std::string::npos) << j;
  for (char c : j) EXPECT_GE(static_cast<unsigned char>(c), 0x20) << j;
}
