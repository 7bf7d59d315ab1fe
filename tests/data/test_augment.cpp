#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/seed.h"
#include "data/augment.h"

using namespace loce;
using namespace loce::data;

namespace {

at::Tensor images(int64_t b = 4, int64_t h = 32, int64_t w = 64) {
  auto g = make_generator(7, 0, 1);
  return at::rand({b, 3, h, w}, g, at::kFloat);
}

// A full Barlow-style pipeline, used to check determinism of the whole chain.
at::Tensor pipeline(const at::Tensor& x, at::Generator& gen) {
  const int64_t B = x.size(0), H = x.size(2), W = x.size(3);
  auto v = resized_crop(x, sample_crop_boxes(B, H, W, gen), H, W);
  v = hflip(v, sample_apply_mask(B, 0.5, gen));
  v = color_jitter(v, sample_color_jitter(B, 0.4, 0.4, 0.2, 0.1, 0.8, gen));
  v = grayscale(v, sample_apply_mask(B, 0.2, gen));
  v = gaussian_blur(v, sample_uniform(B, 0.1, 2.0, gen), sample_apply_mask(B, 0.5, gen), 13);
  v = solarize(v, sample_apply_mask(B, 0.2, gen));
  return gaussian_noise(v, 0.1, gen);
}

}  // namespace

TEST(Augment, SameSeedRankStepGivesIdenticalBatches) {
  auto x = images();
  auto g1 = make_generator(42, 1, 100), g2 = make_generator(42, 1, 100);
  EXPECT_TRUE(torch::equal(pipeline(x, g1), pipeline(x, g2)));
  auto g3 = make_generator(42, 0, 100), g4 = make_generator(42, 1, 101);
  EXPECT_FALSE(torch::equal(pipeline(x, g1 = make_generator(42, 1, 100)), pipeline(x, g3)));
  EXPECT_FALSE(torch::equal(pipeline(x, g1 = make_generator(42, 1, 100)), pipeline(x, g4)));
}

TEST(Augment, CropBoxesLieInsideTheImageAndVary) {
  auto g = make_generator(3, 0, 0);
  auto boxes = sample_crop_boxes(256, 32, 64, g);
  auto top = boxes.select(1, 0), left = boxes.select(1, 1), h = boxes.select(1, 2), w = boxes.select(1, 3);
  EXPECT_TRUE((top >= 0).all().item<bool>());
  EXPECT_TRUE((left >= 0).all().item<bool>());
  EXPECT_TRUE((top + h <= 32).all().item<bool>());
  EXPECT_TRUE((left + w <= 64).all().item<bool>());
  EXPECT_TRUE((h >= 1).all().item<bool>());
  auto area = (h * w / (32.0 * 64.0));
  EXPECT_LT(area.min().item<float>(), 0.3);
  EXPECT_GT(area.max().item<float>(), 0.7);
}

TEST(Augment, WholeImageBoxIsIdentityAndLabelsFollowTheCrop) {
  auto x = images(2);
  auto whole = torch::tensor({{0.f, 0.f, 32.f, 64.f}, {0.f, 0.f, 32.f, 64.f}});
  EXPECT_TRUE(torch::allclose(resized_crop(x, whole, 32, 64), x, 1e-5, 1e-5));
  // Labels: left half class 1, right half class 2; a crop of the right half is all 2, and an
  // upscaled crop never invents values between classes.
  auto labels = torch::ones({2, 32, 64}, torch::kUInt8);
  labels.slice(2, 32) = 2;
  auto right = torch::tensor({{0.f, 32.f, 32.f, 32.f}, {4.f, 30.f, 10.f, 7.f}});
  auto out = resized_crop_labels(labels, right, 32, 64);
  EXPECT_EQ(out.scalar_type(), torch::kUInt8);
  EXPECT_TRUE((out[0] == 2).all().item<bool>());
  EXPECT_TRUE(((out[1] == 1) | (out[1] == 2)).all().item<bool>());
  EXPECT_TRUE((out[1] == 1).any().item<bool>());
}

TEST(Augment, FlipMirrorsOnlyMaskedSamplesAndLabelsFollow) {
  auto x = images(2);
  auto labels = torch::arange(64, torch::kUInt8).view({1, 1, 64}).expand({2, 32, 64}).contiguous();
  auto mask = torch::tensor({true, false});
  auto fx = hflip(x, mask);
  auto fl = hflip(labels, mask);
  EXPECT_TRUE(torch::equal(fx[0], x[0].flip({-1})));
  EXPECT_TRUE(torch::equal(fx[1], x[1]));
  EXPECT_EQ(fl[0][0][0].item<int>(), 63);
  EXPECT_EQ(fl[1][0][0].item<int>(), 0);
}

TEST(Augment, GrayscaleUsesLumaWeights) {
  auto x = torch::zeros({2, 3, 4, 4});
  x.select(1, 0).fill_(1.0);  // pure red
  auto g = grayscale(x, torch::tensor({true, false}));
  EXPECT_NEAR(g[0][1][0][0].item<float>(), 0.2989f, 1e-6);
  EXPECT_TRUE(torch::equal(g[0][0], g[0][2]));
  EXPECT_TRUE(torch::equal(g[1], x[1]));
}

TEST(Augment, ColorJitterIdentityFactorsKeepTheImageAndRangesHold) {
  auto x = images(3);
  JitterParams id{torch::ones({3}), torch::ones({3}), torch::ones({3}), torch::zeros({3}),
                  torch::ones({3}, torch::kBool)};
  EXPECT_TRUE(torch::allclose(color_jitter(x, id), x, 1e-5, 1e-5));
  // Brightness 0.5 halves every value; a hue shift of 1/3 maps pure red to pure green.
  auto red = torch::zeros({1, 3, 2, 2});
  red.select(1, 0).fill_(1.0);
  JitterParams shift{torch::ones({1}), torch::ones({1}), torch::ones({1}),
                     torch::full({1}, 1.0 / 3.0), torch::ones({1}, torch::kBool)};
  auto green = color_jitter(red, shift);
  EXPECT_NEAR(green[0][1][0][0].item<float>(), 1.0f, 1e-5);
  EXPECT_NEAR(green[0][0][0][0].item<float>(), 0.0f, 1e-5);
  JitterParams dim{torch::full({3}, 0.5), torch::ones({3}), torch::ones({3}), torch::zeros({3}),
                   torch::tensor({true, true, false})};
  auto d = color_jitter(x, dim);
  EXPECT_TRUE(torch::allclose(d[0], x[0] * 0.5, 1e-5, 1e-5));
  EXPECT_TRUE(torch::equal(d[2], x[2]));
  auto g = make_generator(1, 0, 0);
  auto j = color_jitter(x, sample_color_jitter(3, 0.4, 0.4, 0.2, 0.1, 1.0, g));
  EXPECT_GE(j.min().item<float>(), 0.0f);
  EXPECT_LE(j.max().item<float>(), 1.0f);
}

TEST(Augment, BlurKeepsConstantImagesAndSmoothsEdges) {
  auto flat = torch::full({2, 3, 16, 16}, 0.25);
  auto all = torch::ones({2}, torch::kBool);
  EXPECT_TRUE(torch::allclose(gaussian_blur(flat, torch::tensor({0.5f, 2.0f}), all, 13), flat, 1e-5, 1e-6));
  auto edge = torch::zeros({2, 3, 16, 16});
  edge.slice(3, 8).fill_(1.0);
  auto b = gaussian_blur(edge, torch::tensor({0.1f, 2.0f}), all, 13);
  EXPECT_NEAR(b[0][0][5][7].item<float>(), 0.0f, 1e-4);        // tiny sigma: nearly untouched
  EXPECT_GT(b[1][0][5][7].item<float>(), 0.2f);                // wide sigma: mixed
  EXPECT_TRUE(torch::equal(gaussian_blur(edge, torch::tensor({2.f, 2.f}), torch::zeros({2}, torch::kBool), 13), edge));
}

TEST(Augment, SolarizeInvertsBrightPixels) {
  auto x = torch::tensor({0.2f, 0.6f}).view({1, 1, 1, 2}).expand({2, 3, 1, 2}).contiguous();
  auto s = solarize(x, torch::tensor({true, false}));
  EXPECT_NEAR(s[0][0][0][0].item<float>(), 0.2f, 1e-6);
  EXPECT_NEAR(s[0][0][0][1].item<float>(), 0.4f, 1e-6);
  EXPECT_NEAR(s[1][0][0][1].item<float>(), 0.6f, 1e-6);
}

TEST(Augment, GaussianNoiseHasTheRequestedSigma) {
  auto x = torch::full({8, 3, 32, 32}, 0.5);
  auto g = make_generator(5, 0, 0);
  auto n = gaussian_noise(x, 0.1, g) - x;
  EXPECT_NEAR(n.std().item<float>(), 0.1f, 0.005);
  EXPECT_NEAR(n.mean().item<float>(), 0.0f, 0.005);
}

TEST(Augment, NormalizeUsesImageNetStatistics) {
  auto x = torch::zeros({1, 3, 1, 1});
  x[0][0] = 0.485;
  auto n = normalize(x);
  EXPECT_NEAR(n[0][0][0][0].item<float>(), 0.0f, 1e-6);
  EXPECT_NEAR(n[0][1][0][0].item<float>(), -0.456f / 0.224f, 1e-5);
}

TEST(Augment, DeviceGeneratorIsDeterminedByTheGeneratorItIsSeededFrom) {
  auto a = make_generator(5, 0, 0), b = make_generator(5, 0, 0), c = make_generator(6, 0, 0);
  auto ga = device_generator(a, torch::kCPU), gb = device_generator(b, torch::kCPU),
       gc = device_generator(c, torch::kCPU);
  auto x = at::randn({64}, ga, at::kFloat), y = at::randn({64}, gb, at::kFloat),
       z = at::randn({64}, gc, at::kFloat);
  EXPECT_TRUE(torch::equal(x, y));
  EXPECT_FALSE(torch::equal(x, z));
  // The draw advanced the seeding generator: the next one differs.
  EXPECT_FALSE(torch::equal(x, at::randn({64}, device_generator(a, torch::kCPU), at::kFloat)));
}

// On a CUDA device (tools/gpu/check.sh runs the OnGpu tests): the whole augmentation chain runs
// there, its noise drawn on the device, reproducibly from the step's generator.
TEST(OnGpu, AugmentationChainRunsOnTheDeviceReproducibly) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  auto x = images().to(torch::kCUDA);
  auto g1 = make_generator(3, 0, 9), g2 = make_generator(3, 0, 9), g3 = make_generator(4, 0, 9);
  auto a = pipeline(x, g1), b = pipeline(x, g2), c = pipeline(x, g3);
  EXPECT_TRUE(a.is_cuda());
  EXPECT_TRUE(torch::equal(a, b));
  EXPECT_FALSE(torch::equal(a, c));
  auto flat = torch::full({8, 3, 32, 32}, 0.5, torch::TensorOptions().device(torch::kCUDA));
  auto n = (gaussian_noise(flat, 0.1, g1) - flat).cpu();
  EXPECT_NEAR(n.std().item<float>(), 0.1f, 0.005);
  EXPECT_NEAR(n.mean().item<float>(), 0.0f, 0.005);
}
