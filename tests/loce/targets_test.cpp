#include <gtest/gtest.h>
#include <torch/torch.h>

#include "loce/targets.h"

using namespace loce::embedding;

namespace {
uint8_t code(const Targets& t, int64_t row) { return t.skip[row][0].item<uint8_t>(); }
}  // namespace

TEST(Targets, SkipsEmptyFullSmallAndVanishingMasks) {
  at::Tensor masks = torch::zeros({5, 1, 32, 64});
  masks[1].fill_(1);                                             // full
  masks[2].slice(1, 0, 16).fill_(1);                            // half: kept
  masks[3][0][2][2] = 1;  // one pixel, on the nearest grid: kept by the grid, too small
  masks[4].slice(1, 4, 6).slice(2, 4, 6).fill_(1);              // 2x2 blob off the nearest grid
  OptimizerSettings s;
  s.mode = Mode::Native;
  s.mask_resize = MaskResize::Nearest;
  s.min_area = 1e-3;
  Targets t = make_targets(masks, 8, 16, s);
  EXPECT_EQ(code(t, 0), uint8_t(Skip::Empty));
  EXPECT_EQ(code(t, 1), uint8_t(Skip::Full));
  EXPECT_EQ(code(t, 2), uint8_t(Skip::None));
  EXPECT_EQ(code(t, 3), uint8_t(Skip::Small));
  EXPECT_EQ(code(t, 4), uint8_t(Skip::Empty));  // nearest samples rows/cols 2, 6, 10...: lost
  EXPECT_NEAR(t.area[2][0].item<float>(), 0.5, 1e-6);
  EXPECT_NEAR(t.positive_weight[2][0].item<float>(), 0.5, 1e-6);

  // Area resizing keeps the blob as a partly covered cell.
  s.mask_resize = MaskResize::Area;
  s.min_area = 0;
  Targets a = make_targets(masks, 8, 16, s);
  EXPECT_EQ(code(a, 4), uint8_t(Skip::None));
  EXPECT_NEAR(a.target[4][0][1][1].item<float>(), 4.0 / 16.0, 1e-6);
}

TEST(Targets, ReferenceAlphaCountsSoftEdgesAsForeground) {
  at::Tensor masks = torch::zeros({1, 1, 128, 256});
  masks[0][0].slice(0, 40, 90).slice(1, 100, 200).fill_(1);
  OptimizerSettings s;  // reference
  Targets t = make_targets(masks, 8, 16, s);
  ASSERT_EQ(t.target.sizes(), (std::vector<int64_t>{1, 1, 100, 100}));
  const float support = (t.target > 0).to(torch::kFloat32).mean().item<float>();
  EXPECT_NEAR(t.positive_weight.item<float>(), 1 - support, 1e-6);
  EXPECT_GT(support, t.target.mean().item<float>());  // blurred edges widen the support
}
