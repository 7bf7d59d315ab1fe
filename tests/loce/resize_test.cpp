// The resize matrices against the libraries they stand in for: scikit-image's resize (expected
// values committed in data/skimage_resize_cases.h5, made by data/make_skimage_cases.py) and
// torch's bilinear interpolation (computed here).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/hdf5.h"
#include "loce/loce_test_data.h"
#include "loce/resize_matrices.h"
#include "loce/torch_bilinear.h"

using namespace loce;
using namespace loce::embedding;

TEST(ResizeMatrices, SkimageResizeMatchesScikitImage) {
  auto f = h5::File::open(test::loce_data_file("skimage_resize_cases.h5"));
  int cases = 0;
  for (int i = 0; h5::exists(f, "/case_" + std::to_string(i)); ++i, ++cases) {
    const std::string g = "/case_" + std::to_string(i);
    at::Tensor x = h5::read_tensor(f, g + "/input");
    at::Tensor expected = h5::read_tensor(f, g + "/expected");
    at::Tensor ours = resize_separable(x, skimage_resize_matrix(x.size(0), expected.size(0)),
                                       skimage_resize_matrix(x.size(1), expected.size(1)));
    ours = ours.clamp(x.min().item<double>(), x.max().item<double>());
    EXPECT_LT((ours - expected).abs().max().item<double>(), 1e-12) << g << " " << x.sizes();
    // alpha = 1 - mean(target > 0) must see exactly the same support.
    EXPECT_TRUE(torch::equal(ours > 0, expected > 0)) << g;
  }
  EXPECT_EQ(cases, 6);
}

TEST(ResizeMatrices, BilinearMatchesTorchInterpolate) {
  torch::manual_seed(3);
  for (auto [h, w, oh, ow] : std::vector<std::array<int64_t, 4>>{
           {8, 16, 100, 100}, {64, 128, 100, 100}, {3, 5, 7, 2}, {1, 4, 3, 4}}) {
    // torch computes its interpolation weights in float32 for float32 input, and LibTorch 2.x
    // rounds them differently from 1.13: 64x128 -> 100x100 differed by 2e-6 with 1.13 and by
    // 1.6e-5 with 2.6 (Debian 13), for values of N(0, 1). Both are far inside the 1e-3 to which
    // the reference mode reproduces the published vectors (reference_vectors_test.cpp).
    at::Tensor x = torch::randn({2, 3, h, w});
    at::Tensor expected = test::torch_bilinear(x, oh, ow);
    at::Tensor ours = resize_separable(x, bilinear_matrix(h, oh), bilinear_matrix(w, ow));
    EXPECT_LT((ours - expected).abs().max().item<float>(), 5e-5) << h << "x" << w;
  }
}

TEST(ResizeMatrices, AreaGivesCoveredFraction) {
  // 6 -> 4: cells of 1.5 pixels.
  at::Tensor a = area_matrix(6, 4);
  at::Tensor expected = torch::tensor({{2. / 3, 1. / 3, 0., 0., 0., 0.},
                                       {0., 1. / 3, 2. / 3, 0., 0., 0.},
                                       {0., 0., 0., 2. / 3, 1. / 3, 0.},
                                       {0., 0., 0., 0., 1. / 3, 2. / 3}},
                                      torch::kFloat64);
  EXPECT_TRUE(torch::allclose(a, expected, 0, 1e-12)) << a;
  // Integer factor: plain averaging.
  at::Tensor x = torch::rand({8, 16}, torch::kFloat64);
  at::Tensor pooled = torch::avg_pool2d(x.view({1, 1, 8, 16}), {4, 4}).view({2, 4});
  EXPECT_TRUE(torch::allclose(resize_separable(x, area_matrix(8, 2), area_matrix(16, 4)), pooled));
}

TEST(ResizeMatrices, NearestPicksThePixelUnderEachCellCentre) {
  at::Tensor n = nearest_matrix(128, 8);
  for (int64_t i = 0; i < 8; ++i) EXPECT_EQ(n[i].argmax().item<int64_t>(), i * 16 + 8);
  at::Tensor up = nearest_matrix(3, 7);
  std::vector<int64_t> expected = {0, 0, 1, 1, 1, 2, 2};  // floor((i + 0.5) * 3 / 7)
  for (int64_t i = 0; i < 7; ++i) EXPECT_EQ(up[i].argmax().item<int64_t>(), expected[i]);
  // The same choice as torch's 'nearest-exact'.
  at::Tensor x = torch::arange(37 * 53, torch::kFloat64).view({1, 1, 37, 53});
  at::Tensor torch_nearest = torch::nn::functional::interpolate(
      x, torch::nn::functional::InterpolateFuncOptions()
             .size(std::vector<int64_t>{9, 20})
             .mode(torch::kNearestExact));
  EXPECT_TRUE(torch::equal(resize_nearest(x, 9, 20), torch_nearest));
}
