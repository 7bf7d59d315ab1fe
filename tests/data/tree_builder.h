#pragma once
// Builds small Cityscapes-layout trees on disk for the data-layer tests.
#include <torch/torch.h>

#include <filesystem>
#include <string>

#include "data/png.h"

namespace loce::test {

// Writes <root>/leftImg8bit/<split>/<city>/<name>_leftImg8bit.png and the matching labelIds.
inline void write_frame(const std::string& root, const std::string& split, const std::string& city,
                        const std::string& name, const at::Tensor& rgb_hwc,
                        const at::Tensor& label_ids_hw) {
  namespace fs = std::filesystem;
  fs::path img = fs::path(root) / "leftImg8bit" / split / city / (name + "_leftImg8bit.png");
  fs::path lab = fs::path(root) / "gtFine" / split / city / (name + "_gtFine_labelIds.png");
  fs::create_directories(img.parent_path());
  fs::create_directories(lab.parent_path());
  data::write_png(img.string(), rgb_hwc);
  data::write_png(lab.string(), label_ids_hw);
}

// A frame whose label ids are valid Cityscapes ids (road, building, sky, car, person...).
inline void write_random_frame(const std::string& root, const std::string& split,
                               const std::string& city, const std::string& name, int h, int w,
                               int64_t seed) {
  auto gen = at::detail::createCPUGenerator(seed);
  at::Tensor rgb = torch::randint(0, 256, {h, w, 3}, gen, torch::kByte);
  static const int64_t ids[] = {7, 8, 11, 21, 23, 24, 26, 0, 4};
  at::Tensor pick = torch::randint(0, 9, {h, w}, gen, torch::kLong);
  at::Tensor table = torch::tensor(std::vector<int64_t>(std::begin(ids), std::end(ids)));
  at::Tensor labels = table.index_select(0, pick.flatten()).reshape({h, w}).to(torch::kByte);
  write_frame(root, split, city, name, rgb, labels);
}

}  // namespace loce::test
