#pragma once
// The official Cityscapes layout:
//   <root>/leftImg8bit/<split>/<city>/<city>_<seq>_<frame>_leftImg8bit.png
//   <root>/gtFine/<split>/<city>/<city>_<seq>_<frame>_gtFine_labelIds.png
// Frames are matched by name within their city folder; an image without its label (or a label
// without its image), a label in another city's folder and a frame name found in two city
// folders are errors naming the file. Other gtFine files (color, instanceIds, polygons, labelTrainIds) are
// ignored: trainIds are always computed from labelIds with the official table.
#include <string>
#include <vector>

#include <ATen/Tensor.h>

namespace loce::data {

struct Frame {
  std::string split, city;
  std::string name;  // "<city>_<seq>_<frame>"
  std::string image_path, label_path;
};

// Sorted by city, then name. Throws InputError for a missing folder, an empty split or an
// unmatched file.
std::vector<Frame> scan_cityscapes(const std::string& root, const std::string& split);

struct DecodedFrame {
  at::Tensor image;   // uint8 [3, H, W]
  at::Tensor labels;  // uint8 [H, W] trainIds
};

// Decodes a frame, checks that image and label agree in size, maps labelIds to trainIds and,
// when height and width are > 0, resizes to that size.
DecodedFrame load_frame(const Frame& frame, int height = 0, int width = 0);

}  // namespace loce::data
