#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <functional>
#include <limits>

#include "core/error.h"
#include "support/test_support.h"
#include "train/checkpoint.h"
#include "train/config.h"
#include "train/evaluation.h"
#include "train/grad_clip.h"
#include "train/lr_schedule.h"
#include "train/optimizer.h"
#include "train/run_dir.h"
#include "train/sha256.h"

using namespace loce;
using namespace loce::train;

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex(std::string(1000, 'a')),
            "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3");
}

TEST(LrSchedule, WarmupThenCosineToTheFinalFraction) {
  WarmupCosine s{1.0, 4, 14, 0.1};
  EXPECT_NEAR(s(0), 0.25, 1e-12);
  EXPECT_NEAR(s(3), 1.0, 1e-12);
  EXPECT_NEAR(s(4), 1.0, 1e-12);
  EXPECT_NEAR(s(9), 0.1 + 0.9 * 0.5, 1e-12);  // half-way through the cosine
  EXPECT_NEAR(s(14), 0.1, 1e-12);
}

TEST(Config, ResumeRefusesAChangedKeyAndNamesIt) {
  TrainConfig a;
  a.method = "dae";
  TrainConfig b = a;
  b.log_every = 99;  // bookkeeping: fine
  b.data = "/elsewhere/cache.h5";
  EXPECT_NO_THROW(check_resumable(a.entries(), b.entries()));
  EXPECT_EQ(config_hash(a.entries()), config_hash(b.entries()));
  b.lr = 0.5;
  try {
    check_resumable(a.entries(), b.entries());
    FAIL() << "a changed lr was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("'lr'"), std::string::npos) << e.what();
  }
  EXPECT_NE(config_hash(a.entries()), config_hash(b.entries()));
  EXPECT_THROW(parse_sizes("2048-x", "projector"), InputError);
  EXPECT_EQ(parse_sizes("8-16", "projector"), (std::vector<int64_t>{8, 16}));
}

TEST(Config, EveryNumberOutOfRangeIsAnErrorNamingTheKey) {
  const double nan = std::nan(""), inf = std::numeric_limits<double>::infinity();
  const std::vector<std::pair<std::string, std::function<void(TrainConfig&)>>> cases = {
      {"batch_size", [](TrainConfig& c) { c.batch_size = 0; }},
      {"warmup_steps", [](TrainConfig& c) { c.warmup_steps = -1; }},
      {"rpl_grid", [](TrainConfig& c) { c.task.rpl_grid = 1; }},
      {"lr", [&](TrainConfig& c) { c.lr = nan; }},
      {"lr", [&](TrainConfig& c) { c.lr = inf; }},
      {"weight_decay", [](TrainConfig& c) { c.weight_decay = -1; }},
      {"momentum", [](TrainConfig& c) { c.momentum = 1.5; }},
      {"lars_eta", [](TrainConfig& c) { c.lars_eta = 0; }},
      {"final_lr_fraction", [](TrainConfig& c) { c.final_lr_fraction = -3; }},
      {"clip_grad_norm", [&](TrainConfig& c) { c.clip_grad_norm = nan; }},
      {"barlow_lambda", [&](TrainConfig& c) { c.task.barlow_lambda = inf; }},
      {"dae_sigma", [](TrainConfig& c) { c.task.dae_sigma = -0.1; }},
      {"rpl_flip_p", [](TrainConfig& c) { c.task.rpl_flip_p = 2; }},
      {"keep_checkpoints", [](TrainConfig& c) { c.keep_checkpoints = 0; }},
  };
  for (const auto& [key, spoil] : cases) {
    TrainConfig c;
    c.method = "dae";  // whatever the method, every value is checked
    spoil(c);
    try {
      c.validate();
      ADD_FAILURE() << key << ": accepted";
    } catch (const InputError& e) {
      EXPECT_EQ(std::string(e.what()).rfind(key + " must", 0), 0u) << e.what();
    }
  }
  EXPECT_NO_THROW(TrainConfig{}.validate());
}

// A run folder's model is rebuilt from the config its checkpoint stores as text.
TEST(Config, StoredEntriesGiveBackTheConfigAndBadValuesAreErrors) {
  TrainConfig a;
  a.method = "rpl";
  a.seed = 18446744073709551000ULL;  // seeds are uint64: above 2^63 too
  a.base_width = 12;
  a.lr = 0.25;
  TrainConfig b = config_from_entries(a.entries());
  EXPECT_EQ(b.method, "rpl");
  EXPECT_EQ(b.seed, a.seed);
  EXPECT_EQ(b.base_width, 12);
  EXPECT_DOUBLE_EQ(b.lr, 0.25);
  for (const auto& [key, value] : std::vector<std::pair<std::string, std::string>>{
           {"seed", "-1"}, {"seed", "1.5"}, {"seed", "x"}, {"seed", ""}, {"base_width", "wide"}, {"lr", "fast"}}) {
    try {
      config_from_entries({{key, value}});
      ADD_FAILURE() << key << " = '" << value << "' was accepted";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("config key " + key), std::string::npos) << e.what();
    }
  }
}

TEST(Evaluation, ConfusionMatrixAndScoresByHand) {
  // 3 classes. gt:   0 0 1 1 2 255
  //            pred: 0 1 1 1 0 2
  auto gt = torch::tensor({0, 0, 1, 1, 2, 255}, torch::kUInt8);
  auto pred = torch::tensor({0, 1, 1, 1, 0, 2}, torch::kLong);
  auto cm = confusion_matrix(pred, gt, 3);
  EXPECT_TRUE(torch::equal(cm, torch::tensor({{1, 1, 0}, {0, 2, 0}, {1, 0, 0}}, torch::kLong)));
  auto s = scores_from_confusion(cm);
  // IoU0 = 1 / (1 + 1 + 1) ; IoU1 = 2 / (2 + 1 + 0) ; IoU2 = 0 / (0 + 0 + 1)
  EXPECT_NEAR(s.per_class_iou[0], 1.0 / 3, 1e-12);
  EXPECT_NEAR(s.per_class_iou[1], 2.0 / 3, 1e-12);
  EXPECT_NEAR(s.per_class_iou[2], 0.0, 1e-12);
  EXPECT_NEAR(s.miou, 1.0 / 3, 1e-12);
  EXPECT_NEAR(s.pixel_accuracy, 3.0 / 5, 1e-12);
  // A class absent from labels and predictions is NaN and skipped in the mean.
  auto s4 = scores_from_confusion(confusion_matrix(pred, gt, 4));
  EXPECT_TRUE(std::isnan(s4.per_class_iou[3]));
  EXPECT_NEAR(s4.miou, 1.0 / 3, 1e-12);
}

TEST(Optimizers, LarsStepByHand) {
  // w = [3, 4] (|w| = 5) as a 2-D parameter, grad [0, 1], wd 0: q = eta * 5 / 1,
  // mu = q * g, w' = w - lr * mu.
  auto w = torch::tensor({{3.0, 4.0}}, torch::kDouble).requires_grad_(true);
  auto b = torch::tensor({1.0}, torch::kDouble).requires_grad_(true);  // 1-D: plain momentum SGD
  auto opt = make_optimizer({w, b}, {"lars", 0.1, 0.0, 0.9, 0.01});
  (w * torch::tensor({{0.0, 1.0}}, torch::kDouble)).sum().add(b * 2.0).sum().backward();
  opt->step();
  EXPECT_NEAR(w[0][1].item<double>(), 4.0 - 0.1 * 0.05, 1e-12);
  EXPECT_NEAR(w[0][0].item<double>(), 3.0, 1e-12);
  EXPECT_NEAR(b[0].item<double>(), 1.0 - 0.1 * 2.0, 1e-12);
  // State round trip: a restored optimiser continues identically.
  auto saved = opt->save();
  auto w2 = w.detach().clone().requires_grad_(true), b2 = b.detach().clone().requires_grad_(true);
  auto opt2 = make_optimizer({w2, b2}, {"lars", 0.1, 0.0, 0.9, 0.01});
  opt2->load(saved);
  opt->zero_grad();
  (w.sum() + b.sum()).backward();
  (w2.sum() + b2.sum()).backward();
  opt->step();
  opt2->step();
  EXPECT_TRUE(torch::equal(w, w2));
  EXPECT_TRUE(torch::equal(b, b2));
}

// Same gradients as LibTorch's clip_grad_norm_ (which reads the norm on the host), the norm
// before clipping returned as a tensor; a parameter without gradient is skipped, a norm under
// the limit leaves the gradients alone.
TEST(GradClip, ScalesLikeLibTorchAndReturnsTheNormAsATensor) {
  torch::manual_seed(3);
  std::vector<at::Tensor> ours, theirs;
  for (auto shape : std::vector<std::vector<int64_t>>{{4, 3, 3, 3}, {4}, {7, 5}, {2}}) {
    auto p = torch::randn(shape).requires_grad_(true);
    ours.push_back(p);
    theirs.push_back(p.detach().clone().requires_grad_(true));
  }
  for (size_t i = 0; i + 1 < ours.size(); ++i) {  // the last one gets no gradient
    auto g = torch::randn(ours[i].sizes()) * 3.0;
    ours[i].mutable_grad() = g.clone();
    theirs[i].mutable_grad() = g.clone();
  }
  const double expected = torch::nn::utils::clip_grad_norm_(theirs, 1.5);
  const at::Tensor norm = clip_grad_norm(ours, 1.5);
  EXPECT_EQ(norm.dim(), 0);
  EXPECT_NEAR(norm.item<double>(), expected, 1e-5 * expected);
  EXPECT_GT(expected, 1.5);
  for (size_t i = 0; i + 1 < ours.size(); ++i)
    EXPECT_TRUE(torch::allclose(ours[i].grad(), theirs[i].grad(), 1e-6, 1e-7)) << i;
  EXPECT_FALSE(ours.back().grad().defined());
  // Now at norm 1.5: a limit above it changes nothing.
  auto before = ours[0].grad().clone();
  EXPECT_NEAR(clip_grad_norm(ours, 10.0).item<double>(), 1.5, 1e-5);
  EXPECT_TRUE(torch::equal(ours[0].grad(), before));
  EXPECT_EQ(clip_grad_norm({torch::zeros({2}, torch::requires_grad())}, 1.0).item<double>(), 0.0);
}

TEST(Checkpoint, RoundTripAndNewestSelection) {
  auto dir = test::temp_dir("ckpt");
  RunState st;
  st.kind = "pretrain";
  st.method = "dae";
  st.config = {{"lr", "0.1"}, {"method", "dae"}};
  st.step = 7;
  st.curves.step = {0, 1};
  st.curves.loss = {2.0f, 1.5f};
  st.curves.lr = {0.1f, 0.1f};
  st.curves.metrics["accuracy"] = {0.1f, 0.2f};
  st.model = std::string("\0\1\2bytes", 8);
  write_checkpoint(checkpoint_path(dir, 7), st);
  st.step = 12;
  write_checkpoint(checkpoint_path(dir, 12), st);
  // A leftover temporary file of an interrupted write is not a checkpoint.
  { std::ofstream(checkpoints_dir(dir) + "/ckpt-00000099.bin.tmp-123") << "partial"; }
  EXPECT_EQ(list_checkpoints(dir).size(), 2u);
  EXPECT_EQ(newest_checkpoint(dir), checkpoint_path(dir, 12));
  auto back = read_checkpoint(newest_checkpoint(dir));
  EXPECT_EQ(back.step, 12);
  EXPECT_EQ(back.format_version, kCheckpointFormat);
  EXPECT_EQ(back.model, st.model);
  EXPECT_EQ(back.curves.metrics.at("accuracy"), st.curves.metrics.at("accuracy"));
  EXPECT_EQ(back.config, st.config);
  prune_checkpoints(dir, 1);
  EXPECT_EQ(list_checkpoints(dir), std::vector<std::string>{checkpoint_path(dir, 12)});
  { std::ofstream(dir + "/garbage.bin") << "not a checkpoint"; }
  EXPECT_NE(test::input_error([&] { read_checkpoint(dir + "/garbage.bin"); })
                .find("is not a loce checkpoint"),
            std::string::npos);
  { std::ofstream(dir + "/results.h5") << "\x89HDF\r\n\x1a\n and the rest"; }
  EXPECT_NE(test::input_error([&] { read_checkpoint(dir + "/results.h5"); })
                .find("is not a loce checkpoint (an HDF5 file)"),
            std::string::npos);
  EXPECT_THROW(newest_checkpoint(test::temp_dir("empty")), InputError);
}

// Format 2 stores a SHA-256 of the state after it: a flipped byte that still parses (here in the
// model bytes) is an UnreadableCheckpoint, the kind the trainer sets aside as .bad.
TEST(Checkpoint, AFlippedByteFailsTheChecksum) {
  auto dir = test::temp_dir("ckpt_flip");
  RunState st;
  st.kind = "pretrain";
  st.method = "dae";
  st.model = std::string(4096, 'w');
  st.optimizer = "optimizer-bytes";
  const std::string path = checkpoint_path(dir, 3);
  write_checkpoint(path, st);
  EXPECT_TRUE(read_checkpoint(path).checksum_verified);
  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    bytes = ss.str();
  }
  const size_t at = bytes.find(std::string(64, 'w'));
  ASSERT_NE(at, std::string::npos);
  bytes[at + 1000] = 'x';
  { std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes; }
  try {
    read_checkpoint(path);
    FAIL() << "a damaged checkpoint was read";
  } catch (const UnreadableCheckpoint& e) {
    EXPECT_NE(std::string(e.what()).find("checksum"), std::string::npos) << e.what();
  }
}

TEST(Config, DataFingerprintIsCheckedWhenRecordedAndThreadsNever) {
  ConfigEntries saved{{"lr", "0.1"}, {"threads", "1"}};
  ConfigEntries now{{"lr", "0.1"}, {"data_fingerprint", "abc"}, {"threads", "4"}};
  // A checkpoint from before the fingerprint was recorded: nothing to compare.
  EXPECT_NO_THROW(check_resumable(saved, now));
  saved.push_back({"data_fingerprint", "abc"});
  EXPECT_NO_THROW(check_resumable(saved, now));
  saved.back().second = "def";
  try {
    check_resumable(saved, now);
    FAIL() << "other data was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("'data_fingerprint'"), std::string::npos) << e.what();
  }
  EXPECT_NE(config_hash({{"data_fingerprint", "abc"}}), config_hash({{"data_fingerprint", "def"}}));
  EXPECT_EQ(config_hash({{"threads", "1"}}), config_hash({{"threads", "2"}}));
}
