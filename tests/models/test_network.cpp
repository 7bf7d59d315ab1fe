#include <gtest/gtest.h>
#include <torch/torch.h>

#include <sstream>

#include "models/network.h"

using namespace loce;
using namespace loce::models;

namespace {
NetworkConfig tiny(int64_t base = 8, int64_t depth = 3, bool bilinear = false) {
  NetworkConfig c;
  c.unet.base_width = base;
  c.unet.depth = depth;
  c.unet.bilinear = bilinear;
  c.projector_sizes = {32, 32, 16};
  c.classifier_hidden = 16;
  return c;
}
}  // namespace

TEST(UNet, EncoderReturnsEveryLevelWithDoublingWidth) {
  torch::manual_seed(0);
  UNetEncoder enc(tiny(8, 3).unet);
  auto feats = enc->forward(torch::randn({2, 3, 32, 64}));
  ASSERT_EQ(feats.size(), 4u);
  for (int l = 0; l < 4; ++l) {
    EXPECT_EQ(feats[l].sizes(), (std::vector<int64_t>{2, 8 << l, 32 >> l, 64 >> l})) << "level " << l;
  }
  // DoubleConv: two conv (no bias) + two BN per level.
  int convs = 0;
  for (auto& p : enc->named_parameters())
    if (p.key().find("body.0.") != std::string::npos || p.key().find("body.3.") != std::string::npos) ++convs;
  EXPECT_EQ(convs, 8);  // only weights: no conv bias
}

TEST(UNet, PaperWidthsAreSixtyFourToTenTwentyFour) {
  UNetConfig c;  // defaults are the paper's
  EXPECT_EQ(c.width(0), 64);
  EXPECT_EQ(c.deepest_width(), 1024);
  EXPECT_EQ(c.depth, 4);
}

TEST(UNet, DecoderRestoresInputResolutionAlsoForOddSizes) {
  for (bool bilinear : {false, true}) {
    Network net(tiny(8, 3, bilinear), HeadSet{false, false, true, true});
    for (auto hw : {std::pair<int64_t, int64_t>{32, 64}, {36, 52}}) {
      auto feats = net->encoder->forward(torch::randn({2, 3, hw.first, hw.second}));
      EXPECT_EQ(net->reconstruction->forward(feats).sizes(),
                (std::vector<int64_t>{2, 3, hw.first, hw.second}));
      EXPECT_EQ(net->segmentation->forward(feats).sizes(),
                (std::vector<int64_t>{2, 19, hw.first, hw.second}));
    }
  }
}

TEST(Heads, ProjectorAndClassifierShapes) {
  Network net(tiny(), HeadSet{true, true, false, false});
  auto deepest = net->encoder->forward(torch::randn({4, 3, 32, 64})).back();
  EXPECT_EQ(net->projector->forward(deepest).sizes(), (std::vector<int64_t>{4, 16}));
  EXPECT_EQ(net->classifier->forward(deepest).sizes(), (std::vector<int64_t>{4, 9}));
  // Projector: Linear-BN-ReLU x 2 then Linear, no biases in the linears.
  int linear_weights = 0, biases = 0;
  for (auto& p : net->projector->named_parameters()) {
    if (p.value().dim() == 2) ++linear_weights;
    if (p.key().find("bias") != std::string::npos && p.value().size(0) != 32) ++biases;
  }
  EXPECT_EQ(linear_weights, 3);
  EXPECT_EQ(biases, 0);
  EXPECT_FALSE(net->reconstruction);
}

TEST(Network, EncoderLoadsFromAFullCheckpoint) {
  torch::manual_seed(1);
  Network full(tiny(), HeadSet{true, false, true, false});
  std::stringstream bytes;
  torch::save(full, bytes);
  torch::manual_seed(2);
  Network encoder_only(tiny(), HeadSet{});
  torch::load(encoder_only, bytes);
  auto a = named_state(*full->encoder), b = named_state(*encoder_only->encoder);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].first, b[i].first);
    EXPECT_TRUE(torch::equal(a[i].second, b[i].second)) << a[i].first;
  }
}

TEST(Network, NamedStateListsParametersAndBuffers) {
  Network net(tiny(), HeadSet{});
  auto state = named_state(*net);
  bool has_running_mean = false;
  for (auto& [name, t] : state)
    if (name == "encoder.levels.0.body.1.running_mean") has_running_mean = true;
  EXPECT_TRUE(has_running_mean);
  EXPECT_EQ(state.front().first, "encoder.levels.0.body.0.weight");
}
