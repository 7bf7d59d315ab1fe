#include "data/cache_dataset.h"

#include <utility>

#include "core/error.h"

namespace loce::data {

CacheDataset::CacheDataset(std::shared_ptr<const Cache> cache, std::string split)
    : cache_(std::move(cache)), split_(std::move(split)) {
  LOCE_CHECK(cache_ != nullptr, "CacheDataset: no cache given");
  size_ = cache_->size(split_);  // InputError listing the cache's splits when split_ is unknown
}

std::string CacheDataset::description() const {
  return cat("cache ", cache_->path(), ", split '", split_, "'");
}

Batch CacheDataset::read_rows(const std::vector<int64_t>& indices) const {
  return cache_->read(split_, indices);
}

}  // namespace loce::data
