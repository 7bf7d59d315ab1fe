#include <gtest/gtest.h>
#include <torch/torch.h>

#include <set>

#include "core/error.h"
#include "data/resize.h"
#include "data/sampler.h"

using namespace loce;
using namespace loce::data;

TEST(Resize, AreaAveragesWhenShrinking) {
  at::Tensor img = torch::zeros({3, 4, 4}, torch::kByte);
  img.index_put_({torch::indexing::Slice(), torch::indexing::Slice(0, 2), torch::indexing::Slice(0, 2)}, 200);
  at::Tensor small = resize_image(img, 2, 2);
  EXPECT_EQ(small[0][0][0].item<int>(), 200);
  EXPECT_EQ(small[0][0][1].item<int>(), 0);
  at::Tensor tiny = resize_image(img, 1, 1);
  EXPECT_EQ(tiny[1][0][0].item<int>(), 50);
}

TEST(Resize, LabelsStayValidIds) {
  at::Tensor lab = torch::tensor({0, 13, 255, 2}, torch::kByte).reshape({2, 2});
  at::Tensor big = resize_labels(lab, 4, 4);
  std::set<int> vals;
  for (int64_t i = 0; i < big.numel(); ++i) vals.insert(big.flatten()[i].item<int>());
  EXPECT_EQ(vals, (std::set<int>{0, 2, 13, 255}));
  EXPECT_EQ(big[3][3].item<int>(), 2);
}

// Labels shrunk 8x come from the pixel under each cell's centre (8i + 4), where the image's
// 8x8 area average is centred (8i + 3.5): not from the top-left pixel (8i), which would put
// every label 3.5 source pixels off its image.
TEST(Resize, ShrunkLabelsStayAlignedWithTheImage) {
  at::Tensor column = torch::arange(64, torch::kByte).view({1, 64}).expand({16, 64}).contiguous();
  at::Tensor small = resize_labels(column, 2, 8);
  for (int64_t i = 0; i < 8; ++i) EXPECT_EQ(small[1][i].item<int>(), 8 * i + 4) << "column " << i;
  at::Tensor image = resize_image(column.unsqueeze(0).expand({3, 16, 64}).contiguous(), 2, 8);
  for (int64_t i = 0; i < 8; ++i)
    EXPECT_NEAR(image[0][1][i].item<int>(), small[1][i].item<int>(), 0.5) << "column " << i;
}

// One axis shrinking while the other grows: the shrinking one is still area-averaged. Rows
// 4k and 4k+3 white, 4k+1 and 4k+2 black average to grey at a quarter of the height; bilinear
// sampling on that axis would read only the black rows (2 of every 4).
TEST(Resize, ShrinkingAxisIsAreaAveragedWhileTheOtherGrows) {
  at::Tensor rows = torch::tensor({255, 0, 0, 255}, torch::kByte).repeat({8});  // 32 rows
  at::Tensor img = rows.view({1, 32, 1}).expand({3, 32, 16}).contiguous();
  for (int width : {16, 8, 32}) {
    at::Tensor out = resize_image(img, 8, width);
    ASSERT_EQ(out.sizes(), (std::vector<int64_t>{3, 8, width}));
    EXPECT_TRUE(out.eq(128).all().item<bool>()) << "width " << width << ": " << out[0];
  }
  // And the growing axis is bilinear, as when both grow.
  at::Tensor ramp = torch::arange(0, 256, 32, torch::kFloat).to(torch::kByte).view({1, 1, 8})
                        .expand({3, 16, 8}).contiguous();
  at::Tensor wide = resize_image(ramp, 4, 16);
  at::Tensor both = resize_image(ramp.narrow(1, 0, 4).contiguous(), 4, 16);
  EXPECT_TRUE(wide.equal(both));
}

// Labels are the pixel under each cell's centre, exactly as LibTorch's nearest-exact mode
// picks it (the reference here), without its warning on every call.
TEST(Resize, LabelsMatchNearestExactInterpolation) {
  namespace F = torch::nn::functional;
  auto gen = at::detail::createCPUGenerator(5);
  for (int in_h : {1, 7, 16, 33, 64, 1024})
    for (int in_w : {1, 5, 32, 2048})
      for (int out_h : {1, 3, 8, 17, 128, 512})
        for (int out_w : {1, 6, 16, 33, 256, 1000}) {
          at::Tensor lab = torch::randint(0, 256, {in_h, in_w}, gen, torch::kByte);
          at::Tensor want = F::interpolate(lab.view({1, 1, in_h, in_w}).to(torch::kFloat),
                                           F::InterpolateFuncOptions()
                                               .size(std::vector<int64_t>{out_h, out_w})
                                               .mode(torch::kNearestExact))
                                .to(torch::kByte).view({out_h, out_w});
          ASSERT_TRUE(resize_labels(lab, out_h, out_w).equal(want))
              << in_h << "x" << in_w << " -> " << out_h << "x" << out_w;
        }
}

TEST(Sampler, ShardsAreDisjointAndCoverOneEpoch) {
  const int world = 3;
  const int64_t n = 50, b = 4;
  std::set<int64_t> seen;
  int64_t total = 0;
  for (int r = 0; r < world; ++r) {
    DistributedSampler s(n, r, world, b, 7);
    EXPECT_EQ(s.batches_per_epoch(), 4);  // 50 / (4 * 3)
    for (int64_t i : s.shard()) {
      EXPECT_TRUE(seen.insert(i).second) << "index " << i << " on two ranks";
      ++total;
    }
  }
  EXPECT_EQ(total, 48);
}

TEST(Sampler, GlobalBatchEqualsOneRankWithLargerBatch) {
  DistributedSampler one(30, 0, 1, 6, 11);
  for (int64_t e = 0; e < 2; ++e) {
    one.set_epoch(e);
    for (int64_t b = 0; b < one.batches_per_epoch(); ++b) {
      std::vector<int64_t> joined;
      for (int r = 0; r < 3; ++r) {
        DistributedSampler s(30, r, 3, 2, 11);
        s.set_epoch(e);
        auto part = s.batch(b);
        joined.insert(joined.end(), part.begin(), part.end());
      }
      EXPECT_EQ(joined, one.batch(b));
    }
  }
}

TEST(Sampler, ReshufflesPerEpochDeterministically) {
  DistributedSampler a(100, 1, 2, 5, 3), b(100, 1, 2, 5, 3), c(100, 1, 2, 5, 4);
  EXPECT_EQ(a.shard(), b.shard());
  EXPECT_NE(a.shard(), c.shard());
  auto e0 = a.shard();
  a.set_epoch(1);
  EXPECT_NE(a.shard(), e0);
  b.set_epoch(1);
  EXPECT_EQ(a.shard(), b.shard());
}

TEST(Sampler, TooSmallDatasetIsAnError) {
  EXPECT_THROW(DistributedSampler(5, 0, 2, 4, 0), InputError);
  EXPECT_THROW(DistributedSampler(5, 0, 1, 0, 0), InputError);
}
