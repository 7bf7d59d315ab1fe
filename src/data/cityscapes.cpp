#include "data/cityscapes.h"

#include <algorithm>
#include <filesystem>
#include <map>

#include "core/error.h"
#include "data/labels.h"
#include "data/png.h"
#include "data/resize.h"

namespace fs = std::filesystem;

namespace loce::data {
namespace {

constexpr const char* kImageSuffix = "_leftImg8bit.png";
constexpr const char* kLabelSuffix = "_gtFine_labelIds.png";

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// name -> (city, path) for every file ending in `suffix` under <dir>/<city>/. A frame name
// in two city folders is an error: one of them would be lost (or paired with the other's
// partner) without a word.
std::map<std::string, std::pair<std::string, std::string>> list_frames(const fs::path& dir,
                                                                       const std::string& suffix) {
  std::map<std::string, std::pair<std::string, std::string>> found;  // name -> (city, path)
  for (const auto& city : fs::directory_iterator(dir)) {
    if (!city.is_directory()) continue;
    for (const auto& f : fs::directory_iterator(city.path())) {
      std::string file = f.path().filename().string();
      if (!f.is_regular_file() || !ends_with(file, suffix)) continue;
      std::string name = file.substr(0, file.size() - suffix.size());
      auto [it, inserted] =
          found.emplace(name, std::make_pair(city.path().filename().string(), f.path().string()));
      if (!inserted)
        bad_input(f.path().string(), ": frame ", name, " is also in another city folder (",
                  it->second.second, "); frame names must be unique within a split");
    }
  }
  return found;
}

}  // namespace

std::vector<Frame> scan_cityscapes(const std::string& root, const std::string& split) {
  if (!fs::is_directory(root)) bad_input("Cityscapes folder not found: ", root);
  fs::path images_dir = fs::path(root) / "leftImg8bit" / split;
  fs::path labels_dir = fs::path(root) / "gtFine" / split;
  if (!fs::is_directory(images_dir))
    bad_input("split '", split, "' not found: missing folder ", images_dir.string());
  if (!fs::is_directory(labels_dir))
    bad_input("split '", split, "' has no labels: missing folder ", labels_dir.string());
  auto images = list_frames(images_dir, kImageSuffix);
  auto labels = list_frames(labels_dir, kLabelSuffix);
  if (images.empty()) bad_input("split '", split, "' is empty: no *", kImageSuffix, " under ",
                                images_dir.string());
  std::vector<Frame> frames;
  for (const auto& [name, city_path] : images) {
    auto it = labels.find(name);
    if (it == labels.end())
      bad_input(city_path.second, ": no matching label file ", name, kLabelSuffix, " under ",
                labels_dir.string());
    if (it->second.first != city_path.first)
      bad_input(city_path.second, ": its label file is in another city folder (",
                it->second.second, "), not under ", (labels_dir / city_path.first).string());
    frames.push_back({split, city_path.first, name, city_path.second, it->second.second});
  }
  for (const auto& [name, city_path] : labels)
    if (!images.count(name))
      bad_input(city_path.second, ": label file without its image ", name, kImageSuffix);
  std::sort(frames.begin(), frames.end(), [](const Frame& a, const Frame& b) {
    return a.city != b.city ? a.city < b.city : a.name < b.name;
  });
  return frames;
}

DecodedFrame load_frame(const Frame& frame, int height, int width) {
  PngInfo image_info, label_info;
  at::Tensor image = read_png(frame.image_path, &image_info);
  at::Tensor label = read_png(frame.label_path, &label_info);
  if (image_info.channels != 3 || image_info.bit_depth != 8)
    bad_input(frame.image_path, ": expected an 8-bit RGB image, got ", image_info.channels,
              " channel(s) of ", image_info.bit_depth, " bits");
  if (label_info.palette)  // its indices may be the ids, but only the grey encoding is official
    bad_input(frame.label_path, ": expected an 8-bit grey labelIds image, got a palette "
              "(indexed-colour) PNG; save the label ids as 8-bit greyscale");
  if (label_info.channels != 1 || label_info.bit_depth != 8)
    bad_input(frame.label_path, ": expected an 8-bit grey labelIds image, got ",
              label_info.channels, " channel(s) of ", label_info.bit_depth, " bits");
  if (image_info.height != label_info.height || image_info.width != label_info.width)
    bad_input(frame.label_path, ": size ", label_info.width, "x", label_info.height,
              " differs from its image ", frame.image_path, " (", image_info.width, "x",
              image_info.height, ")");
  DecodedFrame out;
  out.image = image.permute({2, 0, 1}).contiguous();
  out.labels = label_ids_to_train_ids(label.select(2, 0), frame.label_path);
  if (height > 0 && width > 0) {
    out.image = resize_image(out.image, height, width);
    out.labels = resize_labels(out.labels, height, width);
  }
  return out;
}

}  // namespace loce::data
