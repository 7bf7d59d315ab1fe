#pragma once
// Batched image augmentations on tensors, for the pretext tasks and fine-tuning.
//
// Every augmentation is split in two: `sample_*` draws the per-sample parameters from an explicit
// CPU at::Generator (seeded per rank and step with derive_seed, so a run is a pure function of its
// seed and a resumed run draws exactly what the uninterrupted one would have), and the apply
// functions are deterministic tensor programs over a whole [B, 3, H, W] float batch in [0, 1]
// (no per-pixel or per-sample loops), on whatever device the batch lives on. Parameters are
// always drawn on the CPU, so a CPU and a CUDA run with the same seed see the same augmentations.
//
// Geometric augmentations (resized crop, flip) take the same parameters for images and labels,
// so labels follow them (nearest-neighbour, never blended).
#include <cstdint>
#include <utility>

#include <ATen/Tensor.h>
#include <ATen/core/Generator.h>

namespace loce::data {

// uint8 [B, 3, H, W] -> float [B, 3, H, W] in [0, 1].
at::Tensor to_unit_float(const at::Tensor& images_u8);

// The network input: (x - mean) / std with ImageNet statistics, as the torchvision pipelines the
// paper's augmentations come from. Every stage (pretraining, fine-tuning, LoCE) feeds this.
at::Tensor normalize(const at::Tensor& images);

// ---------------------------------------------------------------- parameter draws
// One Bernoulli(p) draw per sample: bool [B] (CPU).
at::Tensor sample_apply_mask(int64_t batch, double p, at::Generator& gen);
// One Uniform(lo, hi) draw per sample: float [B] (CPU).
at::Tensor sample_uniform(int64_t batch, double lo, double hi, at::Generator& gen);

// Crop boxes [B, 4] float (top, left, height, width) in input pixels, as torchvision's
// RandomResizedCrop draws them: area fraction ~ U(scale), log aspect ~ U(log ratio), ten tries,
// then the whole image. The aspect ratio is relative to the image's own aspect, so on the 1:2
// street images the default (3/4, 4/3) means crops close to the image's shape, as it does for
// square images.
at::Tensor sample_crop_boxes(int64_t batch, int64_t height, int64_t width, at::Generator& gen,
                             std::pair<double, double> scale = {0.08, 1.0},
                             std::pair<double, double> ratio = {3.0 / 4.0, 4.0 / 3.0});

struct JitterParams {
  at::Tensor brightness, contrast, saturation, hue;  // float [B] each (factors; hue a shift)
  at::Tensor apply;                                  // bool [B]
};
// torchvision's ColorJitter(b, c, s, h) ranges: factors ~ U(1-b, 1+b) etc., hue ~ U(-h, h),
// applied to a sample with probability p.
JitterParams sample_color_jitter(int64_t batch, double brightness, double contrast,
                                 double saturation, double hue, double p, at::Generator& gen);

// ---------------------------------------------------------------- applications
// Crops each sample's box and resizes it to out_h x out_w (bilinear; boxes from
// sample_crop_boxes or built by hand, e.g. grid cells).
at::Tensor resized_crop(const at::Tensor& images, const at::Tensor& boxes, int64_t out_h,
                        int64_t out_w);
// The same crop for uint8 label maps [B, H, W] (nearest neighbour: trainIds are never blended).
at::Tensor resized_crop_labels(const at::Tensor& labels, const at::Tensor& boxes, int64_t out_h,
                               int64_t out_w);

// Mirrors the last dimension of the samples where mask [B] is true (images and labels alike).
at::Tensor hflip(const at::Tensor& batch, const at::Tensor& mask);

// ITU-R 601 luma replicated to three channels, where mask [B] is true.
at::Tensor grayscale(const at::Tensor& images, const at::Tensor& mask);

// Brightness, contrast, saturation, hue, in that fixed order (torchvision shuffles the order per
// call; a fixed order keeps the batch one tensor program), clamped to [0, 1].
at::Tensor color_jitter(const at::Tensor& images, const JitterParams& params);

// Separable Gaussian blur with a per-sample sigma [B] and a fixed odd kernel size (reflect
// padding, as torchvision's GaussianBlur), where mask [B] is true.
at::Tensor gaussian_blur(const at::Tensor& images, const at::Tensor& sigma,
                         const at::Tensor& mask, int64_t kernel_size);

// Inverts pixels at or above `threshold` (PIL's solarize at 128/255 ~ 0.5), where mask is true.
at::Tensor solarize(const at::Tensor& images, const at::Tensor& mask, double threshold = 0.5);

// images + sigma * N(0, 1), the noise drawn from `gen` (not clamped: the denoiser sees the
// noise as drawn).
at::Tensor gaussian_noise(const at::Tensor& images, double sigma, at::Generator& gen);

}  // namespace loce::data
