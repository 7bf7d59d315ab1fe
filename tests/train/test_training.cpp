// Every method trains on the synthetic dataset (tiny: 32x64 images, base width 8) in-process,
// as a world of one; fine-tuning and evaluation run on top of a pretrained encoder.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "core/hdf5.h"
#include "core/lock_file.h"
#include "dist/self_communicator.h"
#include "dist/world.h"
#include "ssl/task.h"
#include "support/test_support.h"
#include "train/evaluation.h"
#include "train/finetune.h"
#include "train/inspect.h"
#include "train/pretrain.h"
#include "train/run_dir.h"
#include "train/synthetic_cache.h"
#include "train/tiny_config.h"

using namespace loce;
using loce::LockFile;

namespace {

class Training : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    static char name[] = "test_train";
    static char* args[] = {name, nullptr};
    int argc = 1;
    char** argv = args;
    dist::init_world(&argc, &argv);
    cache_ = test::temp_dir("train_cache") + "/cache.h5";
    test::write_synthetic_cache(cache_, 48, 12);
  }
  static std::string cache_;
};
std::string Training::cache_;

std::vector<float> losses(const std::string& run_dir) {
  auto f = h5::File::open(train::curves_path(run_dir));
  auto t = h5::read_tensor(f, "/train/loss");
  return std::vector<float>(t.data_ptr<float>(), t.data_ptr<float>() + t.numel());
}

float mean(const std::vector<float>& v, size_t from, size_t to) {
  double s = 0;
  for (size_t i = from; i < to; ++i) s += v[i];
  return float(s / double(to - from));
}

}  // namespace

class PretextTraining : public Training, public ::testing::WithParamInterface<std::string> {};

TEST_P(PretextTraining, LossGoesDownAndTheRunFolderIsComplete) {
  const std::string method = GetParam();
  auto config = test::tiny_config(method, cache_);
  // Barlow Twins and the 9-way patch classifier need more steps than the denoiser to show it.
  if (method == "barlow") config.steps = 24;
  if (method == "rpl") config.steps = 48;
  auto run = test::temp_dir("run_" + method);
  auto outcome = train::run_pretraining(config, run, false, torch::kCPU);
  EXPECT_EQ(outcome.step, config.steps);
  EXPECT_FALSE(outcome.interrupted);
  auto l = losses(run);
  ASSERT_EQ(int64_t(l.size()), config.steps);
  for (float v : l) EXPECT_TRUE(std::isfinite(v));
  EXPECT_LT(mean(l, l.size() - 4, l.size()), mean(l, 0, 4)) << method << ": first " << l.front()
                                                            << " last " << l.back();
  // Two checkpoints kept (every 6 steps, keep 2), the newest at the end.
  auto ckpts = train::list_checkpoints(run);
  EXPECT_EQ(ckpts.size(), 2u);
  EXPECT_EQ(ckpts.back(), train::checkpoint_path(run, config.steps));
  auto s = train::summarize_checkpoint(run);
  EXPECT_EQ(s.method, method);
  EXPECT_EQ(s.step, config.steps);
  EXPECT_EQ(s.digest.size(), 64u);
  std::ifstream info(train::run_info_path(run));
  std::stringstream text;
  text << info.rdbuf();
  EXPECT_NE(text.str().find("\"method\": \"" + method + "\""), std::string::npos);
  if (method == "rpl") {
    auto f = h5::File::open(train::curves_path(run));
    EXPECT_EQ(h5::read_tensor(f, "/train/accuracy").numel(), config.steps);
    EXPECT_EQ(h5::attr_string(f, "/train", "method"), "rpl");
  }
  // The encoder loads for inference (what LoCE uses).
  auto encoder = train::load_encoder(run, torch::kCPU);
  auto feats = encoder->forward(torch::randn({1, 3, 32, 64}));
  EXPECT_EQ(feats.back().size(1), 64);
}

INSTANTIATE_TEST_SUITE_P(Methods, PretextTraining, ::testing::Values("barlow", "dae", "rpl"));

TEST_F(Training, BaselineSavesItsInitialisationUntrained) {
  auto config = test::tiny_config("baseline", cache_);
  auto run = test::temp_dir("run_baseline");
  auto outcome = train::run_pretraining(config, run, false, torch::kCPU);
  EXPECT_EQ(outcome.step, 0);
  auto s = train::summarize_checkpoint(run);
  EXPECT_EQ(s.method, "baseline");
  EXPECT_EQ(s.step, 0);
  auto fresh = train::initial_network(config, models::HeadSet{});
  EXPECT_EQ(s.digest, train::state_digest(*fresh));
  EXPECT_EQ(losses(run).size(), 0u);
}

TEST_F(Training, ExistingRunNeedsResumeAndNonFiniteLossStopsWithoutSaving) {
  auto config = test::tiny_config("dae", cache_);
  config.steps = 2;
  auto run = test::temp_dir("run_exists");
  train::run_pretraining(config, run, false, torch::kCPU);
  EXPECT_THROW(train::run_pretraining(config, run, false, torch::kCPU), InputError);

  auto bad = test::tiny_config("dae", cache_);
  // A finite sigma (a NaN one is refused up front) whose noise overflows float32 images to
  // inf: the loss of step 0 is NaN.
  bad.task.dae_sigma = 1e300;
  auto nan_run = test::temp_dir("run_nan");
  try {
    train::run_pretraining(bad, nan_run, false, torch::kCPU);
    FAIL() << "a NaN loss did not stop the run";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("at step 0"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(train::list_checkpoints(nan_run).empty());
}

// A finite loss followed by an update that overflows the weights: the checkpoint due after that
// step must not be written (a poisoned checkpoint would be what --resume picks up next).
TEST_F(Training, DivergedWeightsAreNeverCheckpointed) {
  auto config = test::tiny_config("dae", cache_);
  config.steps = 4;
  config.checkpoint_every = 1;
  config.warmup_steps = 0;
  config.optimizer = "sgd";
  config.lr = 1e30;  // the loss of step 0 is finite, the update after it is not
  auto run = test::temp_dir("run_diverge");
  try {
    train::run_pretraining(config, run, false, torch::kCPU);
    FAIL() << "diverged weights did not stop the run";
  } catch (const Error& e) {
    // Step 0's loss is finite, its update is not: step 1 fails, and the state after step 1,
    // due for a checkpoint, is never written.
    EXPECT_NE(std::string(e.what()).find("non-finite"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("step 1 "), std::string::npos) << e.what();
  }
  EXPECT_TRUE(train::list_checkpoints(run).empty());
}

// A crop that shows only ignored pixels gives loss 0 and zero gradients (not 0/0); otherwise
// the loss is the mean cross-entropy over the labelled pixels.
TEST_F(Training, FineTuningLossOverLabelledPixelsOnly) {
  auto config = test::tiny_config("finetune", cache_);
  models::HeadSet heads;
  heads.segmentation = true;
  auto net = train::initial_network(config, heads);
  auto task = train::make_segmentation_task();
  dist::SelfCommunicator self;
  ssl::TaskBatch batch;
  batch.inputs = {torch::randn({2, 3, 32, 64})};
  batch.target = torch::full({2, 32, 64}, 255, torch::kLong);
  auto none = task->loss(*net, batch, self).loss;
  none.backward();
  EXPECT_EQ(none.item<double>(), 0.0);
  for (const auto& p : net->segmentation->parameters()) {
    if (p.grad().defined()) {
      EXPECT_EQ(p.grad().abs().max().item<double>(), 0.0);
    }
  }

  batch.target.select(1, 3).fill_(7);  // one labelled row per image
  auto logits = net->segmentation->forward(net->encoder->forward(batch.inputs[0])).detach();
  auto want = at::cross_entropy_loss(logits, batch.target, {}, at::Reduction::Mean, 255);
  EXPECT_NEAR(task->loss(*net, batch, self).loss.item<double>(), want.item<double>(), 1e-6);
}

// Losses stay on the device until the log or a checkpoint needs them; a non-finite one is still
// reported at its own step, and nothing after it is saved.
TEST_F(Training, ADeferredNonFiniteLossIsReportedAtItsStep) {
  auto config = test::tiny_config("dae", cache_);
  config.steps = 8;
  config.log_every = 100;
  config.checkpoint_every = 3;
  config.optimizer = "sgd";
  config.lr = 1e30;  // step 0's update overflows the weights: step 1's loss is not finite
  auto run = test::temp_dir("run_deferred_nan");
  try {
    train::run_pretraining(config, run, false, torch::kCPU);
    FAIL() << "a non-finite loss did not stop the run";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("non-finite loss"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("at step 1 "), std::string::npos) << e.what();
  }
  EXPECT_TRUE(train::list_checkpoints(run).empty());
}

// Batches read ahead on a thread are the batches read in the step: the same run.
TEST_F(Training, ReadAheadDepthDoesNotChangeTheRun) {
  std::vector<std::string> digests;
  std::vector<std::vector<float>> curves;
  for (int64_t depth : {0, 3}) {
    auto config = test::tiny_config("barlow", cache_);
    config.steps = 5;
    config.prefetch = depth;
    auto run = test::temp_dir("run_prefetch_" + std::to_string(depth));
    train::run_pretraining(config, run, false, torch::kCPU);
    digests.push_back(train::summarize_checkpoint(run).digest);
    curves.push_back(losses(run));
  }
  EXPECT_EQ(digests[0], digests[1]);
  EXPECT_EQ(curves[0], curves[1]);
  EXPECT_EQ(curves[0].size(), 5u);
}

// With clipping on, the norm each step had before clipping is a curve of the run, and a limit
// far above it leaves the run as it is without clipping.
TEST_F(Training, ClippingLogsTheGradientNorm) {
  std::vector<std::string> digests;
  for (double clip : {0.0, 1e9}) {
    auto config = test::tiny_config("dae", cache_);
    config.steps = 4;
    config.clip_grad_norm = clip;
    auto run = test::temp_dir("run_clip_" + std::to_string(clip > 0));
    train::run_pretraining(config, run, false, torch::kCPU);
    digests.push_back(train::summarize_checkpoint(run).digest);
    auto f = h5::File::open(train::curves_path(run));
    EXPECT_EQ(h5::exists(f, "/train/grad_norm"), clip > 0);
    if (clip > 0) {
      auto norms = h5::read_tensor(f, "/train/grad_norm");
      EXPECT_EQ(norms.numel(), 4);
      EXPECT_TRUE((norms > 0).all().item<bool>() && torch::isfinite(norms).all().item<bool>());
    }
  }
  EXPECT_EQ(digests[0], digests[1]);
}

TEST_F(Training, FineTuningKeepsTheEncoderFrozenAndEvaluationScores) {
  auto pre = test::tiny_config("dae", cache_);
  auto pre_run = test::temp_dir("run_pre");
  train::run_pretraining(pre, pre_run, false, torch::kCPU);

  auto ft = test::tiny_config("finetune", cache_);
  ft.encoder_run = pre_run;
  ft.steps = 16;
  ft.lr = 1e-2;
  auto ft_run = test::temp_dir("run_ft");
  train::run_finetuning(ft, ft_run, false, torch::kCPU);
  auto l = losses(ft_run);
  EXPECT_LT(mean(l, l.size() - 4, l.size()), mean(l, 0, 4));

  // The encoder of the fine-tuned model is bit-identical to the pretrained one (BN buffers too).
  auto pre_enc = train::load_encoder(pre_run, torch::kCPU);
  auto ft_enc = train::load_encoder(ft_run, torch::kCPU);
  EXPECT_EQ(train::state_digest(*pre_enc), train::state_digest(*ft_enc));

  train::EvaluationSetup ev;
  ev.data = cache_;
  ev.model_run = pre_run;  // the usual slip: the pretraining run
  EXPECT_NE(test::input_error([&] { train::run_evaluation(ev); }).find("is from a pretrain run"),
            std::string::npos);
  ev.model_run = ft_run;
  auto scores = train::run_evaluation(ev);
  EXPECT_GT(scores.pixel_accuracy, 0.2);
  EXPECT_LE(scores.pixel_accuracy, 1.0);
  EXPECT_GE(scores.miou, 0.0);
  EXPECT_EQ(scores.per_class_iou.size(), 19u);
  // Every val image counted once: at most all pixels, fewer by the ignored ones.
  EXPECT_GT(scores.confusion.sum().item<int64_t>(), 12 * 32 * 64 / 2);
  EXPECT_LE(scores.confusion.sum().item<int64_t>(), 12 * 32 * 64);
  std::ifstream js(ft_run + "/eval.json");
  std::stringstream text;
  text << js.rdbuf();
  for (const char* key : {"\"miou\"", "\"pixel_acc\"", "\"per_class_iou\"", "\"road\""})
    EXPECT_NE(text.str().find(key), std::string::npos) << key;
  EXPECT_TRUE(std::ifstream(ft_run + "/eval.md").good());
  auto h = h5::File::open(ft_run + "/eval.h5");
  EXPECT_EQ(h5::read_tensor(h, "/eval/confusion").sizes(), (std::vector<int64_t>{19, 19}));
  EXPECT_NE(text.str().find("\"step\": 16"), std::string::npos) << text.str();

  // Another split gets its own files (eval-train.*): the validation scores stay as they were.
  // Its outputs are checked before any image is decoded: nothing is written beside a folder
  // in the way.
  namespace fs = std::filesystem;
  const auto val_json = fs::last_write_time(ft_run + "/eval.json");
  fs::create_directories(ft_run + "/eval-train.h5");
  ev.split = "train";
  EXPECT_NE(test::input_error([&] { train::run_evaluation(ev); }).find("exists and is a folder"),
            std::string::npos);
  EXPECT_FALSE(fs::exists(ft_run + "/eval-train.json"));
  fs::remove(ft_run + "/eval-train.h5");
  train::run_evaluation(ev);
  for (const char* name : {"/eval-train.json", "/eval-train.md", "/eval-train.h5"})
    EXPECT_TRUE(fs::exists(ft_run + name)) << name;
  EXPECT_EQ(fs::last_write_time(ft_run + "/eval.json"), val_json);

  // A checkpoint file writes into its run folder; one outside any run folder is refused.
  ev.split = "val";
  const std::string checkpoint = train::list_checkpoints(ft_run).back();
  fs::remove(ft_run + "/eval.json");
  ev.model_run = checkpoint;
  train::run_evaluation(ev);
  EXPECT_TRUE(fs::exists(ft_run + "/eval.json"));
  const std::string loose = test::temp_dir("loose_checkpoint");
  fs::copy_file(checkpoint, loose + "/model.pt");
  ev.model_run = loose + "/model.pt";
  EXPECT_NE(test::input_error([&] { train::run_evaluation(ev); }).find("outside a run folder"),
            std::string::npos);
  EXPECT_FALSE(fs::exists(loose + "/eval.json"));
  EXPECT_FALSE(fs::exists(fs::path(loose).parent_path() / "eval.json"));
}

// The run folder's lock: a live holder (here this very process) refuses a second trainer before
// it touches anything; a dead holder's lock is taken over; the lock is gone after the run.
TEST_F(Training, ARunFolderInUseIsRefusedAndAStaleLockTakenOver) {
  namespace fs = std::filesystem;
  auto config = test::tiny_config("dae", cache_);
  config.steps = 2;
  const std::string run = test::temp_dir("run_locked");
  { std::ofstream(train::lock_path(run)) << LockFile::holder_line() << "\n"; }
  try {
    train::run_pretraining(config, run, false, torch::kCPU);
    FAIL() << "a locked run folder was trained into";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("in use by pid " + std::to_string(getpid())), std::string::npos)
        << e.what();
  }
  EXPECT_TRUE(fs::exists(train::lock_path(run)));  // not ours to remove
  EXPECT_FALSE(fs::exists(train::run_info_path(run)));
  EXPECT_TRUE(train::list_checkpoints(run).empty());

  char host[256] = {0};
  gethostname(host, sizeof host - 1);
  const pid_t dead = fork();
  if (dead == 0) _exit(0);
  waitpid(dead, nullptr, 0);
  { std::ofstream(train::lock_path(run)) << host << " " << dead << " -\n"; }
  auto outcome = train::run_pretraining(config, run, false, torch::kCPU);
  EXPECT_EQ(outcome.step, 2);
  EXPECT_FALSE(fs::exists(train::lock_path(run)));
}

// The data a run trains on is part of its config (a fingerprint of the split): a resume onto
// another cache of the same size is refused naming data_fingerprint; the same data under
// another path is fine.
TEST_F(Training, ResumeOntoOtherDataIsRefused) {
  namespace fs = std::filesystem;
  auto config = test::tiny_config("dae", cache_);
  config.steps = 2;
  const std::string run = test::temp_dir("run_data");
  train::run_pretraining(config, run, false, torch::kCPU);
  const std::string dir = test::temp_dir("other_data");
  auto other = config;
  other.data = dir + "/other.h5";
  test::write_synthetic_cache(other.data, 48, 12, 32, 64, /*seed=*/4);
  try {
    train::run_pretraining(other, run, true, torch::kCPU);
    FAIL() << "resumed onto other data";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("'data_fingerprint'"), std::string::npos) << e.what();
  }
  auto moved = config;
  moved.data = dir + "/moved.h5";
  fs::copy_file(cache_, moved.data);
  EXPECT_NO_THROW(train::run_pretraining(moved, run, true, torch::kCPU));
}

// A run that fails before its first checkpoint leaves no run.json behind, and no folder when it
// made the folder; a folder that was there keeps what else it holds.
TEST_F(Training, ARunFailingBeforeItsFirstCheckpointRemovesWhatItCreated) {
  namespace fs = std::filesystem;
  auto bad = test::tiny_config("dae", cache_);
  bad.task.dae_sigma = 1e300;  // NaN loss at step 0 (see above)
  const std::string parent = test::temp_dir("run_fail");
  const std::string fresh = parent + "/fresh";
  EXPECT_THROW(train::run_pretraining(bad, fresh, false, torch::kCPU), Error);
  EXPECT_FALSE(fs::exists(fresh));

  const std::string existing = parent + "/existing";
  fs::create_directories(existing);
  { std::ofstream(existing + "/notes.txt") << "mine"; }
  EXPECT_THROW(train::run_pretraining(bad, existing, false, torch::kCPU), Error);
  EXPECT_FALSE(fs::exists(train::run_info_path(existing)));
  EXPECT_FALSE(fs::exists(train::lock_path(existing)));
  EXPECT_TRUE(fs::exists(existing + "/notes.txt"));
}

// Fine-tuning takes a finished pretraining run's encoder: an unfinished one only when asked
// (--allow-unfinished-encoder), a fine-tuning run never. Full-resolution labels must be at
// least as fine as the images, of the same aspect ratio.
TEST_F(Training, FineTuningRefusesUnfinishedOrNonPretrainingEncodersAndCoarseLabels) {
  namespace fs = std::filesystem;
  auto pre = test::tiny_config("dae", cache_);
  pre.steps = 4;
  pre.checkpoint_every = 2;
  const std::string pre_run = test::temp_dir("run_unfinished");
  train::run_pretraining(pre, pre_run, false, torch::kCPU);
  fs::remove(train::checkpoint_path(pre_run, 4));  // as if stopped after step 2 of 4

  auto ft = test::tiny_config("finetune", cache_);
  ft.encoder_run = pre_run;
  ft.steps = 2;
  const std::string parent = test::temp_dir("run_ft_checks");
  try {
    train::run_finetuning(ft, parent + "/a", false, torch::kCPU);
    FAIL() << "an unfinished encoder was accepted";
  } catch (const InputError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("step 2 of 4"), std::string::npos) << msg;
    EXPECT_NE(msg.find("--allow-unfinished-encoder"), std::string::npos) << msg;
  }
  EXPECT_FALSE(fs::exists(parent + "/a"));
  const std::string ft_run = parent + "/b";
  train::run_finetuning(ft, ft_run, false, torch::kCPU, /*allow_unfinished_encoder=*/true);

  auto ft2 = ft;
  ft2.encoder_run = ft_run;
  try {
    train::run_finetuning(ft2, parent + "/c", false, torch::kCPU, true);
    FAIL() << "a fine-tuning run was accepted as encoder";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("not a pretraining run"), std::string::npos) << e.what();
  }

  train::EvaluationSetup ev;
  ev.model_run = ft_run;
  ev.data = cache_;
  ev.full_res_labels = parent + "/coarse.h5";
  test::write_synthetic_cache(ev.full_res_labels, 48, 12, 16, 32);
  try {
    train::run_evaluation(ev);
    FAIL() << "coarser labels were accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("below the 32x64"), std::string::npos) << e.what();
  }
  ev.full_res_labels = parent + "/square.h5";
  test::write_synthetic_cache(ev.full_res_labels, 48, 12, 64, 64);
  try {
    train::run_evaluation(ev);
    FAIL() << "labels of another aspect ratio were accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("aspect ratio"), std::string::npos) << e.what();
  }
}
