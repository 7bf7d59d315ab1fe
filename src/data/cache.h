#pragma once
// The HDF5 dataset cache: Cityscapes (or the synthetic stand-in) decoded once at the working
// resolution. Layout, one group per split:
//   /<split>/images  uint8 [N, 3, H, W]   (chunked per image, compressed)
//   /<split>/labels  uint8 [N, H, W]      trainIds, 255 = ignore
//   /<split>/names   strings [N]          e.g. "frankfurt_000000_000294"
//   /<split>/cities  strings [N]
// Root attributes: format = "loce-cityscapes-cache", format_version, height, width, source,
// splits (names), git_revision.
#include <cstdint>
#include <string>
#include <vector>

#include <ATen/Tensor.h>

#include "core/hdf5.h"

namespace loce::data {

constexpr const char* kCacheFormat = "loce-cityscapes-cache";
// 2: labels shrunk by sampling each cell's centre (version 1 took its top-left pixel, off the
// image); a version-1 cache is refused with a request to prepare it again.
constexpr int64_t kCacheFormatVersion = 2;

struct Batch {
  at::Tensor images;  // uint8 [B, 3, H, W]
  at::Tensor labels;  // uint8 [B, H, W] trainIds
  std::vector<int64_t> indices;
};

// Read-only access to a cache file. Checks format, version, (when given) the expected size and
// that every split has one name and one city per image on open, and the label values of every
// batch read, with errors that say which file (and image) and what differs.
class Cache {
 public:
  explicit Cache(const std::string& path, int expect_height = 0, int expect_width = 0);
  const std::string& path() const { return path_; }
  int height() const { return height_; }
  int width() const { return width_; }
  std::vector<std::string> splits() const { return splits_; }
  bool has_split(const std::string& split) const;
  int64_t size(const std::string& split) const;  // InputError for an unknown split
  std::vector<std::string> names(const std::string& split) const;
  std::vector<std::string> cities(const std::string& split) const;
  // Reads the given rows (any order) of a split; `pinned`: into page-locked memory, whose
  // copies to a CUDA device can run asynchronously (needs CUDA at run time).
  Batch read(const std::string& split, const std::vector<int64_t>& indices,
             bool pinned = false) const;
  // Reads rows [first, first + count).
  Batch read_range(const std::string& split, int64_t first, int64_t count) const;

 private:
  // InputError naming the image and pixel when a label is neither a trainId nor kIgnore.
  void check_labels(const std::string& split, const at::Tensor& labels,
                    const std::vector<int64_t>& rows) const;

  std::string path_;
  h5::File file_;
  int height_ = 0, width_ = 0;
  std::vector<std::string> splits_;
};

}  // namespace loce::data
