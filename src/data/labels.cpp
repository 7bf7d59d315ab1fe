#include "data/labels.h"

#include <torch/torch.h>

#include <algorithm>

#include "core/error.h"

namespace loce::data {

const std::vector<Label>& cityscapes_labels() {
  // name, id, trainId, category, catId, hasInstances, ignoreInEval, colour
  // (cityscapesScripts helpers/labels.py; shared/reference/cityscapes_labels.tsv)
  static const std::vector<Label> table = {
      {"unlabeled", 0, 255, "void", 0, false, true, {0, 0, 0}},
      {"ego vehicle", 1, 255, "void", 0, false, true, {0, 0, 0}},
      {"rectification border", 2, 255, "void", 0, false, true, {0, 0, 0}},
      {"out of roi", 3, 255, "void", 0, false, true, {0, 0, 0}},
      {"static", 4, 255, "void", 0, false, true, {0, 0, 0}},
      {"dynamic", 5, 255, "void", 0, false, true, {111, 74, 0}},
      {"ground", 6, 255, "void", 0, false, true, {81, 0, 81}},
      {"road", 7, 0, "flat", 1, false, false, {128, 64, 128}},
      {"sidewalk", 8, 1, "flat", 1, false, false, {244, 35, 232}},
      {"parking", 9, 255, "flat", 1, false, true, {250, 170, 160}},
      {"rail track", 10, 255, "flat", 1, false, true, {230, 150, 140}},
      {"building", 11, 2, "construction", 2, false, false, {70, 70, 70}},
      {"wall", 12, 3, "construction", 2, false, false, {102, 102, 156}},
      {"fence", 13, 4, "construction", 2, false, false, {190, 153, 153}},
      {"guard rail", 14, 255, "construction", 2, false, true, {180, 165, 180}},
      {"bridge", 15, 255, "construction", 2, false, true, {150, 100, 100}},
      {"tunnel", 16, 255, "construction", 2, false, true, {150, 120, 90}},
      {"pole", 17, 5, "object", 3, false, false, {153, 153, 153}},
      {"polegroup", 18, 255, "object", 3, false, true, {153, 153, 153}},
      {"traffic light", 19, 6, "object", 3, false, false, {250, 170, 30}},
      {"traffic sign", 20, 7, "object", 3, false, false, {220, 220, 0}},
      {"vegetation", 21, 8, "nature", 4, false, false, {107, 142, 35}},
      {"terrain", 22, 9, "nature", 4, false, false, {152, 251, 152}},
      {"sky", 23, 10, "sky", 5, false, false, {70, 130, 180}},
      {"person", 24, 11, "human", 6, true, false, {220, 20, 60}},
      {"rider", 25, 12, "human", 6, true, false, {255, 0, 0}},
      {"car", 26, 13, "vehicle", 7, true, false, {0, 0, 142}},
      {"truck", 27, 14, "vehicle", 7, true, false, {0, 0, 70}},
      {"bus", 28, 15, "vehicle", 7, true, false, {0, 60, 100}},
      {"caravan", 29, 255, "vehicle", 7, true, true, {0, 0, 90}},
      {"trailer", 30, 255, "vehicle", 7, true, true, {0, 0, 110}},
      {"train", 31, 16, "vehicle", 7, true, false, {0, 80, 100}},
      {"motorcycle", 32, 17, "vehicle", 7, true, false, {0, 0, 230}},
      {"bicycle", 33, 18, "vehicle", 7, true, false, {119, 11, 32}},
      {"license plate", -1, -1, "vehicle", 7, false, true, {0, 0, 142}},
  };
  return table;
}

const std::vector<std::string>& class_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n(kNumClasses);
    for (const auto& l : cityscapes_labels())
      if (l.train_id >= 0 && l.train_id < kNumClasses) n[l.train_id] = l.name;
    return n;
  }();
  return names;
}

int class_id(const std::string& name) {
  std::string wanted = name;
  std::replace(wanted.begin(), wanted.end(), '_', ' ');
  const auto& names = class_names();
  for (int i = 0; i < kNumClasses; ++i)
    if (names[i] == wanted) return i;
  std::string all;
  for (const auto& n : names) all += (all.empty() ? "" : ", ") + n;
  bad_input("unknown concept '", name, "' (the 19 Cityscapes classes are: ", all, ")");
}

const std::vector<std::string>& default_concepts() {
  static const std::vector<std::string> c = {"road", "building", "vegetation", "car", "person"};
  return c;
}

const std::array<uint8_t, 256>& label_to_train_lut() {
  static const std::array<uint8_t, 256> lut = [] {
    std::array<uint8_t, 256> t;
    t.fill(kInvalidId);
    for (const auto& l : cityscapes_labels())
      if (l.id >= 0) t[l.id] = uint8_t(l.train_id);
    return t;
  }();
  return lut;
}

at::Tensor label_ids_to_train_ids(const at::Tensor& label_ids, const std::string& where) {
  LOCE_CHECK(label_ids.scalar_type() == at::kByte, where, ": label ids must be uint8");
  at::Tensor src = label_ids.contiguous();
  at::Tensor out = torch::empty_like(src);
  const auto& lut = label_to_train_lut();
  const uint8_t* in = src.data_ptr<uint8_t>();
  uint8_t* o = out.data_ptr<uint8_t>();
  int64_t n = src.numel();
  for (int64_t i = 0; i < n; ++i) {
    uint8_t t = lut[in[i]];
    if (t == kInvalidId) {
      bad_input(where, ": label id ", int(in[i]), " at pixel ", i,
                " is not in the Cityscapes label table (valid ids: 0..33)");
    }
    o[i] = t;
  }
  return out;
}

std::array<uint8_t, 3> train_id_color(int train_id) {
  for (const auto& l : cityscapes_labels())
    if (l.train_id == train_id && l.id >= 0) return l.color;
  return {0, 0, 0};
}

}  // namespace loce::data
