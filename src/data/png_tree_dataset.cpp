#include "data/png_tree_dataset.h"

#include <torch/torch.h>

#include <utility>

#include "core/error.h"

namespace loce::data {

PngTreeDataset::PngTreeDataset(std::string root, std::string split, int height, int width)
    : root_(std::move(root)), split_(std::move(split)), height_(height), width_(width) {
  if (height_ <= 0 || width_ <= 0)
    bad_input("Cityscapes folder ", root_, ": a PNG tree is read at a given size, but ", height_,
              "x", width_, " was asked for (height and width must be positive)");
  frames_ = scan_cityscapes(root_, split_);
}

std::vector<std::string> PngTreeDataset::names() const {
  std::vector<std::string> out;
  out.reserve(frames_.size());
  for (const auto& f : frames_) out.push_back(f.name);
  return out;
}

std::string PngTreeDataset::description() const {
  return cat("Cityscapes folder ", root_, ", split '", split_, "'");
}

Batch PngTreeDataset::read_rows(const std::vector<int64_t>& indices) const {
  const int64_t n = int64_t(indices.size());
  Batch b;
  b.images = torch::empty({n, 3, height_, width_}, torch::kByte);
  b.labels = torch::empty({n, height_, width_}, torch::kByte);
  for (int64_t i = 0; i < n; ++i) {
    // load_frame's errors already name the PNG file that is broken.
    DecodedFrame d = load_frame(frames_[size_t(indices[size_t(i)])], height_, width_);
    b.images[i].copy_(d.image);
    b.labels[i].copy_(d.labels);
  }
  b.indices = indices;
  return b;
}

}  // namespace loce::data
