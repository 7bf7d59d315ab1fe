#pragma once
// Every resize the LoCE engine needs is linear and separable, so each one is a pair of matrices
// (rows R_h [out_h, in_h], columns R_w [out_w, in_w]) and resizing X [.., in_h, in_w] is
// R_h X R_w^T. This is what lets the reference mode never build upsampled activations: the
// projection commutes with the resize, resize(A) . v = R_h (A . v) R_w^T, and the gradient goes
// back through the transposes.
//
// All matrices are float64 on the CPU; callers convert them to their compute dtype and device.
#include <cstdint>

#include <ATen/Tensor.h>

namespace loce::embedding {

// torch.nn.functional.interpolate(mode='bilinear', align_corners=False, antialias=False) along
// one axis: source x = (i + 0.5) * in/out - 0.5, clamped at 0, neighbours clamped at in-1.
at::Tensor bilinear_matrix(int64_t in, int64_t out);

// scikit-image transform.resize with its defaults along one axis (order 1, mode 'reflect', which
// scipy.ndimage calls 'mirror': d c b | a b c d | c b a): when the axis shrinks, first a Gaussian
// with sigma = (in/out - 1) / 2, truncated at 4 sigma, then linear interpolation at
// x = (i + 0.5) * in/out - 0.5 (scipy's zoom with grid_mode=True). Clipping to the input's range
// is not linear and is left to the caller.
at::Tensor skimage_resize_matrix(int64_t in, int64_t out);

// Area weights: row i holds the fraction of output cell i covered by each input pixel (cells of
// in/out pixels, any ratio), so a binary mask becomes the covered fraction of each cell.
at::Tensor area_matrix(int64_t in, int64_t out);

// Nearest neighbour at each output cell's centre, as torch's 'nearest-exact' (and the dataset
// cache's labels): source index floor((i + 0.5) * in / out). Torch's legacy 'nearest',
// floor(i * in / out), would take the top-left pixel of the cell and shift the mask.
at::Tensor nearest_matrix(int64_t in, int64_t out);

// R_h X R_w^T over the last two dimensions of X (any leading dimensions); R_h, R_w are converted
// to X's dtype and device.
at::Tensor resize_separable(const at::Tensor& x, const at::Tensor& rows, const at::Tensor& cols);

// Nearest-neighbour resize of the last two dimensions to h x w (nearest_matrix on both axes).
at::Tensor resize_nearest(const at::Tensor& x, int64_t h, int64_t w);

}  // namespace loce::embedding
