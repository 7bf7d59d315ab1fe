// The reference mode against vectors the published implementation itself produced
// (tests/loce/data/loce_ref_case_*.h5, made by shared/bench/ref_loce_bench.py): relative L2
// error below 1e-3 for at least 99% of pairs and the same sign pattern.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/hdf5.h"
#include "loce/optimizer.h"
#include "loce/pair_plan.h"
#include "loce/resize_matrices.h"
#include "loce/targets.h"
#include "loce/loce_test_data.h"

using namespace loce;
using namespace loce::embedding;

namespace {

struct CaseResult {
  at::Tensor ours, theirs, target_ours, target_theirs;
};

CaseResult run_case(const std::string& name) {
  auto f = h5::File::open(test::loce_data_file(name));
  at::Tensor acts = h5::read_tensor(f, "/acts");
  at::Tensor masks = h5::read_tensor(f, "/masks");
  OptimizerSettings s;  // reference defaults
  s.iterations = int(h5::attr_int(f, "/", "epochs"));
  s.lr = h5::attr_double(f, "/", "lr");
  s.reference_batch = h5::attr_int(f, "/", "batch_size");
  Targets t = make_targets(masks.unsqueeze(1), acts.size(2), acts.size(3), s);
  Problem p{acts, t.target, t.positive_weight, reference_batch_sizes(t.skip, s.reference_batch)};
  Solution sol = optimize(p, s);
  return {sol.vectors.squeeze(1), h5::read_tensor(f, "/loce"), t.target.squeeze(1),
          h5::read_tensor(f, "/masks_target")};
}

void expect_reproduced(const CaseResult& r) {
  ASSERT_EQ(r.ours.sizes(), r.theirs.sizes());
  EXPECT_LT((r.target_ours - r.target_theirs).abs().max().item<float>(), 1e-6);
  at::Tensor rel = (r.ours - r.theirs).norm(2, 1) / r.theirs.norm(2, 1);
  const int64_t P = rel.size(0);
  const int64_t good = (rel < 1e-3).sum().item<int64_t>();
  EXPECT_GE(good * 100, P * 99) << "max relative error " << rel.max().item<float>();
  // The same sign pattern, component by component.
  EXPECT_TRUE(torch::equal(r.ours.sign(), r.theirs.sign()))
      << (r.ours.sign() != r.theirs.sign()).sum().item<int64_t>() << " signs differ";
  std::printf("  %lld pairs, median relative L2 error %.2e, max %.2e\n", (long long)P,
              rel.median().item<float>(), rel.max().item<float>());
}

}  // namespace

TEST(ReferenceVectors, CaseA_EnlargedMasksOneBatch) {
  // 48 pairs (one reference batch), C 128, 8x16 activations, 32x64 masks enlarged to 100x100.
  expect_reproduced(run_case("loce_ref_case_a.h5"));
}

TEST(ReferenceVectors, CaseB_ShrunkMasksTwoBatches) {
  // 80 pairs (batches of 64 and 16: the 1/B^2 factor differs), C 32, 128x256 masks shrunk to
  // 100x100 through skimage's Gaussian pre-filter.
  expect_reproduced(run_case("loce_ref_case_b.h5"));
}

// The IoU each pair reports, for the reference's own vectors, equals the IoU the reference
// computes for them (tests/loce/data/reference_iou.h5, make_reference_iou.py): projection on the
// 100x100 grid, stored as uint8, resized to the mask's resolution, thresholded at 0.5.
TEST(ReferenceVectors, MaskIouAsTheReferenceReportsIt) {
  auto expected_file = h5::File::open(test::loce_data_file("reference_iou.h5"));
  for (const char* c : {"a", "b"}) {
    auto f = h5::File::open(test::loce_data_file(std::string("loce_ref_case_") + c + ".h5"));
    at::Tensor acts = h5::read_tensor(f, "/acts").to(torch::kFloat32);
    at::Tensor loces = h5::read_tensor(f, "/loce").to(torch::kFloat32);
    at::Tensor masks = h5::read_tensor(f, "/masks");
    // A.v on the activation grid, then bilinearly onto the 100x100 grid (linear maps commute).
    at::Tensor projection = torch::einsum("nchw,nc->nhw", {acts, loces});
    at::Tensor logits = resize_separable(projection, bilinear_matrix(acts.size(2), 100),
                                         bilinear_matrix(acts.size(3), 100));
    at::Tensor ours = mask_iou(logits.unsqueeze(1), masks.unsqueeze(1), Mode::Reference).squeeze(1);
    at::Tensor theirs = h5::read_tensor(expected_file, std::string("/case_") + c + "/iou").to(torch::kFloat32);
    ASSERT_EQ(ours.sizes(), theirs.sizes());
    // Float rounding may flip a pixel that sits exactly on the threshold.
    EXPECT_LT((ours - theirs).abs().max().item<float>(), 5e-3) << "case " << c;
    EXPECT_LT((ours - theirs).abs().mean().item<float>(), 5e-4) << "case " << c;
  }
}
