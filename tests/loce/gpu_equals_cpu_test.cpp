// On a CUDA build with a GPU: the LoCE optimiser gives the CPU's vectors in both modes (the GPU
// through batched tensor products, the CPU through its streaming kernels and sparse resizes), for
// small rows and for rows of several column chunks. Skipped elsewhere.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "loce/optimizer.h"
#include "loce/targets.h"

using namespace loce::embedding;

TEST(GpuEqualsCpu, OptimiserBothModes) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  torch::manual_seed(5);
  for (auto shape : {std::vector<int64_t>{6, 64, 8, 16}, std::vector<int64_t>{2, 256, 64, 64}}) {
    const int64_t n = shape[0], C = shape[1], h = shape[2], w = shape[3];
    at::Tensor masks = (torch::rand({n, 1, h * 2, w * 2}) < 0.4).to(torch::kFloat32);
    at::Tensor acts = torch::relu(torch::randn({n, C, h, w}));
    for (Mode mode : {Mode::Reference, Mode::Native}) {
      OptimizerSettings s;
      s.mode = mode;
      s.iterations = 20;
      Targets t = make_targets(masks, h, w, s);
      at::Tensor batch = torch::full({n, 1}, double(n));
      Solution cpu = optimize({acts, t.target, t.positive_weight, batch}, s);
      Targets tg = make_targets(masks.cuda(), h, w, s);
      Solution gpu = optimize({acts.cuda(), tg.target, tg.positive_weight, batch.cuda()}, s);
      double err = ((cpu.vectors - gpu.vectors.cpu()).norm(2, -1) / cpu.vectors.norm(2, -1))
                       .max().item<double>();
      EXPECT_LT(err, 1e-4) << to_string(mode) << " C " << C << " " << h << "x" << w;
    }
  }
}
