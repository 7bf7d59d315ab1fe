// The reference mode against vectors the published implementation itself produced
// (tests/loce/data/loce_ref_case_*.h5, made by shared/bench/ref_loce_bench.py): relative L2
// error below 1e-3 for at least 99% of pairs and the same sign pattern.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/hdf5.h"
#include "loce/optimizer.h"
#include "loce/pair_plan.h"
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
