#include "data/dataset.h"

#include <filesystem>

#include "core/error.h"
#include "data/cache_dataset.h"
#include "data/png_tree_dataset.h"

namespace fs = std::filesystem;

namespace loce::data {

Batch Dataset::read(const std::vector<int64_t>& indices) const {
  const int64_t n = size();
  for (int64_t i : indices)
    if (i < 0 || i >= n)
      bad_input(description(), ": image ", i, " asked for, but it holds images 0..", n - 1);
  return read_rows(indices);
}

std::unique_ptr<Dataset> open_dataset(const std::string& path, const std::string& split,
                                      int height, int width) {
  if (fs::is_directory(path)) return std::make_unique<PngTreeDataset>(path, split, height, width);
  if (!fs::exists(path))
    bad_input("dataset not found: ", path, " (expected a Cityscapes folder or a cache from "
              "`loce prepare`)");
  // Anything else is taken for a cache; Cache says so when the file is not one.
  return std::make_unique<CacheDataset>(std::make_shared<const Cache>(path, height, width), split);
}

}  // namespace loce::data
