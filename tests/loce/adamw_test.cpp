// The two ways of taking an AdamW step on the LoCE vectors agree: LibTorch's tensor operations
// (every device) and the element loop the fused CPU iteration calls block by block.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "loce/adamw.h"

using namespace loce::embedding;

TEST(AdamW, PiecewiseUpdatesEqualTheTensorStep) {
  torch::manual_seed(21);
  OptimizerSettings s;
  s.lr = 0.1;
  s.weight_decay = 0.01;
  at::Tensor start = torch::randn({2, 3, 50});
  at::Tensor whole = start.clone(), pieces = start.clone();
  AdamW a(whole, s), b(pieces, s);
  for (int step = 0; step < 6; ++step) {
    at::Tensor grad = torch::randn({2, 3, 50}) * (step % 2 ? 1e-3 : 10.0);
    a.step(whole, grad);
    b.begin_step();
    // Uneven runs, in no particular order.
    const at::Tensor g = grad.contiguous();
    for (auto [offset, count] : {std::pair<int64_t, int64_t>{200, 100}, {0, 7}, {7, 193}})
      b.update(pieces.data_ptr<float>(), g.data_ptr<float>() + offset, offset, count);
  }
  EXPECT_TRUE(torch::allclose(pieces, whole, 1e-5, 1e-7))
      << (pieces - whole).abs().max().item<float>();
  EXPECT_FALSE(torch::allclose(whole, start));
}

TEST(AdamW, UpdatesOutsideTheTensorAreErrors) {
  OptimizerSettings s;
  at::Tensor p = torch::zeros({10}), g = torch::zeros({10});
  AdamW a(p, s);
  a.begin_step();
  EXPECT_THROW(a.update(p.data_ptr<float>(), g.data_ptr<float>(), 5, 6), std::exception);
}
