#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "data/png.h"
#include "support/test_support.h"

using namespace loce;
using namespace loce::data;
namespace fs = std::filesystem;

TEST(Png, RgbRoundTrip) {
  std::string dir = test::temp_dir("png");
  at::Tensor rgb = torch::randint(0, 256, {17, 23, 3}, torch::kByte);
  write_png(dir + "/a.png", rgb);
  PngInfo info;
  at::Tensor back = read_png(dir + "/a.png", &info);
  EXPECT_EQ(info.width, 23);
  EXPECT_EQ(info.height, 17);
  EXPECT_EQ(info.channels, 3);
  EXPECT_EQ(info.bit_depth, 8);
  EXPECT_TRUE(back.equal(rgb));
}

TEST(Png, GreyAnd16BitRoundTrip) {
  std::string dir = test::temp_dir("png");
  at::Tensor grey = torch::randint(0, 256, {5, 9}, torch::kByte);
  write_png(dir + "/g.png", grey);
  EXPECT_TRUE(read_png(dir + "/g.png").squeeze(2).equal(grey));
  at::Tensor inst = torch::randint(0, 65536, {6, 4}, torch::kInt);
  write_png(dir + "/i.png", inst);
  PngInfo info;
  at::Tensor back = read_png(dir + "/i.png", &info);
  EXPECT_EQ(info.bit_depth, 16);
  EXPECT_TRUE(back.squeeze(2).equal(inst));
}

TEST(Png, MissingFileIsAnInputError) {
  EXPECT_THROW(read_png("/nonexistent/x.png"), InputError);
}

TEST(Png, NotAPngNamesTheFile) {
  std::string dir = test::temp_dir("png");
  std::ofstream(dir + "/fake.png") << "this is not a png";
  try {
    read_png(dir + "/fake.png");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("fake.png: not a PNG"), std::string::npos) << e.what();
  }
}

TEST(Png, TruncatedPngIsAnInputError) {
  std::string dir = test::temp_dir("png");
  write_png(dir + "/full.png", torch::randint(0, 256, {64, 64, 3}, torch::kByte));
  auto size = fs::file_size(dir + "/full.png");
  fs::copy_file(dir + "/full.png", dir + "/cut.png");
  fs::resize_file(dir + "/cut.png", size / 2);
  try {
    read_png(dir + "/cut.png");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("cut.png"), std::string::npos) << e.what();
  }
}

TEST(Png, WriteLeavesNoTemporaryFiles) {
  std::string dir = test::temp_dir("png");
  write_png(dir + "/x.png", torch::zeros({2, 2}, torch::kByte));
  int n = 0;
  for (auto& e : fs::directory_iterator(dir)) {
    ++n;
    EXPECT_EQ(e.path().filename(), "x.png");
  }
  EXPECT_EQ(n, 1);
}
