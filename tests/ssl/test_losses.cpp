#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "core/error.h"
#include "core/seed.h"
#include "dist/self_communicator.h"
#include "ssl/barlow_loss.h"
#include "ssl/dae.h"
#include "ssl/rpl.h"
#include "ssl/task.h"

using namespace loce;

TEST(BarlowTwinsLoss, HandComputedTwoByTwo) {
  // Each column of z1 and z2 has mean 2 and biased variance 1, so the batch-normalised
  // projections are +-1/sqrt(1 + eps): bn(z1) = s[[-1,-1],[1,1]], bn(z2) = s[[-1,1],[1,-1]],
  // c = bn(z1)^T bn(z2) / 2 = s^2 [[1,-1],[1,-1]] with s^2 = 1 / (1 + 1e-5).
  auto z1 = torch::tensor({{1.0, 2.0}, {3.0, 4.0}}, torch::kDouble);
  auto z2 = torch::tensor({{1.0, 4.0}, {3.0, 2.0}}, torch::kDouble);
  dist::SelfCommunicator self;
  const double s2 = 1.0 / (1.0 + 1e-5), lambda = 0.0051;
  const double on = std::pow(1.0 - s2, 2) + std::pow(1.0 + s2, 2);
  const double off = 2.0 * s2 * s2;
  auto c = ssl::cross_correlation(z1, z2, self);
  EXPECT_NEAR(c[0][0].item<double>(), s2, 1e-12);
  EXPECT_NEAR(c[0][1].item<double>(), -s2, 1e-12);
  EXPECT_NEAR(c[1][1].item<double>(), -s2, 1e-12);
  EXPECT_NEAR(ssl::barlow_twins_loss(z1, z2, lambda, self).item<double>(), on + lambda * off, 1e-12);
}

TEST(BarlowTwinsLoss, IdenticalDecorrelatedViewsGiveZero) {
  // Columns with zero mean, unit variance and zero correlation: c = identity, loss ~ 0.
  auto z = torch::tensor({{1.0, 1.0}, {1.0, -1.0}, {-1.0, 1.0}, {-1.0, -1.0}}, torch::kDouble);
  dist::SelfCommunicator self;
  EXPECT_NEAR(ssl::barlow_twins_loss(z, z, 0.0051, self).item<double>(), 0.0, 1e-9);
}

TEST(BarlowTwinsLoss, MatchesANaiveLoopAndHasGradients) {
  auto g = make_generator(11, 0, 0);
  auto z1 = at::randn({6, 5}, g, at::kDouble).requires_grad_(true);
  auto z2 = at::randn({6, 5}, g, at::kDouble);
  dist::SelfCommunicator self;
  auto loss = ssl::barlow_twins_loss(z1, z2, 0.3, self);
  auto bn = [](const at::Tensor& z) {
    auto m = z.mean(0);
    auto v = (z - m).pow(2).mean(0);
    return (z - m) / (v + 1e-5).sqrt();
  };
  auto a = bn(z1.detach()), b = bn(z2);
  double expect = 0;
  for (int i = 0; i < 5; ++i)
    for (int j = 0; j < 5; ++j) {
      double cij = 0;
      for (int n = 0; n < 6; ++n) cij += a[n][i].item<double>() * b[n][j].item<double>();
      cij /= 6;
      expect += i == j ? (1 - cij) * (1 - cij) : 0.3 * cij * cij;
    }
  EXPECT_NEAR(loss.item<double>(), expect, 1e-10);
  loss.backward();
  ASSERT_TRUE(z1.grad().defined());
  EXPECT_GT(z1.grad().abs().sum().item<double>(), 0.0);
}

TEST(DenoisingLoss, IsTheMeanSquaredError) {
  auto rec = torch::tensor({0.0f, 1.0f, 0.5f, 0.5f});
  auto clean = torch::tensor({0.5f, 0.5f, 0.5f, 1.5f});
  // (0.25 + 0.25 + 0 + 1) / 4
  EXPECT_NEAR(ssl::denoising_loss(rec, clean).item<float>(), 0.375f, 1e-7);
}

TEST(PatchLocationLoss, CrossEntropyAndAccuracyByHand) {
  // Uniform logits: loss ln 9. Logits favouring cell 4 by ln 8 over the others for a target 4:
  // p = 8 / (8 + 8) = 0.5 -> loss ln 2, and that prediction is right.
  auto uniform = torch::zeros({2, 9});
  auto r = ssl::patch_location_loss(uniform, torch::tensor({0L, 5L}));
  EXPECT_NEAR(r.loss.item<float>(), std::log(9.0f), 1e-6);
  auto peaked = torch::zeros({2, 9});
  peaked[0][4] = std::log(8.0f);
  peaked[1][4] = std::log(8.0f);
  auto q = ssl::patch_location_loss(peaked, torch::tensor({4L, 3L}));
  // sample 0: -ln(8/16) = ln 2; sample 1: -ln(1/16) = ln 16
  EXPECT_NEAR(q.loss.item<float>(), (std::log(2.0f) + std::log(16.0f)) / 2, 1e-5);
  EXPECT_NEAR(q.accuracy.item<float>(), 0.5f, 1e-7);
}

TEST(PatchLocation, CellBoxesTileTheImage) {
  auto boxes = ssl::grid_cell_boxes(torch::tensor({0L, 4L, 8L, 5L}), 3, 36, 72);
  EXPECT_TRUE(torch::allclose(boxes[0], torch::tensor({0.f, 0.f, 12.f, 24.f})));
  EXPECT_TRUE(torch::allclose(boxes[1], torch::tensor({12.f, 24.f, 12.f, 24.f})));
  EXPECT_TRUE(torch::allclose(boxes[2], torch::tensor({24.f, 48.f, 12.f, 24.f})));
  EXPECT_TRUE(torch::allclose(boxes[3], torch::tensor({12.f, 48.f, 12.f, 24.f})));
}

TEST(PatchLocation, BatchShowsTheDrawnCellAndLabelsItsIndex) {
  // Every cell of the image has its own grey level (cell index / 10); without grayscale and
  // flip the patch's centre shows exactly its cell's level.
  ssl::TaskOptions o;
  o.rpl_grayscale_p = 0.0;
  o.rpl_flip_p = 0.0;
  auto task = ssl::make_pretext_task("rpl", o);
  auto img = torch::zeros({8, 3, 36, 72}, torch::kUInt8);
  for (int c = 0; c < 9; ++c)
    img.slice(2, (c / 3) * 12, (c / 3 + 1) * 12).slice(3, (c % 3) * 24, (c % 3 + 1) * 24).fill_(c * 25);
  data::Batch b;
  b.images = img;
  auto g = make_generator(9, 0, 0);
  auto tb = task->make_batch(b, torch::kCPU, g);
  ASSERT_EQ(tb.inputs.size(), 1u);
  EXPECT_EQ(tb.inputs[0].sizes(), (std::vector<int64_t>{8, 3, 36, 72}));
  // Undo the normalisation of the red channel and read the centre pixel.
  auto centre = tb.inputs[0].select(1, 0).select(1, 18).select(1, 36) * 0.229 + 0.485;
  for (int i = 0; i < 8; ++i) {
    int64_t cell = tb.target[i].item<int64_t>();
    EXPECT_NEAR(centre[i].item<float>(), cell * 25 / 255.0f, 1e-4) << "sample " << i;
  }
  EXPECT_GT(std::get<0>(at::_unique(tb.target)).numel(), 2);
}

TEST(Tasks, RegistryKnowsTheFourMethodsAndTheirHeads) {
  ssl::TaskOptions o;
  EXPECT_TRUE(ssl::make_pretext_task("barlow", o)->heads().projector);
  EXPECT_TRUE(ssl::make_pretext_task("dae", o)->heads().reconstruction);
  EXPECT_TRUE(ssl::make_pretext_task("rpl", o)->heads().classifier);
  EXPECT_FALSE(ssl::make_pretext_task("baseline", o)->trains());
  EXPECT_THROW(ssl::make_pretext_task("simclr", o), InputError);
}

TEST(Tasks, BarlowMakesTwoDifferentViewsDeterministically) {
  auto task = ssl::make_pretext_task("barlow", {});
  auto g0 = make_generator(1, 0, 0);
  data::Batch b;
  b.images = at::randint(0, 256, {4, 3, 32, 64}, g0, at::kByte);
  auto g1 = make_generator(3, 0, 7), g2 = make_generator(3, 0, 7);
  auto x = task->make_batch(b, torch::kCPU, g1), y = task->make_batch(b, torch::kCPU, g2);
  ASSERT_EQ(x.inputs.size(), 2u);
  EXPECT_FALSE(torch::equal(x.inputs[0], x.inputs[1]));
  EXPECT_TRUE(torch::equal(x.inputs[0], y.inputs[0]));
  EXPECT_TRUE(torch::equal(x.inputs[1], y.inputs[1]));
}
