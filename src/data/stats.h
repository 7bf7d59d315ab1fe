#pragma once
// `loce stats`: what a split contains — images, per-trainId pixel counts and fractions, and
// which of the paper's concepts each image shows. Reads either the PNG tree (at its native
// resolution, labelIds remapped with the official table) or a cache.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "data/labels.h"
#include "dist/communicator.h"

namespace loce::data {

struct SplitStats {
  std::string source, split;
  int64_t images = 0;
  std::array<int64_t, kNumClasses + 1> pixels{};  // trainIds 0..18, then ignored (255)
  std::vector<std::string> concepts;               // the concepts checked for presence
  std::vector<std::string> names;                  // image names, in split order
  std::vector<std::vector<bool>> present;          // [image][concept]
};

// Images are spread over the communicator's ranks; the result is complete on every rank.
SplitStats stats_from_cityscapes(const std::string& root, const std::string& split,
                                 dist::Communicator& comm);
SplitStats stats_from_cache(const std::string& path, const std::string& split,
                            dist::Communicator& comm);

std::string stats_to_json(const SplitStats& s);
std::string stats_to_text(const SplitStats& s, bool per_image = false);

}  // namespace loce::data
