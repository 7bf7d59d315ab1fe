// The CPU kernels of every LoCE iteration against plain tensor products: the streaming
// products with each row's activations, and the sparse axis resizes.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <string>

#include "loce/axis_resize.h"
#include "loce/resize_matrices.h"
#include "loce/row_products.h"

using namespace loce::embedding;

namespace {

double relative_error(const at::Tensor& got, const at::Tensor& want) {
  return ((got.to(torch::kFloat64) - want).norm() / want.norm()).item<double>();
}

// Restores LibTorch's thread count after a test that changes it.
struct ThreadCount {
  int saved = at::get_num_threads();
  ~ThreadCount() { at::set_num_threads(saved); }
};

}  // namespace

TEST(RowProducts, StreamingKernelsEqualBatchedProducts) {
  torch::manual_seed(11);
  // K covers one block, a block and a remainder, and several blocks of both kernels; C is not a
  // multiple of their row blocks, hw not of the vector width nor of the column chunk.
  for (int64_t K : {1, 2, 5, 7, 13}) {
    for (auto [C, hw] : {std::pair<int64_t, int64_t>{37, 1100}, {64, 16}, {5, 3}}) {
      at::Tensor a = torch::randn({3, C, hw});
      at::Tensor v = torch::randn({3, K, C}), r = torch::randn({3, K, hw});
      at::Tensor z = project_rows(a, v, RowProductKernel::StreamCpu);
      at::Tensor g = back_project_rows(a, r, RowProductKernel::StreamCpu);
      at::Tensor a64 = a.to(torch::kFloat64);
      EXPECT_LT(relative_error(z, torch::bmm(v.to(torch::kFloat64), a64)), 1e-6)
          << "K " << K << " C " << C << " hw " << hw;
      EXPECT_LT(relative_error(g, torch::bmm(r.to(torch::kFloat64), a64.transpose(1, 2))), 1e-6)
          << "K " << K << " C " << C << " hw " << hw;
      EXPECT_TRUE(torch::allclose(project_rows(a, v, RowProductKernel::Bmm), z, 1e-4, 1e-4));
    }
  }
}

TEST(RowProducts, ResultsDoNotDependOnTheThreadCount) {
  ThreadCount restore;
  torch::manual_seed(12);
  // One row and two: how one row's columns are chunked depends on the thread count.
  for (int64_t n : {1, 2}) {
    at::Tensor a = torch::randn({n, 70, 2500}), v = torch::randn({n, 5, 70}),
               r = torch::randn({n, 5, 2500});
    at::set_num_threads(1);
    const at::Tensor z1 = project_rows(a, v), g1 = back_project_rows(a, r);
    for (int threads : {2, 3}) {
      at::set_num_threads(threads);
      EXPECT_TRUE(torch::equal(project_rows(a, v), z1)) << n << " rows, " << threads << " threads";
      EXPECT_TRUE(torch::equal(back_project_rows(a, r), g1)) << n << " rows, " << threads << " threads";
    }
  }
}

TEST(RowProducts, SubnormalGradientsCountAsZeroAndTheThreadModeIsRestored) {
  torch::manual_seed(13);
  at::Tensor a = torch::randn({1, 8, 64});
  at::Tensor r = torch::zeros({1, 2, 64});
  r.select(2, 5).fill_(1e-39f);  // subnormal: read as zero, so every product is exactly zero
  r.select(2, 9).fill_(-3e-39f);
  EXPECT_EQ(back_project_rows(a, r).abs().max().item<float>(), 0.0f);
  EXPECT_GT(back_project_rows(a, r, RowProductKernel::Bmm).abs().max().item<float>(), 0.0f);
  // The caller's own arithmetic keeps gradual underflow.
  volatile float x = 1e-38f;
  EXPECT_GT(x * 0.01f, 0.0f);
}

TEST(RowProducts, ShapesThatDoNotFitAreErrors) {
  at::Tensor a = torch::randn({2, 4, 10});
  EXPECT_THROW(project_rows(a, torch::randn({2, 1, 5})), std::exception);
  EXPECT_THROW(back_project_rows(a, torch::randn({1, 1, 10})), std::exception);
  EXPECT_THROW(project_rows(a.to(torch::kFloat64), torch::randn({2, 1, 4}, torch::kFloat64),
                            RowProductKernel::StreamCpu),
               std::exception);
}

TEST(AxisResize, SparseLoopsEqualDenseProducts) {
  torch::manual_seed(14);
  for (auto [in, out] : {std::pair<int64_t, int64_t>{8, 100}, {128, 100}, {64, 100}, {7, 7}}) {
    const at::Tensor M = bilinear_matrix(in, out).to(torch::kFloat32);
    for (const at::Tensor& m : {M, M.t()}) {  // the resize and its transpose (the gradient)
      AxisResize resize(m);
      at::Tensor x = torch::randn({3, 5, m.size(1)});
      EXPECT_LT(relative_error(resize.last_axis(x),
                               torch::matmul(x.to(torch::kFloat64), m.t().to(torch::kFloat64))),
                1e-6);
      at::Tensor y = torch::randn({3, m.size(1), 9});
      EXPECT_LT(relative_error(resize.middle_axis(y),
                               torch::matmul(m.to(torch::kFloat64), y.to(torch::kFloat64))),
                1e-6);
      // Tensors the loops do not take (float64 here) go through the dense product.
      EXPECT_TRUE(torch::allclose(resize.last_axis(x.to(torch::kFloat64)).to(torch::kFloat32),
                                  resize.last_axis(x), 1e-5, 1e-6));
    }
  }
}

TEST(AxisResize, RowsWithFewerNonzerosAndNoneArePadded) {
  torch::manual_seed(15);
  // Outputs with 0, 1 and several taps: the loops pad every output to the longest.
  at::Tensor m = torch::randn({6, 11}) * (torch::rand({6, 11}) > 0.6).to(torch::kFloat32);
  m[0].zero_();
  m[1].zero_();
  m[1][10] = 0.5;
  m[2].fill_(0.25);
  AxisResize resize(m);
  at::Tensor x = torch::randn({4, 11}), y = torch::randn({2, 11, 5});
  EXPECT_LT(relative_error(resize.last_axis(x), torch::matmul(x.to(torch::kFloat64),
                                                              m.t().to(torch::kFloat64))),
            1e-6);
  EXPECT_LT(relative_error(resize.middle_axis(y),
                           torch::matmul(m.to(torch::kFloat64), y.to(torch::kFloat64))),
            1e-6);
  EXPECT_TRUE(torch::equal(resize.last_axis(x).select(1, 0), torch::zeros({4})));  // no taps
}

TEST(AxisResize, ResultsDoNotDependOnTheThreadCount) {
  ThreadCount restore;
  torch::manual_seed(16);
  // Large enough to be split over threads (small resizes run on the calling thread).
  AxisResize resize(bilinear_matrix(128, 100).to(torch::kFloat32));
  AxisResize up(bilinear_matrix(64, 100).to(torch::kFloat32));
  at::Tensor x = torch::randn({2048, 128}), y = torch::randn({8, 64, 1000});
  at::set_num_threads(1);
  const at::Tensor last1 = resize.last_axis(x), middle1 = up.middle_axis(y);
  at::set_num_threads(2);
  EXPECT_TRUE(torch::equal(resize.last_axis(x), last1));
  EXPECT_TRUE(torch::equal(up.middle_axis(y), middle1));
  EXPECT_LT(relative_error(last1, torch::matmul(x.to(torch::kFloat64),
                                                bilinear_matrix(128, 100).t())),
            1e-6);
}

TEST(RowProducts, FusedIterationEqualsTheSeparateProducts) {
  ThreadCount restore;
  torch::manual_seed(17);
  // C: less than one channel block, blocks and a remainder, more blocks than parts; K: one,
  // one concept block of each kernel, several.
  for (int64_t K : {1, 5, 7}) {
    for (auto [C, hw] : {std::pair<int64_t, int64_t>{9, 40}, {37, 1100}, {300, 130}}) {
      at::Tensor a = torch::randn({2, C, hw}), r = torch::randn({2, K, hw});
      at::Tensor v0 = torch::randn({2, K, C});
      // The update: a plain gradient step, so the expected vectors are easy to write down.
      const at::Tensor want_v = v0 - 0.1 * back_project_rows(a, r, RowProductKernel::Bmm);
      const at::Tensor want_z =
          torch::bmm(want_v.to(torch::kFloat64), a.to(torch::kFloat64));
      at::Tensor first_z;
      for (int threads : {1, 2, 3}) {
        at::set_num_threads(threads);
        at::Tensor v = v0.clone();
        float* vp = v.data_ptr<float>();
        at::Tensor z = back_project_update_project(
            a, r, v, [&](int64_t row, int64_t c0, int64_t c1, const float* g) {
              for (int64_t k = 0; k < K; ++k)
                for (int64_t c = c0; c < c1; ++c) vp[(row * K + k) * C + c] -= 0.1f * g[k * C + c];
            });
        const std::string where = "K " + std::to_string(K) + " C " + std::to_string(C) +
                                  " hw " + std::to_string(hw) + " threads " +
                                  std::to_string(threads);
        EXPECT_TRUE(torch::allclose(v, want_v, 1e-4, 1e-5)) << where;
        EXPECT_LT(relative_error(z, want_z), 1e-6) << where;
        if (threads == 1) first_z = z;
        else EXPECT_TRUE(torch::equal(z, first_z)) << where;
      }
    }
  }
}

TEST(RowProducts, FusedIterationTakesFloat32CpuVectorsOnly) {
  at::Tensor a = torch::randn({1, 4, 8}), r = torch::randn({1, 2, 8});
  const ChannelBlockUpdate none = [](int64_t, int64_t, int64_t, const float*) {};
  EXPECT_THROW(back_project_update_project(a, r, torch::zeros({1, 2, 4}, torch::kFloat64), none),
               std::exception);
  EXPECT_THROW(back_project_update_project(a, r, torch::zeros({1, 3, 4}), none), std::exception);
  EXPECT_THROW(back_project_update_project(a.to(torch::kFloat64), r, torch::zeros({1, 2, 4}), none),
               std::exception);
}
