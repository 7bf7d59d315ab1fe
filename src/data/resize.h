#pragma once
// Resizing for the dataset cache: images by area averaging when shrinking (no aliasing from the
// 8x downsampling to 128x256) and bilinear when enlarging; labels by nearest neighbour, since
// averaging class ids is meaningless. The nearest source pixel is the one under each output
// pixel's centre (torch's 'nearest-exact', PIL's NEAREST): torch's plain 'nearest' takes a
// block's top-left pixel, which puts every label 3.5 source pixels up and left of the image
// averaged over the same 8x8 block.
#include <ATen/Tensor.h>

namespace loce::data {

// uint8 [3, H, W] -> uint8 [3, height, width].
at::Tensor resize_image(const at::Tensor& image, int height, int width);
// uint8 [H, W] -> uint8 [height, width].
at::Tensor resize_labels(const at::Tensor& labels, int height, int width);

}  // namespace loce::data
