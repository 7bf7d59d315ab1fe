#pragma once
// Resizing for the dataset cache: images by area averaging when shrinking (no aliasing from the
// 8x downsampling to 128x256) and bilinear when enlarging; labels by nearest neighbour, since
// averaging class ids is meaningless.
#include <ATen/Tensor.h>

namespace loce::data {

// uint8 [3, H, W] -> uint8 [3, height, width].
at::Tensor resize_image(const at::Tensor& image, int height, int width);
// uint8 [H, W] -> uint8 [height, width].
at::Tensor resize_labels(const at::Tensor& labels, int height, int width);

}  // namespace loce::data
