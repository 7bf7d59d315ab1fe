#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/error.h"
#include "data/labels.h"

using namespace loce;
using namespace loce::data;

TEST(Labels, TableMatchesCityscapes) {
  const auto& t = cityscapes_labels();
  ASSERT_EQ(t.size(), 35u);
  EXPECT_EQ(class_names().size(), 19u);
  EXPECT_EQ(class_names()[0], "road");
  EXPECT_EQ(class_names()[13], "car");
  EXPECT_EQ(class_names()[18], "bicycle");
  EXPECT_EQ(class_id("person"), 11);
  EXPECT_EQ(class_id("traffic_light"), 6);
  EXPECT_EQ(class_id("traffic light"), 6);
  EXPECT_THROW(class_id("tree"), InputError);
}

TEST(Labels, DefaultConceptsAreThePapers) {
  std::vector<int> ids;
  for (const auto& c : default_concepts()) ids.push_back(class_id(c));
  EXPECT_EQ(ids, (std::vector<int>{0, 2, 8, 13, 11}));
}

TEST(Labels, LabelIdsMapToTrainIds) {
  const auto& lut = label_to_train_lut();
  EXPECT_EQ(lut[7], 0);     // road
  EXPECT_EQ(lut[26], 13);   // car
  EXPECT_EQ(lut[33], 18);   // bicycle
  EXPECT_EQ(lut[0], 255);   // unlabeled
  EXPECT_EQ(lut[9], 255);   // parking: ignored in eval
  EXPECT_EQ(lut[34], kInvalidId);
  at::Tensor ids = torch::tensor({7, 8, 24, 26, 3}, torch::kByte);
  at::Tensor train = label_ids_to_train_ids(ids, "x.png");
  EXPECT_TRUE(train.equal(torch::tensor({0, 1, 11, 13, 255}, torch::kByte)));
}

TEST(Labels, OutOfTableIdIsAnErrorNamingFileAndValue) {
  at::Tensor ids = torch::tensor({7, 40}, torch::kByte);
  try {
    label_ids_to_train_ids(ids, "frame_gtFine_labelIds.png");
    FAIL() << "expected an error";
  } catch (const InputError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("frame_gtFine_labelIds.png"), std::string::npos) << m;
    EXPECT_NE(m.find("40"), std::string::npos) << m;
  }
}

TEST(Labels, Colors) {
  EXPECT_EQ(train_id_color(0), (std::array<uint8_t, 3>{128, 64, 128}));
  EXPECT_EQ(train_id_color(13), (std::array<uint8_t, 3>{0, 0, 142}));
}
