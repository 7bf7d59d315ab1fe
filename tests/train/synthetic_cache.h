#pragma once
// A tiny dataset cache for training tests: synthetic street scenes (data/synth.h) rendered
// straight into the cache layout of data/cache.h, without the PNG round trip.
#include <torch/torch.h>

#include <string>
#include <vector>

#include "core/hdf5.h"
#include "data/cache.h"
#include "data/labels.h"
#include "data/synth.h"

namespace loce::test {

inline void write_synthetic_cache(const std::string& path, int64_t train, int64_t val,
                                  int height = 32, int width = 64, uint64_t seed = 3) {
  auto f = h5::File::create(path);
  std::vector<std::string> splits;
  for (auto [split, n] : {std::pair<std::string, int64_t>{"train", train}, {"val", val}}) {
    if (n == 0) continue;
    splits.push_back(split);
    auto images = torch::empty({n, 3, height, width}, torch::kUInt8);
    auto labels = torch::empty({n, height, width}, torch::kUInt8);
    std::vector<std::string> names, cities;
    for (int64_t i = 0; i < n; ++i) {
      auto scene = data::render_synthetic_scene(data::synth_scene_seed(seed, split, i), height, width);
      auto rgb = torch::from_blob(scene.rgb.data(), {height, width, 3}, torch::kUInt8);
      images[i].copy_(rgb.permute({2, 0, 1}));
      auto ids = torch::from_blob(scene.label_ids.data(), {height, width}, torch::kUInt8).clone();
      labels[i].copy_(data::label_ids_to_train_ids(ids, "synthetic scene"));
      auto name = data::synth_frame_name(split, i);
      names.push_back(name.stem);
      cities.push_back(name.city);
    }
    h5::write_tensor(f, "/" + split + "/images", images);
    h5::write_tensor(f, "/" + split + "/labels", labels);
    h5::write_strings(f, "/" + split + "/names", names);
    h5::write_strings(f, "/" + split + "/cities", cities);
  }
  h5::set_attr(f, "/", "format", std::string(data::kCacheFormat));
  h5::set_attr(f, "/", "format_version", data::kCacheFormatVersion);
  h5::set_attr(f, "/", "height", int64_t(height));
  h5::set_attr(f, "/", "width", int64_t(width));
  h5::set_attr(f, "/", "source", std::string("synthetic (test)"));
  h5::set_attr(f, "/", "splits", splits);
  h5::set_attr(f, "/", "git_revision", std::string("test"));
  f.close();
}

}  // namespace loce::test
