// The encoder front end: concepts by name, masks from trainIds, levels, and embed_encoder with
// a stand-in encoder (the real one comes from the models module).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>
#include <utility>
#include <vector>

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

namespace {

// Six 32x64 label maps: building above, road below, a car in images 0..2, never a person; a
// stand-in encoder: class indicators pooled to 8x16, mixed into 16 channels, plus noise. The
// rows the encoder is asked for are recorded.
struct SyntheticSplit {
  at::Tensor labels, mix;
  std::vector<int64_t> rows_read;
  EncoderSplit split;

  SyntheticSplit() {
    const int64_t n = 6;
    labels = torch::full({n, 32, 64}, 2, torch::kUInt8);
    labels.slice(1, 16, 32).fill_(0);
    labels.slice(0, 0, 3).slice(1, 12, 24).slice(2, 20, 40).fill_(13);
    torch::manual_seed(8);
    mix = torch::randn({16, 19});
    split.images = n;
    for (int64_t i = 0; i < n; ++i) split.image_names.push_back("img" + std::to_string(i));
    split.activations = [this](int64_t first, int64_t count) {
      for (int64_t r = first; r < first + count; ++r) rows_read.push_back(r);
      at::Tensor onehot =
          torch::one_hot(labels.slice(0, first, first + count).to(torch::kInt64), 19)
              .permute({0, 3, 1, 2}).to(torch::kFloat32);
      at::Tensor pooled = torch::avg_pool2d(onehot, {4, 4});
      return torch::relu(torch::einsum("kc,nchw->nkhw", {mix, pooled}) +
                         0.1 * torch::randn({count, 16, 8, 16}));
    };
    split.labels = [this](int64_t first, int64_t count) {
      return labels.slice(0, first, first + count);
    };
    split.layer = "encoder.level4";
    split.method = "test";
  }
  SyntheticSplit(const SyntheticSplit&) = delete;  // the functions hold `this`
};

}  // namespace

TEST(Extraction, EncoderSplitGivesOnePairPerImageAndPresentConcept) {
  SyntheticSplit synthetic;
  const EncoderSplit& split = synthetic.split;
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

TEST(Extraction, RowsWithoutAKeptPairAreNeverRead) {
  // Only images 0..2 show a car: images 3..5 are neither encoded nor optimised (beyond the
  // shape probe of image 0).
  SyntheticSplit synthetic;
  const std::string out = loce::test::temp_dir("loce_enc") + "/loce.h5";
  OptimizerSettings s;
  s.iterations = 5;
  loce::dist::SelfCommunicator comm;
  embed_encoder(synthetic.split, parse_concepts({"car"}), out, s, c10::kCPU, comm);
  for (int64_t r : synthetic.rows_read) EXPECT_LT(r, 3) << "row " << r << " was read";
  EXPECT_TRUE(
      torch::equal(read_loce_file(out).image, torch::tensor({0, 1, 2}, torch::kInt32)));
}

TEST(Extraction, AnUnusableOutputStopsBeforeTheEncoderRuns) {
  SyntheticSplit synthetic;
  const std::string dir = loce::test::temp_dir("loce_enc");
  { std::ofstream(dir + "/file") << "x"; }
  loce::dist::SelfCommunicator comm;
  EXPECT_THROW(embed_encoder(synthetic.split, parse_concepts({}), dir + "/file/loce.h5",
                             OptimizerSettings{}, c10::kCPU, comm),
               loce::CollectiveInputError);
  EXPECT_TRUE(synthetic.rows_read.empty());
}

TEST(Extraction, AlignedBatchesDoNotDependOnTheRowsAskedFor) {
  // A forward pass whose per-image output depends on its batch (as convolutions' rounding can):
  // any pattern of requests gives the batches of a single pass over the whole split.
  const int64_t images = 11, batch = 4;
  at::Tensor x = torch::randn({images, 3});
  std::vector<std::pair<int64_t, int64_t>> calls;
  auto forward = [&](int64_t first, int64_t count) {
    calls.emplace_back(first, count);
    at::Tensor b = x.slice(0, first, first + count);
    return b + b.mean(0, /*keepdim=*/true);
  };
  RowFunction whole = aligned_batches(images, batch, forward);
  const at::Tensor expected = whole(0, images);
  EXPECT_EQ(calls, (std::vector<std::pair<int64_t, int64_t>>{{0, 4}, {4, 4}, {8, 3}}));
  for (const std::vector<int64_t>& starts :
       {std::vector<int64_t>{0, 1, 6, 11}, {0, 5, 6, 7, 11}, {0, 3, 9, 10, 11}}) {
    RowFunction rows = aligned_batches(images, batch, forward);
    calls.clear();
    std::vector<at::Tensor> parts;
    for (size_t i = 0; i + 1 < starts.size(); ++i)
      parts.push_back(rows(starts[i], starts[i + 1] - starts[i]));
    EXPECT_TRUE(torch::equal(torch::cat(parts), expected));
    for (const auto& [first, count] : calls) {
      EXPECT_EQ(first % batch, 0);
      EXPECT_EQ(count, std::min(batch, images - first));
    }
  }
}
