#include "loce/benchmark.h"

#include <torch/torch.h>

#include "core/error.h"
#include "core/seed.h"
#include "core/timer.h"
#include "dist/self_communicator.h"
#include "loce/engine.h"
#include "loce/resize_matrices.h"

namespace loce::embedding {
namespace {

// Elliptic masks [n, K, H, W] (centres in [0.2, 0.8], radii in [0.1, 0.4] of the image).
at::Tensor ellipse_masks(int64_t n, int64_t K, int64_t H, int64_t W, at::Generator& gen) {
  auto u = [&](double lo, double hi) {
    return torch::rand({n, K, 1, 1}, gen, torch::kFloat32) * (hi - lo) + lo;
  };
  at::Tensor cy = u(0.2, 0.8) * H, cx = u(0.2, 0.8) * W, ry = u(0.1, 0.4) * H, rx = u(0.1, 0.4) * W;
  at::Tensor yy = torch::arange(H, torch::kFloat32).view({1, 1, H, 1});
  at::Tensor xx = torch::arange(W, torch::kFloat32).view({1, 1, 1, W});
  return ((yy - cy) / ry).pow(2) + ((xx - cx) / rx).pow(2) <= 1.0;
}

}  // namespace

BenchResult run_bench_case(const BenchCase& c, const OptimizerSettings& s,
                           const c10::Device& device, uint64_t seed) {
  LOCE_CHECK(c.pairs % c.concepts_per_row == 0, "bench: pairs must be a multiple of concepts");
  const int64_t rows = c.pairs / c.concepts_per_row, K = c.concepts_per_row;
  at::Generator gen = make_generator(seed, 0, 17);
  at::Tensor masks = ellipse_masks(rows, K, c.mask_h, c.mask_w, gen).to(torch::kUInt8);
  at::Tensor on_grid = resize_nearest(masks.to(torch::kFloat32), c.act_h, c.act_w);
  at::Tensor gain = torch::randn({1, c.channels, 1, 1}, gen, torch::kFloat32);
  at::Tensor acts = torch::randn({rows, c.channels, c.act_h, c.act_w}, gen, torch::kFloat32);
  acts = torch::relu(acts + 0.5 * gain * (2.0 * on_grid.mean(1, true) - 1.0)).to(device);

  RowSource src;
  src.rows = rows;
  src.slots = K;
  src.channels = c.channels;
  src.act_h = c.act_h;
  src.act_w = c.act_w;
  src.mask_h = c.mask_h;
  src.mask_w = c.mask_w;
  src.activations = [&](int64_t first, int64_t count) { return acts.slice(0, first, first + count); };
  src.masks = [&](int64_t first, int64_t count) { return masks.slice(0, first, first + count); };

  dist::SelfCommunicator self;
  Timer timer;
  EmbedResult r = run_embedding(src, s, device, self);  // ends with the results on the host
  BenchResult out;
  out.seconds = timer.seconds();
  out.loces = r.vectors.size(0);
  return out;
}

}  // namespace loce::embedding
