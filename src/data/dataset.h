#pragma once
// One split of labelled street images, whatever stores it: the HDF5 cache (cache_dataset.h) or
// a Cityscapes PNG tree decoded on the fly (png_tree_dataset.h). Every implementation returns
// the same Batch the cache does (uint8 images [B, 3, H, W], uint8 trainIds [B, H, W], the row
// indices), all at one height x width, so a consumer (a DistributedSampler loop, stats, LoCE)
// never needs to know which store it reads.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "data/cache.h"

namespace loce::data {

class Dataset {
 public:
  virtual ~Dataset() = default;

  virtual int64_t size() const = 0;
  virtual int height() const = 0;
  virtual int width() const = 0;
  // Frame names ("<city>_<seq>_<frame>") in row order.
  virtual std::vector<std::string> names() const = 0;
  // What this is and where it lives, e.g. "cache c.h5, split 'train'": the start of every error
  // message, so a user reading one knows which input to fix.
  virtual std::string description() const = 0;

  // Reads the given rows, in the given order (repeats allowed). An index outside [0, size()) is
  // an InputError naming this dataset and the index, checked here once for every
  // implementation, before any row is read.
  Batch read(const std::vector<int64_t>& indices) const;

 protected:
  // Reads rows already known to be in range.
  virtual Batch read_rows(const std::vector<int64_t>& indices) const = 0;
};

// A Cityscapes root folder opens as a PngTreeDataset at height x width (both must be > 0); any
// other existing file as the cache's split (height and width, when > 0, must match the cache).
// A missing path is an InputError naming it.
std::unique_ptr<Dataset> open_dataset(const std::string& path, const std::string& split,
                                      int height, int width);

}  // namespace loce::data
