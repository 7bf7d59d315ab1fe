#pragma once
// One split of an HDF5 cache seen as a Dataset. The Cache is shared, not owned alone, so the
// train and val splits of one file can be read through a single open handle.
#include <memory>
#include <string>

#include "data/cache.h"
#include "data/dataset.h"

namespace loce::data {

class CacheDataset : public Dataset {
 public:
  // InputError when the cache has no such split.
  CacheDataset(std::shared_ptr<const Cache> cache, std::string split);

  int64_t size() const override { return size_; }
  int height() const override { return cache_->height(); }
  int width() const override { return cache_->width(); }
  std::vector<std::string> names() const override { return cache_->names(split_); }
  std::string description() const override;

 protected:
  Batch read_rows(const std::vector<int64_t>& indices) const override;

 private:
  std::shared_ptr<const Cache> cache_;
  std::string split_;
  int64_t size_ = 0;
};

}  // namespace loce::data
