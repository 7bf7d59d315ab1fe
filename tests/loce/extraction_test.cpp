// The encoder front end: concepts by name, masks from trainIds, levels, and embed_encoder with
// a stand-in encoder (the real one comes from the models module).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/error.h"
#include "core/hdf5.h"
#include "dist/self_communicator.h"
#include "loce/extraction.h"
#include "loce/loce_file.h"
#include "support/test_support.h"

using namespace loce::embedding;

TEST(Extraction, ConceptMasksFromTrainIds) {
  at::Tensor labels = torch::tensor({{0, 2, 255}, {13, 0, 11}}, torch::kUInt8).unsqueeze(0);
  at::Tensor m = concept_masks(labels, parse_concepts({}));  // road building vegetation car person
  ASSERT_EQ(m.sizes(), (std::vector<int64_t>{1, 5, 2, 3}));
  EXPECT_EQ(m[0][0].sum().item<float>(), 2);  // road
  EXPECT_EQ(m[0][1][0][1].item<float>(), 1);  // building
  EXPECT_EQ(m[0][2].sum().item<float>(), 0);  // vegetation absent
  EXPECT_EQ(m[0][3][1][0].item<float>(), 1);  // car
  EXPECT_EQ(m[0][4][1][2].item<float>(), 1);  // person
  EXPECT_EQ(parse_concepts({"traffic light", "car"}), (std::vector<int>{6, 13}));
  EXPECT_THROW(parse_concepts({"car", "car"}), loce::InputError);
  EXPECT_THROW(parse_concepts({"unicorn"}), loce::InputError);
  std::vector<at::Tensor> levels = {torch::zeros({1}), torch::ones({2})};
  EXPECT_EQ(select_level(levels, -1).numel(), 2);
  EXPECT_EQ(select_level(levels, 0).numel(), 1);
  EXPECT_THROW(select_level(levels, 2), loce::InputError);
}

TEST(Extraction, EncoderSplitGivesOnePairPerImageAndPresentConcept) {
  // Six 32x64 label maps: building above, road below, a car in images 0..2, never a person.
  const int64_t n = 6;
  at::Tensor labels = torch::full({n, 32, 64}, 2, torch::kUInt8);
  labels.slice(1, 16, 32).fill_(0);
  labels.slice(0, 0, 3).slice(1, 12, 24).slice(2, 20, 40).fill_(13);
  // A stand-in encoder: class indicators pooled to 8x16, mixed into 16 channels, plus noise.
  torch::manual_seed(8);
  at::Tensor mix = torch::randn({16, 19});
  auto encoder = [&](int64_t first, int64_t count) {
    at::Tensor onehot = torch::one_hot(labels.slice(0, first, first + count).to(torch::kInt64), 19)
                            .permute({0, 3, 1, 2}).to(torch::kFloat32);
    at::Tensor pooled = torch::avg_pool2d(onehot, {4, 4});
    return torch::relu(torch::einsum("kc,nchw->nkhw", {mix, pooled}) +
                       0.1 * torch::randn({count, 16, 8, 16}));
  };
  EncoderSplit split;
  split.images = n;
  for (int64_t i = 0; i < n; ++i) split.image_names.push_back("img" + std::to_string(i));
  split.activations = encoder;
  split.labels = [&](int64_t first, int64_t count) { return labels.slice(0, first, first + count); };
  split.layer = "encoder.level4";
  split.method = "test";
  const std::string out = loce::test::temp_dir("loce_enc") + "/loce.h5";
  OptimizerSettings s;
  s.mode = Mode::Native;
  s.iterations = 30;
  loce::dist::SelfCommunicator comm;
  embed_encoder(split, parse_concepts({"road", "car", "person"}), out, s, c10::kCPU, comm);

  LoceTable t = read_loce_file(out);
  EXPECT_TRUE(torch::equal(t.image, torch::tensor({0, 0, 1, 1, 2, 2, 3, 4, 5}, torch::kInt32)));
  EXPECT_TRUE(
      torch::equal(t.concept_id, torch::tensor({0, 13, 0, 13, 0, 13, 0, 0, 0}, torch::kInt32)));
  EXPECT_EQ(t.vectors.size(1), 16);
  EXPECT_GT(t.iou.min().item<float>(), 0.5);
  EXPECT_EQ(t.image_names[5], "img5");
  auto f = loce::h5::File::open(out);
  EXPECT_EQ(loce::h5::attr_int(f, "/loce", "skipped_empty"), 3 + 6);  // car absent, no person
  EXPECT_EQ(loce::h5::attr_string(f, "/loce", "layer"), "encoder.level4");
  EXPECT_EQ(loce::h5::attr_strings(f, "/loce", "concepts"),
            (std::vector<std::string>{"road", "car", "person"}));
}
