// `--from-activations` end to end through the library (a world of one): the published
// implementation's vectors come out of a user-made activations file, and malformed inputs give
// one clear error and no output file.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>

#include "core/error.h"
#include "core/hdf5.h"
#include "core/version.h"
#include "dist/self_communicator.h"
#include "loce/from_activations.h"
#include "loce/loce_file.h"
#include "loce/loce_test_data.h"
#include "support/test_support.h"

using namespace loce;
using namespace loce::embedding;
namespace fs = std::filesystem;

namespace {

// Writes an input file in the --from-activations schema.
void write_input(const std::string& path, const at::Tensor& acts, const at::Tensor& masks,
                 const at::Tensor& concept_id = {}) {
  auto f = h5::File::create(path);
  h5::write_tensor(f, "/activations", acts);
  h5::write_tensor(f, "/masks", masks);
  if (concept_id.defined()) h5::write_tensor(f, "/concept", concept_id);
  h5::set_attr(f, "/", "layer", std::string("test.layer"));
}

// Runs the embedding on `in` and expects an InputError containing `fragment`, and no `out`.
void expect_input_error(const std::string& in, const std::string& out, const std::string& fragment,
                        const OptimizerSettings& s = {}) {
  dist::SelfCommunicator comm;
  try {
    embed_from_activations(in, out, s, c10::kCPU, comm);
    ADD_FAILURE() << in << ": no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(out)) << in;
}

struct CaseA {
  at::Tensor acts, masks, loce;
};
CaseA case_a() {
  auto f = h5::File::open(test::loce_data_file("loce_ref_case_a.h5"));
  return {h5::read_tensor(f, "/acts"), h5::read_tensor(f, "/masks"), h5::read_tensor(f, "/loce")};
}

}  // namespace

TEST(FromActivations, ReproducesReferenceVectorsAndWritesTheSchema) {
  const std::string dir = test::temp_dir("loce_fa");
  CaseA c = case_a();
  const int64_t P = c.acts.size(0);
  at::Tensor concept_id = torch::arange(P, torch::kInt32) % 3;
  write_input(dir + "/in.h5", c.acts, c.masks, concept_id);
  dist::SelfCommunicator comm;
  OptimizerSettings s;
  s.memory_budget_bytes = 4 << 20;  // several chunks
  auto summary = embed_from_activations(dir + "/in.h5", dir + "/out.h5", s, c10::kCPU, comm);
  EXPECT_EQ(summary.pairs_in, P);
  EXPECT_EQ(summary.pairs_out, P);

  LoceTable t = read_loce_file(dir + "/out.h5");
  at::Tensor rel = (t.vectors - c.loce).norm(2, 1) / c.loce.norm(2, 1);
  EXPECT_LT(rel.max().item<float>(), 1e-3);
  EXPECT_TRUE(torch::equal(t.concept_id, concept_id));
  EXPECT_TRUE(torch::equal(t.image, torch::arange(P, torch::kInt32)));
  EXPECT_EQ(t.image_names.size(), size_t(P));
  EXPECT_GT(t.iou.min().item<float>(), 0.3);
  EXPECT_TRUE(torch::allclose(t.area, c.masks.to(torch::kFloat32).mean({1, 2})));

  auto f = h5::File::open(dir + "/out.h5");
  EXPECT_EQ(h5::attr_string(f, "/loce", "mode"), "reference");
  EXPECT_EQ(h5::attr_string(f, "/loce", "layer"), "test.layer");
  EXPECT_EQ(h5::attr_int(f, "/loce", "iterations"), 50);
  EXPECT_EQ(h5::attr_strings(f, "/loce", "concepts"),
            (std::vector<std::string>{"road", "sidewalk", "building"}));
  EXPECT_EQ(h5::attr_string(f, "/loce", "git_revision"), loce::git_revision());
}

TEST(FromActivations, CountsSkippedPairs) {
  const std::string dir = test::temp_dir("loce_fa");
  CaseA c = case_a();
  at::Tensor acts = c.acts.slice(0, 0, 6).clone();
  at::Tensor masks = c.masks.slice(0, 0, 6).clone();
  masks[1].zero_();                                     // empty
  masks[2].fill_(1);                                    // full
  acts[3][0][0][0] = std::numeric_limits<float>::quiet_NaN();  // non-finite
  write_input(dir + "/in.h5", acts, masks);
  dist::SelfCommunicator comm;
  OptimizerSettings s;
  s.mode = Mode::Native;
  embed_from_activations(dir + "/in.h5", dir + "/out.h5", s, c10::kCPU, comm);
  LoceTable t = read_loce_file(dir + "/out.h5");
  EXPECT_TRUE(torch::equal(t.image, torch::tensor({0, 4, 5}, torch::kInt32)));
  EXPECT_TRUE(torch::isfinite(t.vectors).all().item<bool>());
  auto f = h5::File::open(dir + "/out.h5");
  EXPECT_EQ(h5::attr_int(f, "/loce", "skipped_empty"), 1);
  EXPECT_EQ(h5::attr_int(f, "/loce", "skipped_full"), 1);
  EXPECT_EQ(h5::attr_int(f, "/loce", "skipped_non_finite"), 1);
  EXPECT_EQ(h5::attr_int(f, "/loce", "pairs_considered"), 6);
}

TEST(FromActivations, MalformedInputsAreClearErrorsWithoutOutput) {
  const std::string dir = test::temp_dir("loce_fa");
  auto expect_error = [&](const std::string& name, const at::Tensor& acts, const at::Tensor& masks,
                          const std::string& fragment) {
    const std::string in = dir + "/" + name + ".h5";
    write_input(in, acts, masks);
    expect_input_error(in, dir + "/" + name + "_out.h5", fragment);
  };
  at::Tensor acts = torch::rand({3, 4, 2, 2});
  at::Tensor masks = (torch::rand({3, 4, 4}) > 0.5).to(torch::kUInt8);
  expect_error("pairs", acts, masks.slice(0, 0, 2), "pairs but /masks has 2");
  expect_error("dims", acts.view({3, 4, 4}), masks, "/activations must be [P, C, h, w]");
  at::Tensor bad_u8 = masks.clone();
  bad_u8[1][0][0] = 2;
  expect_error("u8", acts, bad_u8, "must hold 0 or 1");
  at::Tensor bad_f = masks.to(torch::kFloat32);
  bad_f[2][1][1] = std::numeric_limits<float>::quiet_NaN();
  expect_error("nan_mask", acts, bad_f, "must lie in [0, 1]");
}

TEST(FromActivations, IdsMustFitWhatTheyIndex) {
  // Ids are checked before they are narrowed to the file's int32 columns: 2^33 would wrap to 0.
  const std::string dir = test::temp_dir("loce_fa");
  at::Tensor acts = torch::rand({3, 4, 2, 2});
  at::Tensor masks = (torch::rand({3, 4, 4}) > 0.5).to(torch::kUInt8);
  auto expect_error = [&](const std::string& name, const std::string& dataset,
                          const at::Tensor& ids, const std::string& fragment) {
    const std::string in = dir + "/" + name + ".h5";
    write_input(in, acts, masks);
    auto f = h5::File::open(in, /*writable=*/true);
    h5::write_tensor(f, dataset, ids);
    f.close();
    expect_input_error(in, dir + "/" + name + "_out.h5", fragment);
  };
  const int64_t wraps_to_zero = int64_t(1) << 33;
  expect_error("concept_wraps", "/concept", torch::tensor({int64_t(0), int64_t(1), wraps_to_zero}),
               ":/concept: values must be Cityscapes trainIds (0..18) or -1");
  expect_error("concept_19", "/concept", torch::tensor({0, 19, 1}, torch::kInt32),
               "found 0..19");
  expect_error("concept_negative", "/concept", torch::tensor({0, -2, 1}, torch::kInt32),
               "found -2..1");
  // Without /images/name an id names one of the P pairs: no 10 million placeholder names.
  expect_error("image_unnamed", "/image", torch::tensor({0, 1, 10000000}, torch::kInt32),
               ":/image: values must lie in 0..2");
  expect_error("image_wraps", "/image", torch::tensor({int64_t(0), int64_t(1), wraps_to_zero}),
               ":/image: values must lie in 0..2");
}

TEST(FromActivations, PairsWithoutAFiniteVectorAreSkipped) {
  // Finite activations of 1e37 overflow the reference's back-projection over its 100x100 grid;
  // AdamW then turns inf/inf into NaN. Those of 1e30 overflow only AdamW's squared gradient,
  // which would leave the vector at zero with a finite loss. Either pair is counted as
  // non-finite, not written.
  for (const double scale : {1e37, 1e30}) {
    const std::string dir = test::temp_dir("loce_fa");
    torch::manual_seed(4);
    at::Tensor acts = torch::randn({3, 16, 4, 8});
    acts[1].mul_(scale);
    at::Tensor masks = (torch::rand({3, 16, 32}) < 0.3).to(torch::kUInt8);
    write_input(dir + "/in.h5", acts, masks);
    dist::SelfCommunicator comm;
    embed_from_activations(dir + "/in.h5", dir + "/out.h5", OptimizerSettings{}, c10::kCPU, comm);
    LoceTable t = read_loce_file(dir + "/out.h5");
    EXPECT_TRUE(torch::equal(t.image, torch::tensor({0, 2}, torch::kInt32))) << scale;
    EXPECT_TRUE(torch::isfinite(t.vectors).all().item<bool>()) << scale;
    EXPECT_TRUE(torch::isfinite(t.loss).all().item<bool>()) << scale;
    auto f = h5::File::open(dir + "/out.h5");
    EXPECT_EQ(h5::attr_int(f, "/loce", "skipped_non_finite"), 1) << scale;
  }
}

TEST(FromActivations, CountsPairsWithIouZero) {
  // A row of zero activations keeps its vector at zero: sigmoid 0.5, stored by the reference as
  // 127/255, predicts nothing, so its IoU is 0 (the reference's "not converged").
  const std::string dir = test::temp_dir("loce_fa");
  CaseA c = case_a();
  at::Tensor acts = c.acts.slice(0, 0, 4).clone();
  acts[2].zero_();
  write_input(dir + "/in.h5", acts, c.masks.slice(0, 0, 4));
  dist::SelfCommunicator comm;
  embed_from_activations(dir + "/in.h5", dir + "/out.h5", OptimizerSettings{}, c10::kCPU, comm);
  LoceTable t = read_loce_file(dir + "/out.h5");
  ASSERT_EQ(t.iou.size(0), 4);
  EXPECT_EQ(t.iou[2].item<float>(), 0);
  auto f = h5::File::open(dir + "/out.h5");
  EXPECT_EQ(h5::attr_int(f, "/loce", "pairs_iou_zero"), 1);
}

TEST(FromActivations, AnUnusableOutputStopsBeforeAnyOptimisation) {
  const std::string dir = test::temp_dir("loce_fa");
  // Integer activations are found only when a chunk reads them: the output's error comes first.
  write_input(dir + "/in.h5", torch::ones({2, 4, 2, 2}, torch::kInt32),
              (torch::rand({2, 4, 4}) > 0.5).to(torch::kUInt8));
  expect_input_error(dir + "/in.h5", dir + "/in.h5/sub/out.h5", "cannot create folder");
  fs::create_directories(dir + "/folder");
  dist::SelfCommunicator comm;
  EXPECT_THROW(embed_from_activations(dir + "/in.h5", dir + "/folder", OptimizerSettings{},
                                      c10::kCPU, comm),
               CollectiveInputError);
}

TEST(FromActivations, TheInputIsNeverTheOutput) {
  // --out naming the input file (directly or by another path) would replace the activations
  // with the LoCEs: refused before any work, the input left as it was.
  const std::string dir = test::temp_dir("loce_fa");
  write_input(dir + "/in.h5", torch::rand({2, 4, 2, 2}),
              (torch::rand({2, 4, 4}) > 0.5).to(torch::kUInt8));
  fs::create_directories(dir + "/sub");
  dist::SelfCommunicator comm;
  for (const std::string& out : {dir + "/in.h5", dir + "/sub/../in.h5", dir + "/./in.h5"}) {
    try {
      embed_from_activations(dir + "/in.h5", out, OptimizerSettings{}, c10::kCPU, comm);
      ADD_FAILURE() << out << ": no error";
    } catch (const CollectiveInputError& e) {
      EXPECT_NE(std::string(e.what()).find("is the input file"), std::string::npos) << e.what();
    }
    auto f = h5::File::open(dir + "/in.h5");
    EXPECT_TRUE(h5::exists(f, "/activations")) << out;
    EXPECT_FALSE(h5::exists(f, "/loce/vectors")) << out;
  }
}

TEST(FromActivations, MaskAndActivationTypesAreNamedInPlainWords) {
  // Not LibTorch's C++ names ("Char", "Int"): numpy's, and what is accepted instead.
  const std::string dir = test::temp_dir("loce_fa");
  at::Tensor acts = torch::rand({3, 4, 2, 2});
  at::Tensor masks = (torch::rand({3, 4, 4}) > 0.5).to(torch::kUInt8);
  write_input(dir + "/i32.h5", acts, masks.to(torch::kInt32));
  expect_input_error(dir + "/i32.h5", dir + "/i32_out.h5",
                     "masks are int32; accepted are uint8 (0 or 1), bool, or float32/float64 in [0, 1]");
  write_input(dir + "/int_acts.h5", acts.to(torch::kInt32), masks);
  expect_input_error(dir + "/int_acts.h5", dir + "/int_acts_out.h5",
                     ":/activations are int32; accepted are float32 and float64");
  write_input(dir + "/float_ids.h5", acts, masks, torch::tensor({0.5f, 1.f, 2.f}));
  expect_input_error(dir + "/float_ids.h5", dir + "/float_ids_out.h5",
                     ":/concept: must be integer, is float32");
}

TEST(FromActivations, OpenBlasThreadsFollowThreadsNotTheAffinityMask) {
  // OpenBLAS's pthread build sized its pool by the CPUs the process may use, so `taskset -c 0`
  // changed the encoder's vectors by 1 ulp under the same --threads: main now gives OpenBLAS
  // LibTorch's thread count (unless OPENBLAS_NUM_THREADS says otherwise).
  const std::string dir = test::temp_dir("loce_fa_blas");
  write_input(dir + "/in.h5", torch::rand({2, 4, 2, 2}),
              (torch::rand({2, 4, 4}) > 0.5).to(torch::kUInt8));
  auto run = [&](const std::string& env) {
    return test::run_command(env + " " + test::loce_binary() +
                             " --threads 1 --log-level debug embed --from-activations " + dir +
                             "/in.h5 --out " + dir + "/out.h5 --iterations 1 --mode native");
  };
  auto r = run("env -u OPENBLAS_NUM_THREADS");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  if (r.output.find("OpenBLAS") == std::string::npos) GTEST_SKIP() << "LibTorch without OpenBLAS";
  EXPECT_NE(r.output.find("OpenBLAS threads: 1 (as LibTorch's)"), std::string::npos) << r.output;
  r = run("OPENBLAS_NUM_THREADS=2");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("OpenBLAS threads: OPENBLAS_NUM_THREADS=2 (yours)"), std::string::npos)
      << r.output;
}
