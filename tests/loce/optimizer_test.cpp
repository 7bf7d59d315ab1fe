// The batched optimiser against literal, autograd-based formulations of the same objectives
// (upsampled activations, per-pair losses, torch::optim::AdamW), and its batching invariances.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "loce/optimizer.h"
#include "loce/resize_matrices.h"
#include "loce/targets.h"
#include "loce/torch_bilinear.h"

using namespace loce::embedding;

namespace {

struct Inputs {
  at::Tensor acts;    // [n, C, h, w]
  at::Tensor masks;   // [n, 1, H, W]
};

Inputs make_inputs(int64_t n, int64_t C, int64_t h, int64_t w, int64_t H, int64_t W, int seed) {
  torch::manual_seed(seed);
  at::Tensor masks = (torch::rand({n, 1, H, W}) < torch::rand({n, 1, 1, 1}) * 0.6 + 0.2)
                         .to(torch::kFloat32);
  at::Tensor acts = torch::relu(torch::randn({n, C, h, w}) +
                                resize_nearest(masks, h, w) * torch::randn({1, C, 1, 1}));
  return {acts, masks};
}

OptimizerSettings small_settings(Mode mode) {
  OptimizerSettings s;
  s.mode = mode;
  s.iterations = 12;
  s.grid_h = 10;  // not square, not a multiple of the activation grid
  s.grid_w = 14;
  return s;
}

// The reference's objective written out literally: activations upsampled first, then
// (A_up * v).sum(C), pseudo-BCE with -1/B per sample, the mean over the batch, AdamW.
at::Tensor literal_reference(const at::Tensor& acts, const Targets& t, const OptimizerSettings& s) {
  const int64_t n = acts.size(0), C = acts.size(1);
  at::Tensor up = loce::test::torch_bilinear(acts, s.grid_h, s.grid_w);
  at::Tensor v = torch::zeros({n, C, 1, 1}, torch::requires_grad());
  torch::optim::AdamW opt({v}, torch::optim::AdamWOptions(s.lr));
  at::Tensor a = t.positive_weight.view({n, 1, 1, 1}), y = t.target;
  for (int it = 0; it < s.iterations; ++it) {
    at::Tensor p = torch::sigmoid((up * v).sum(1, true));
    at::Tensor per = -1.0 / n * torch::sum(a * y * p + (1 - a) * (1 - y) * (1 - p), {1, 2, 3});
    opt.zero_grad();
    per.mean().backward();
    opt.step();
  }
  return v.detach().view({n, C});
}

// Native: class-balanced BCE with logits per pair, averaged over the grid, pairs independent.
at::Tensor literal_native(const at::Tensor& acts, const Targets& t, const OptimizerSettings& s) {
  const int64_t n = acts.size(0), C = acts.size(1);
  at::Tensor v = torch::zeros({n, C, 1, 1}, torch::requires_grad());
  torch::optim::AdamW opt({v}, torch::optim::AdamWOptions(s.lr));
  at::Tensor a = t.positive_weight.view({n, 1, 1, 1}), y = t.target;
  for (int it = 0; it < s.iterations; ++it) {
    at::Tensor z = (acts * v).sum(1, true);
    at::Tensor per = (a * y * torch::softplus(-z) + (1 - a) * (1 - y) * torch::softplus(z))
                         .mean({1, 2, 3});
    opt.zero_grad();
    per.sum().backward();
    opt.step();
  }
  return v.detach().view({n, C});
}

double max_relative_error(const at::Tensor& a, const at::Tensor& b) {
  return ((a - b).norm(2, 1) / b.norm(2, 1)).max().item<double>();
}

}  // namespace

TEST(Optimizer, ReferenceModeEqualsLiteralUpsampledObjective) {
  auto in = make_inputs(6, 16, 4, 6, 20, 30, 1);
  OptimizerSettings s = small_settings(Mode::Reference);
  Targets t = make_targets(in.masks, 4, 6, s);
  at::Tensor batch = torch::full({6, 1}, 6.0f);
  Solution sol = optimize({in.acts, t.target, t.positive_weight, batch}, s);
  EXPECT_LT(max_relative_error(sol.vectors.squeeze(1), literal_reference(in.acts, t, s)), 1e-4);
}

TEST(Optimizer, ReferenceModeEqualsLiteralObjectiveWhenTheGridShrinksAnAxis) {
  // Axes the 10x14 grid shrinks are resized in the activations once, the others in every
  // iteration's projection: rows enlarged and columns shrunk (as at full resolution), then both.
  for (auto [h, w] : {std::pair<int64_t, int64_t>{6, 20}, {16, 20}}) {
    auto in = make_inputs(4, 16, h, w, 24, 40, 6);
    OptimizerSettings s = small_settings(Mode::Reference);
    Targets t = make_targets(in.masks, h, w, s);
    at::Tensor batch = torch::full({4, 1}, 4.0f);
    Solution sol = optimize({in.acts, t.target, t.positive_weight, batch}, s);
    EXPECT_LT(max_relative_error(sol.vectors.squeeze(1), literal_reference(in.acts, t, s)), 1e-4)
        << h << "x" << w;
  }
}

TEST(Optimizer, NativeModeEqualsLiteralBalancedBce) {
  auto in = make_inputs(5, 12, 6, 8, 6, 8, 2);
  OptimizerSettings s = small_settings(Mode::Native);
  Targets t = make_targets(in.masks, 6, 8, s);
  Solution sol = optimize({in.acts, t.target, t.positive_weight, torch::ones({5, 1})}, s);
  EXPECT_LT(max_relative_error(sol.vectors.squeeze(1), literal_native(in.acts, t, s)), 1e-4);
}

TEST(Optimizer, PairsAreIndependentOfTheirChunk) {
  // What sharding relies on: a pair's vector depends on its own data and B only.
  auto in = make_inputs(7, 20, 4, 6, 12, 18, 3);
  for (Mode mode : {Mode::Reference, Mode::Native}) {
    OptimizerSettings s = small_settings(mode);
    Targets t = make_targets(in.masks, 4, 6, s);
    at::Tensor batch = torch::full({7, 1}, 64.0f);
    Solution all = optimize({in.acts, t.target, t.positive_weight, batch}, s);
    for (int64_t r : {0, 3, 6}) {
      auto one = [&](const at::Tensor& x) { return x.slice(0, r, r + 1); };
      Solution single = optimize({one(in.acts), one(t.target), one(t.positive_weight), one(batch)}, s);
      EXPECT_TRUE(torch::allclose(single.vectors, one(all.vectors), 1e-5, 1e-7)) << "row " << r;
      EXPECT_TRUE(torch::allclose(single.loss, one(all.loss), 1e-5, 1e-7));
    }
  }
}

TEST(Optimizer, SharedActivationsEqualSeparateRows) {
  // One image with two concepts (K = 2) gives the vectors of two rows with one concept each.
  auto in = make_inputs(2, 10, 4, 6, 12, 18, 4);
  OptimizerSettings s = small_settings(Mode::Reference);
  at::Tensor acts = in.acts.slice(0, 0, 1);
  at::Tensor masks2 = in.masks.view({1, 2, 12, 18});
  Targets shared = make_targets(masks2, 4, 6, s);
  Solution k2 = optimize({acts, shared.target, shared.positive_weight, torch::full({1, 2}, 3.0f)}, s);
  Targets sep = make_targets(masks2.view({2, 1, 12, 18}), 4, 6, s);
  Solution k1 = optimize({acts.expand({2, 10, 4, 6}).contiguous(), sep.target, sep.positive_weight,
                          torch::full({2, 1}, 3.0f)}, s);
  EXPECT_TRUE(torch::allclose(k2.vectors.view({2, 10}), k1.vectors.view({2, 10}), 1e-5, 1e-7));
}

TEST(Optimizer, InactiveAndNonFinitePairsStayContained) {
  auto in = make_inputs(4, 8, 4, 6, 4, 6, 5);
  OptimizerSettings s = small_settings(Mode::Native);
  Targets t = make_targets(in.masks, 4, 6, s);
  at::Tensor batch = torch::ones({4, 1});
  Solution clean = optimize({in.acts, t.target, t.positive_weight, batch}, s);

  at::Tensor acts = in.acts.clone();
  acts[1][3][2][2] = std::numeric_limits<float>::quiet_NaN();
  batch[2][0] = 0;  // not optimised
  Solution sol = optimize({acts, t.target, t.positive_weight, batch}, s);
  EXPECT_TRUE(torch::equal(sol.finite, torch::tensor({true, false, true, true}).unsqueeze(1)));
  EXPECT_TRUE(torch::equal(sol.vectors[2], torch::zeros({1, 8})));
  for (int64_t r : {0, 3}) EXPECT_TRUE(torch::allclose(sol.vectors[r], clean.vectors[r]));
}

TEST(Optimizer, SeparableConceptIsFound) {
  // The mask is exactly where channel 0 exceeds channel 1: a vector exists with IoU 1.
  torch::manual_seed(6);
  at::Tensor acts = torch::rand({3, 4, 8, 16});
  at::Tensor masks = (acts.select(1, 0) > acts.select(1, 1)).to(torch::kFloat32).unsqueeze(1);
  OptimizerSettings s;
  s.mode = Mode::Native;
  s.iterations = 200;
  Targets t = make_targets(masks, 8, 16, s);
  Solution sol = optimize({acts, t.target, t.positive_weight, torch::ones({3, 1})}, s);
  at::Tensor iou = mask_iou(sol.logits, masks, s.mode);  // what the engine reports
  EXPECT_GT(iou.min().item<float>(), 0.95) << iou;
  at::Tensor v = sol.vectors.squeeze(1);
  EXPECT_TRUE((v.select(1, 0) > 0).all().item<bool>());
  EXPECT_TRUE((v.select(1, 1) < 0).all().item<bool>());
}

TEST(Optimizer, LargeRowsGiveTheSameVectorsWithOneOrTwoPairsPerRow) {
  // Rows of several column chunks (row_products.cpp), with one pair per row and with two pairs
  // sharing a row (different kernel blocks): the same vectors.
  auto in = make_inputs(2, 256, 64, 64, 64, 64, 5);
  at::Tensor acts = in.acts.slice(0, 0, 1);
  at::Tensor masks2 = in.masks.view({1, 2, 64, 64});
  for (Mode mode : {Mode::Reference, Mode::Native}) {
    OptimizerSettings s = small_settings(mode);
    Targets shared = make_targets(masks2, 64, 64, s);
    Solution k2 = optimize({acts, shared.target, shared.positive_weight, torch::full({1, 2}, 3.0f)}, s);
    Targets sep = make_targets(masks2.view({2, 1, 64, 64}), 64, 64, s);
    Solution k1 = optimize({acts.expand({2, 256, 64, 64}).contiguous(), sep.target,
                            sep.positive_weight, torch::full({2, 1}, 3.0f)}, s);
    EXPECT_LT(max_relative_error(k1.vectors.view({2, 256}), k2.vectors.view({2, 256})), 1e-5)
        << to_string(mode);
    EXPECT_TRUE(torch::allclose(k1.logits.view({2, -1}), k2.logits.view({2, -1}), 1e-4, 1e-4));
  }
}
