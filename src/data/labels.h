#pragma once
// The Cityscapes label table (cityscapesScripts' labels.py, as in shared/reference/
// cityscapes_labels.tsv): names, ids, trainIds, colours, and the labelId -> trainId mapping used
// everywhere (255 = ignore). The 19 evaluation classes are trainIds 0..18.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include <ATen/Tensor.h>

namespace loce::data {

constexpr int kNumClasses = 19;
constexpr uint8_t kIgnore = 255;

struct Label {
  std::string name;
  int id;        // value stored in *_gtFine_labelIds.png (-1: license plate, never stored)
  int train_id;  // 0..18, or 255 (ignored in training and evaluation)
  std::string category;
  int category_id;
  bool has_instances;
  bool ignore_in_eval;
  std::array<uint8_t, 3> color;
};

const std::vector<Label>& cityscapes_labels();

// Names of the 19 train classes in trainId order ("road", "sidewalk", ...).
const std::vector<std::string>& class_names();
// trainId of a class name (accepts "traffic light" and "traffic_light"); InputError if unknown.
int class_id(const std::string& name);
// The paper's five concepts in its order: road, building, vegetation, car, person.
const std::vector<std::string>& default_concepts();

// lut[labelId] = trainId for ids 0..33; ids outside the table map to kInvalidId.
constexpr uint8_t kInvalidId = 254;
const std::array<uint8_t, 256>& label_to_train_lut();

// Maps a uint8 labelIds tensor to trainIds. An id outside the table is an InputError naming
// `where` (the file) and the offending value.
at::Tensor label_ids_to_train_ids(const at::Tensor& label_ids, const std::string& where);

// Colour of a trainId (255 -> black), for visualisation.
std::array<uint8_t, 3> train_id_color(int train_id);

}  // namespace loce::data
