#include "data/augment.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/seed.h"
#include "core/to_device.h"

namespace loce::data {

namespace {

const at::TensorOptions kCpuFloat = at::TensorOptions().dtype(at::kFloat);
const at::TensorOptions kCpuDouble = at::TensorOptions().dtype(at::kDouble);

void check_images(const at::Tensor& x, const char* where) {
  LOCE_CHECK(x.dim() == 4 && x.size(1) == 3 && x.is_floating_point(), where,
             ": expected a float [B, 3, H, W] batch, got ", x.sizes(), " ", x.scalar_type());
}

// A per-sample [B] tensor as a broadcastable [B, 1, 1, 1] (or [B, 1, 1] for labels) on x's device.
at::Tensor per_sample(const at::Tensor& v, const at::Tensor& x) {
  std::vector<int64_t> shape(x.dim(), 1);
  shape[0] = v.size(0);
  auto out = to_device(v, x.device()).view(shape);
  return out.is_floating_point() ? out.to(x.scalar_type()) : out;
}

at::Tensor luma(const at::Tensor& x) {  // [B, 1, H, W]
  return 0.2989 * x.select(1, 0).unsqueeze(1) + 0.587 * x.select(1, 1).unsqueeze(1) +
         0.114 * x.select(1, 2).unsqueeze(1);
}

at::Tensor blend(const at::Tensor& x, const at::Tensor& other, const at::Tensor& ratio) {
  return (ratio * x + (1.0 - ratio) * other).clamp(0.0, 1.0);
}

// torchvision's _rgb2hsv / _hsv2rgb, batched over [B, 3, H, W].
at::Tensor rgb_to_hsv(const at::Tensor& x) {
  auto r = x.select(1, 0), g = x.select(1, 1), b = x.select(1, 2);
  auto maxc = std::get<0>(x.max(1)), minc = std::get<0>(x.min(1));
  auto eqc = maxc == minc;
  auto cr = maxc - minc;
  auto ones = at::ones_like(maxc);
  auto s = cr / at::where(eqc, ones, maxc);
  auto cr_div = at::where(eqc, ones, cr);
  auto rc = (maxc - r) / cr_div, gc = (maxc - g) / cr_div, bc = (maxc - b) / cr_div;
  auto is_r = maxc == r, is_g = (maxc == g) & ~is_r;
  auto is_b = ~is_g & ~is_r;
  auto h = is_r.to(x.scalar_type()) * (bc - gc) + is_g.to(x.scalar_type()) * (2.0 + rc - bc) +
           is_b.to(x.scalar_type()) * (4.0 + gc - rc);
  h = at::fmod(h / 6.0 + 1.0, 1.0);
  return at::stack({h, s, maxc}, 1);
}

at::Tensor hsv_to_rgb(const at::Tensor& hsv) {
  auto h = hsv.select(1, 0), s = hsv.select(1, 1), v = hsv.select(1, 2);
  auto i = at::floor(h * 6.0);
  auto f = h * 6.0 - i;
  auto sector = at::remainder(i.to(at::kLong), 6).unsqueeze(0);  // [1, B, H, W]
  auto p = (v * (1.0 - s)).clamp(0.0, 1.0);
  auto q = (v * (1.0 - s * f)).clamp(0.0, 1.0);
  auto t = (v * (1.0 - s * (1.0 - f))).clamp(0.0, 1.0);
  auto pick = [&](std::initializer_list<at::Tensor> candidates) {
    return at::stack(std::vector<at::Tensor>(candidates), 0).gather(0, sector).squeeze(0);
  };
  return at::stack({pick({v, q, p, p, t, v}), pick({t, v, v, q, p, p}), pick({p, p, t, v, v, q})},
                   1);
}

at::Tensor crop_grid(const at::Tensor& boxes, int64_t in_h, int64_t in_w, int64_t channels,
                     int64_t out_h, int64_t out_w, const at::Tensor& like) {
  LOCE_CHECK(boxes.dim() == 2 && boxes.size(1) == 4, "resized_crop: boxes must be [B, 4], got ",
             boxes.sizes());
  // Box (top, left, h, w) in pixels -> the affine map from output to input normalised
  // coordinates (align_corners = false: -1 and 1 are the outer pixel edges).
  auto b = boxes.to(at::kDouble);
  auto top = b.select(1, 0), left = b.select(1, 1), h = b.select(1, 2), w = b.select(1, 3);
  auto zero = at::zeros_like(top);
  auto row0 = at::stack({w / double(in_w), zero, (2.0 * left + w) / double(in_w) - 1.0}, 1);
  auto row1 = at::stack({zero, h / double(in_h), (2.0 * top + h) / double(in_h) - 1.0}, 1);
  auto theta = to_device(at::stack({row0, row1}, 1).to(like.scalar_type()), like.device());
  return at::affine_grid_generator(theta, {boxes.size(0), channels, out_h, out_w}, false);
}

}  // namespace

at::Tensor to_unit_float(const at::Tensor& images_u8) {
  LOCE_CHECK(images_u8.scalar_type() == at::kByte, "to_unit_float: expected uint8 images, got ",
             images_u8.scalar_type());
  return images_u8.to(at::kFloat).div_(255.0);
}

at::Tensor normalize(const at::Tensor& images) {
  check_images(images, "normalize");
  auto opts = images.options();
  auto mean = to_device(at::tensor({0.485, 0.456, 0.406}, kCpuDouble), images.device())
                  .to(opts).view({1, 3, 1, 1});
  auto stdev = to_device(at::tensor({0.229, 0.224, 0.225}, kCpuDouble), images.device())
                   .to(opts).view({1, 3, 1, 1});
  return (images - mean) / stdev;
}

at::Tensor sample_apply_mask(int64_t batch, double p, at::Generator& gen) {
  return at::rand({batch}, gen, kCpuDouble) < p;
}

at::Tensor sample_uniform(int64_t batch, double lo, double hi, at::Generator& gen) {
  return (at::rand({batch}, gen, kCpuDouble) * (hi - lo) + lo).to(at::kFloat);
}

at::Tensor sample_crop_boxes(int64_t batch, int64_t height, int64_t width, at::Generator& gen,
                             std::pair<double, double> scale, std::pair<double, double> ratio) {
  constexpr int64_t kTries = 10;
  const double area = double(height) * double(width);
  const double lr0 = std::log(ratio.first), lr1 = std::log(ratio.second);
  // Every draw is made for every sample whether or not it is used, so the generator advances by
  // the same amount for any image content: the stream stays aligned across runs and ranks.
  auto target = (at::rand({batch, kTries}, gen, kCpuDouble) * (scale.second - scale.first) +
                 scale.first) * area;
  auto aspect = at::exp(at::rand({batch, kTries}, gen, kCpuDouble) * (lr1 - lr0) + lr0) *
                (double(width) / double(height));
  auto w = at::round(at::sqrt(target * aspect));
  auto h = at::round(at::sqrt(target / aspect));
  auto ok = (w > 0) & (w <= double(width)) & (h > 0) & (h <= double(height));
  // The first acceptable try: the largest score among ok entries, scores decreasing with index.
  auto score = ok.to(at::kLong) * (kTries - at::arange(kTries, at::kLong)).unsqueeze(0);
  auto first = score.argmax(1, /*keepdim=*/true);
  auto found = ok.any(1);
  auto hh = at::where(found, h.gather(1, first).squeeze(1), at::full({batch}, double(height), kCpuDouble));
  auto ww = at::where(found, w.gather(1, first).squeeze(1), at::full({batch}, double(width), kCpuDouble));
  auto top = at::floor(at::rand({batch}, gen, kCpuDouble) * (double(height) - hh + 1.0));
  auto left = at::floor(at::rand({batch}, gen, kCpuDouble) * (double(width) - ww + 1.0));
  return at::stack({top, left, hh, ww}, 1).to(at::kFloat);
}

JitterParams sample_color_jitter(int64_t batch, double brightness, double contrast,
                                 double saturation, double hue, double p, at::Generator& gen) {
  JitterParams j;
  j.brightness = sample_uniform(batch, std::max(0.0, 1.0 - brightness), 1.0 + brightness, gen);
  j.contrast = sample_uniform(batch, std::max(0.0, 1.0 - contrast), 1.0 + contrast, gen);
  j.saturation = sample_uniform(batch, std::max(0.0, 1.0 - saturation), 1.0 + saturation, gen);
  j.hue = sample_uniform(batch, -hue, hue, gen);
  j.apply = sample_apply_mask(batch, p, gen);
  return j;
}

at::Tensor resized_crop(const at::Tensor& images, const at::Tensor& boxes, int64_t out_h,
                        int64_t out_w) {
  check_images(images, "resized_crop");
  auto grid = crop_grid(boxes, images.size(2), images.size(3), 3, out_h, out_w, images);
  return at::grid_sampler(images, grid, /*bilinear*/ 0, /*border*/ 1, false);
}

at::Tensor resized_crop_labels(const at::Tensor& labels, const at::Tensor& boxes, int64_t out_h,
                               int64_t out_w) {
  LOCE_CHECK(labels.dim() == 3, "resized_crop_labels: expected [B, H, W], got ", labels.sizes());
  auto as_float = labels.unsqueeze(1).to(at::kFloat);
  auto grid = crop_grid(boxes, labels.size(1), labels.size(2), 1, out_h, out_w, as_float);
  auto out = at::grid_sampler(as_float, grid, /*nearest*/ 1, /*border*/ 1, false);
  return at::round(out).squeeze(1).to(labels.scalar_type());
}

at::Tensor hflip(const at::Tensor& batch, const at::Tensor& mask) {
  return at::where(per_sample(mask, batch), batch.flip({-1}), batch);
}

at::Tensor grayscale(const at::Tensor& images, const at::Tensor& mask) {
  check_images(images, "grayscale");
  return at::where(per_sample(mask, images), luma(images).expand_as(images), images);
}

at::Tensor color_jitter(const at::Tensor& images, const JitterParams& j) {
  check_images(images, "color_jitter");
  auto x = (images * per_sample(j.brightness, images)).clamp(0.0, 1.0);
  auto mean = luma(x).mean({1, 2, 3}, /*keepdim=*/true);
  x = blend(x, mean, per_sample(j.contrast, x));
  x = blend(x, luma(x), per_sample(j.saturation, x));
  auto hsv = rgb_to_hsv(x);
  auto h = at::remainder(hsv.select(1, 0) + per_sample(j.hue, hsv).squeeze(1), 1.0);
  x = hsv_to_rgb(at::stack({h, hsv.select(1, 1), hsv.select(1, 2)}, 1));
  return at::where(per_sample(j.apply, images), x, images);
}

at::Tensor gaussian_blur(const at::Tensor& images, const at::Tensor& sigma,
                         const at::Tensor& mask, int64_t kernel_size) {
  check_images(images, "gaussian_blur");
  LOCE_CHECK(kernel_size % 2 == 1, "gaussian_blur: kernel size must be odd, got ", kernel_size);
  const int64_t B = images.size(0), C = 3, H = images.size(2), W = images.size(3);
  // Reflect padding needs the half-width below the image size.
  int64_t half = std::min<int64_t>(kernel_size / 2, std::min(H, W) - 1);
  int64_t k = 2 * half + 1;
  auto xs = (at::arange(k, kCpuDouble) - double(half)).unsqueeze(0);  // [1, k]
  auto s = sigma.to(at::kDouble).unsqueeze(1);                         // [B, 1]
  auto kernel = at::exp(-0.5 * (xs / s).pow(2));
  kernel = to_device((kernel / kernel.sum(1, true)).to(images.scalar_type()), images.device());
  auto per_channel = kernel.repeat_interleave(C, 0);                   // [B*C, k]
  auto y = images.reshape({1, B * C, H, W});
  y = at::reflection_pad2d(y, {half, half, half, half});
  y = at::conv2d(y, per_channel.view({B * C, 1, k, 1}), at::Tensor(), at::IntArrayRef{1, 1},
                   at::IntArrayRef{0, 0}, at::IntArrayRef{1, 1}, B * C);
  y = at::conv2d(y, per_channel.view({B * C, 1, 1, k}), at::Tensor(), at::IntArrayRef{1, 1},
                   at::IntArrayRef{0, 0}, at::IntArrayRef{1, 1}, B * C);
  return at::where(per_sample(mask, images), y.view({B, C, H, W}), images);
}

at::Tensor solarize(const at::Tensor& images, const at::Tensor& mask, double threshold) {
  check_images(images, "solarize");
  return at::where(per_sample(mask, images) & (images >= threshold), 1.0 - images, images);
}

at::Tensor gaussian_noise(const at::Tensor& images, double sigma, at::Generator& gen) {
  // On the CPU from `gen` itself; elsewhere from a generator on the device seeded by `gen`, so
  // that the noise of a full-resolution batch (200 MB at batch 8) is not made on the host.
  if (images.is_cpu())
    return images + sigma * at::randn(images.sizes(), gen, kCpuFloat).to(images.scalar_type());
  at::Generator on_device = device_generator(gen, images.device());
  return images + sigma * at::randn(images.sizes(), on_device, images.options());
}

}  // namespace loce::data
