#pragma once
// One split of a Cityscapes PNG tree (cityscapes.h) seen as a Dataset, decoded when read: no
// `loce prepare` step, at the price of a PNG decode and a resize per image and read.
//
// Rows are the frames in scan_cityscapes order and each is decoded and resized by load_frame,
// the very function `loce prepare` stores in the cache, so for the same tree and size this
// returns byte-identical tensors to Cache::read on the prepared cache.
#include <string>
#include <vector>

#include "data/cityscapes.h"
#include "data/dataset.h"

namespace loce::data {

class PngTreeDataset : public Dataset {
 public:
  // Scans the split once (InputError for a missing folder, an empty split or an unmatched
  // file); height and width must be > 0, since the frames of a tree need not share one size.
  PngTreeDataset(std::string root, std::string split, int height, int width);

  int64_t size() const override { return int64_t(frames_.size()); }
  int height() const override { return height_; }
  int width() const override { return width_; }
  std::vector<std::string> names() const override;
  std::string description() const override;
  const std::vector<Frame>& frames() const { return frames_; }

 protected:
  Batch read_rows(const std::vector<int64_t>& indices) const override;

 private:
  std::string root_, split_;
  int height_ = 0, width_ = 0;
  std::vector<Frame> frames_;
};

}  // namespace loce::data
