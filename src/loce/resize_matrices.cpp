#include "loce/resize_matrices.h"

#include <torch/torch.h>

#include <cmath>
#include <vector>

#include "core/error.h"

namespace loce::embedding {
namespace {

void check_sizes(int64_t in, int64_t out, const char* what) {
  LOCE_CHECK(in > 0 && out > 0, what, ": sizes must be positive (in ", in, ", out ", out, ")");
}

// scipy.ndimage's 'mirror' extension (whole-sample symmetric), for any offset: the extended
// signal has period 2n - 2.
int64_t mirror_index(int64_t j, int64_t n) {
  if (n == 1) return 0;
  const int64_t period = 2 * n - 2;
  j %= period;
  if (j < 0) j += period;
  return j >= n ? period - j : j;
}

// scipy.ndimage.gaussian_filter1d(mode='mirror', truncate=4.0) as a matrix [n, n].
at::Tensor gaussian_matrix(int64_t n, double sigma) {
  const int64_t radius = int64_t(4.0 * sigma + 0.5);
  std::vector<double> kernel(2 * radius + 1);
  double sum = 0;
  for (int64_t t = -radius; t <= radius; ++t) {
    kernel[t + radius] = std::exp(-0.5 / (sigma * sigma) * double(t * t));
    sum += kernel[t + radius];
  }
  at::Tensor g = torch::zeros({n, n}, torch::kFloat64);
  auto a = g.accessor<double, 2>();
  for (int64_t i = 0; i < n; ++i)
    for (int64_t t = -radius; t <= radius; ++t) a[i][mirror_index(i + t, n)] += kernel[t + radius] / sum;
  return g;
}

}  // namespace

at::Tensor bilinear_matrix(int64_t in, int64_t out) {
  check_sizes(in, out, "bilinear_matrix");
  at::Tensor m = torch::zeros({out, in}, torch::kFloat64);
  auto a = m.accessor<double, 2>();
  // PyTorch rounds the scale to float (the tensor's type) and evaluates the source index with
  // it; doing the same keeps the weights equal to torch's instead of 1e-5 apart at 128 -> 100.
  const double scale = double(float(in) / float(out));
  for (int64_t i = 0; i < out; ++i) {
    double x = std::max(0.0, scale * (double(i) + 0.5) - 0.5);
    int64_t x0 = std::min(int64_t(x), in - 1);
    int64_t x1 = std::min(x0 + 1, in - 1);
    double t = x - double(x0);
    a[i][x0] += 1.0 - t;
    a[i][x1] += t;
  }
  return m;
}

at::Tensor skimage_resize_matrix(int64_t in, int64_t out) {
  check_sizes(in, out, "skimage_resize_matrix");
  at::Tensor m = torch::zeros({out, in}, torch::kFloat64);
  auto a = m.accessor<double, 2>();
  const double scale = double(in) / double(out);
  for (int64_t i = 0; i < out; ++i) {
    double x = (double(i) + 0.5) * scale - 0.5;
    double x0 = std::floor(x);
    double t = x - x0;
    a[i][mirror_index(int64_t(x0), in)] += 1.0 - t;
    a[i][mirror_index(int64_t(x0) + 1, in)] += t;
  }
  // skimage pre-filters only shrinking axes (sigma is 0 otherwise, and scipy skips sigma 0).
  if (out < in) m = m.matmul(gaussian_matrix(in, (scale - 1.0) / 2.0));
  return m;
}

at::Tensor area_matrix(int64_t in, int64_t out) {
  check_sizes(in, out, "area_matrix");
  at::Tensor m = torch::zeros({out, in}, torch::kFloat64);
  auto a = m.accessor<double, 2>();
  const double cell = double(in) / double(out);
  for (int64_t i = 0; i < out; ++i) {
    const double lo = double(i) * cell, hi = double(i + 1) * cell;
    for (int64_t y = int64_t(std::floor(lo)); y < in && double(y) < hi; ++y) {
      double overlap = std::min(hi, double(y + 1)) - std::max(lo, double(y));
      if (overlap > 0) a[i][y] += overlap / cell;
    }
  }
  return m;
}

at::Tensor nearest_matrix(int64_t in, int64_t out) {
  check_sizes(in, out, "nearest_matrix");
  at::Tensor m = torch::zeros({out, in}, torch::kFloat64);
  auto a = m.accessor<double, 2>();
  // floor((i + 0.5) * in / out) in integers.
  for (int64_t i = 0; i < out; ++i) a[i][std::min(in - 1, ((2 * i + 1) * in) / (2 * out))] = 1.0;
  return m;
}

at::Tensor resize_separable(const at::Tensor& x, const at::Tensor& rows, const at::Tensor& cols) {
  LOCE_CHECK(x.dim() >= 2 && x.size(-2) == rows.size(1) && x.size(-1) == cols.size(1),
             "resize_separable: input ", x.sizes(), " does not match matrices ", rows.sizes(),
             " and ", cols.sizes());
  auto opts = x.options();
  at::Tensor r = rows.to(opts), c = cols.to(opts);
  // Columns first: X C^T folds the leading dimensions into one GEMM.
  return torch::matmul(r, torch::matmul(x, c.t()));
}

at::Tensor resize_nearest(const at::Tensor& x, int64_t h, int64_t w) {
  return resize_separable(x, nearest_matrix(x.size(-2), h), nearest_matrix(x.size(-1), w));
}

}  // namespace loce::embedding
