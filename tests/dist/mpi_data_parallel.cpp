// Data-parallel equivalence: a small conv net trained K steps on S ranks with per-rank batch b
// must end with the parameters (within 1e-5 relative, float32) of one process trained on the
// same global batches of S * b. Each rank also trains that single-process reference itself, so
// the comparison needs no extra communication. Ranks start from different random weights:
// DataParallel's initial broadcast is part of what is tested.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/error.h"
#include "core/seed.h"
#include "dist/data_parallel.h"
#include "dist/world.h"

using namespace loce;
using namespace loce::dist;

namespace {

struct SmallConvNet : torch::nn::Module {
  explicit SmallConvNet(bool with_unused) {
    conv1 = register_module("conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 8, 3).padding(1)));
    if (with_unused) unused = register_module("unused", torch::nn::Linear(16, 16));
    conv2 = register_module("conv2",
                            torch::nn::Conv2d(torch::nn::Conv2dOptions(8, 16, 3).padding(1).stride(2)));
    head = register_module("head", torch::nn::Linear(16, 5));
  }
  at::Tensor forward(const at::Tensor& x) {
    at::Tensor h = torch::relu(conv1->forward(x));
    h = torch::relu(conv2->forward(h));
    h = torch::adaptive_avg_pool2d(h, {1, 1}).flatten(1);
    return head->forward(h);
  }
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr};
  torch::nn::Linear unused{nullptr}, head{nullptr};
};

constexpr int kSteps = 5;
constexpr int64_t kPerRankBatch = 4;

// Global batch of step k, identical on every rank.
std::pair<at::Tensor, at::Tensor> global_batch(int step, int64_t n) {
  at::Generator gen = make_generator(2024, 0, uint64_t(step));
  at::Tensor x = at::randn({n, 3, 12, 12}, gen);
  at::Tensor y = at::randint(0, 5, {n}, gen, at::TensorOptions().dtype(at::kLong));
  return {x, y};
}

void copy_parameters(SmallConvNet& from, SmallConvNet& to) {
  torch::NoGradGuard no_grad;
  auto src = from.parameters(), dst = to.parameters();
  for (size_t i = 0; i < src.size(); ++i) dst[i].copy_(src[i]);
}

double max_relative_difference(SmallConvNet& a, SmallConvNet& b) {
  double worst = 0;
  auto pa = a.parameters(), pb = b.parameters();
  for (size_t i = 0; i < pa.size(); ++i) {
    double scale = pb[i].abs().max().item<double>();
    double diff = (pa[i] - pb[i]).abs().max().item<double>();
    worst = std::max(worst, diff / std::max(scale, 1e-12));
  }
  return worst;
}

// Trains `steps` steps data-parallel and as one process on the global batches; returns the
// parallel model, the reference and the DataParallel wrapper's started-bucket counts.
struct Outcome {
  double max_rel_diff = 0;
  int buckets = 0;
  int started_in_backward = 0;
  std::shared_ptr<SmallConvNet> parallel, reference;
};

Outcome train_both(const DataParallelOptions& options, bool with_unused) {
  auto comm = cpu_communicator();
  int S = comm->size(), r = comm->rank();
  torch::manual_seed(100 + r);  // different initial weights on every rank
  auto parallel = std::make_shared<SmallConvNet>(with_unused);
  DataParallel dp(*parallel, comm, options);
  auto reference = std::make_shared<SmallConvNet>(with_unused);
  copy_parameters(*parallel, *reference);

  auto sgd = torch::optim::SGDOptions(0.1).momentum(0.9);
  torch::optim::SGD opt_parallel(parallel->parameters(), sgd);
  torch::optim::SGD opt_reference(reference->parameters(), sgd);
  Outcome out;
  for (int step = 0; step < kSteps; ++step) {
    auto [x, y] = global_batch(step, S * kPerRankBatch);
    opt_parallel.zero_grad();
    at::Tensor mine = x.narrow(0, r * kPerRankBatch, kPerRankBatch);
    at::Tensor my_y = y.narrow(0, r * kPerRankBatch, kPerRankBatch);
    torch::nn::functional::cross_entropy(parallel->forward(mine), my_y).backward();
    dp.synchronize_gradients();
    out.started_in_backward = dp.buckets_started_in_backward();
    opt_parallel.step();

    opt_reference.zero_grad();
    torch::nn::functional::cross_entropy(reference->forward(x), y).backward();
    opt_reference.step();
  }
  out.max_rel_diff = max_relative_difference(*parallel, *reference);
  out.buckets = int(dp.bucket_layout().size());
  out.parallel = parallel;
  out.reference = reference;
  return out;
}

struct DataParallelTest : ::testing::Test {
  void SetUp() override {
    CollectiveSettings s = collective_settings();
    s.check_matching = true;
    s.timeout_seconds = 120;
    set_collective_settings(s);
  }
};

// The maximum of a scalar over ranks minus its minimum: 0 when every rank holds the same value.
double spread(double v) {
  auto comm = cpu_communicator();
  at::Tensor hi = torch::tensor({v}, torch::kDouble), lo = -hi.clone();
  comm->all_reduce(hi, ReduceOp::Max);
  comm->all_reduce(lo, ReduceOp::Max);
  return hi.item<double>() + lo.item<double>();
}

}  // namespace

TEST_F(DataParallelTest, ManySmallBucketsOverlappingBackward) {
  DataParallelOptions o;
  o.first_bucket_bytes = 256;
  o.bucket_bytes = 1024;
  Outcome out = train_both(o, false);
  EXPECT_LE(out.max_rel_diff, 1e-5);
  EXPECT_GE(out.buckets, 4);
  // Every bucket was started from a gradient hook, i.e. during backward.
  EXPECT_EQ(out.started_in_backward, out.buckets);
  // And every rank holds the same parameters.
  EXPECT_EQ(spread(out.parallel->conv1->weight.sum().item<double>()), 0.0);
}

TEST_F(DataParallelTest, OneBucket) {
  DataParallelOptions o;
  o.first_bucket_bytes = o.bucket_bytes = int64_t(1) << 40;
  Outcome out = train_both(o, false);
  EXPECT_LE(out.max_rel_diff, 1e-5);
  EXPECT_EQ(out.buckets, 1);
}

TEST_F(DataParallelTest, WithoutOverlap) {
  DataParallelOptions o;
  o.overlap = false;
  o.first_bucket_bytes = 256;
  o.bucket_bytes = 1024;
  Outcome out = train_both(o, false);
  EXPECT_LE(out.max_rel_diff, 1e-5);
  EXPECT_EQ(out.started_in_backward, 0);
}

TEST_F(DataParallelTest, UnusedParameterIsMarkedReadyWithZeros) {
  DataParallelOptions o;
  o.first_bucket_bytes = 256;
  o.bucket_bytes = 1024;
  Outcome out = train_both(o, true);
  EXPECT_LE(out.max_rel_diff, 1e-5);
  // The unused layer's bucket (and all after it) start only in synchronize_gradients().
  EXPECT_LT(out.started_in_backward, out.buckets);
  ASSERT_TRUE(out.parallel->unused->weight.grad().defined());
  EXPECT_EQ(out.parallel->unused->weight.grad().abs().max().item<float>(), 0.0f);
}

TEST_F(DataParallelTest, UnusedParameterFoundKeepsUndefinedGrad) {
  DataParallelOptions o;
  o.first_bucket_bytes = 256;
  o.bucket_bytes = 1024;
  o.find_unused_parameters = true;
  Outcome out = train_both(o, true);
  EXPECT_LE(out.max_rel_diff, 1e-5);
  EXPECT_FALSE(out.parallel->unused->weight.grad().defined());
}

// A parameter used on rank 0 only: no deadlock, and its gradient is rank 0's divided by S.
TEST_F(DataParallelTest, ParameterUsedOnOneRankOnly) {
  auto comm = cpu_communicator();
  int S = comm->size(), r = comm->rank();
  torch::nn::Linear a(3, 1), b(3, 1);
  torch::nn::Sequential both(a, b);
  DataParallelOptions o;
  o.first_bucket_bytes = o.bucket_bytes = 16;  // one bucket per parameter
  DataParallel dp(*both, comm, o);
  at::Tensor x = torch::ones({1, 3});
  at::Tensor loss = a->forward(x).sum();
  if (r == 0) loss = loss + 2 * b->forward(x).sum();
  loss.backward();
  dp.synchronize_gradients();
  EXPECT_TRUE(torch::allclose(a->weight.grad(), torch::ones({1, 3})));
  EXPECT_TRUE(torch::allclose(b->weight.grad(), torch::full({1, 3}, 2.0 / S)));
  EXPECT_TRUE(torch::allclose(b->bias.grad(), torch::full({1}, 2.0 / S)));
}

// Gradient accumulation: two micro-batches with sync off then on equal one synced big batch.
TEST_F(DataParallelTest, AccumulationWithSyncOff) {
  auto comm = cpu_communicator();
  int S = comm->size(), r = comm->rank();
  torch::manual_seed(7);
  torch::nn::Linear lin(4, 2);
  DataParallel dp(*lin, comm);
  auto x = torch::arange(8 * S, torch::kFloat).reshape({2 * S, 4}) / 10;
  at::Tensor mine = x.narrow(0, 2 * r, 2);
  dp.set_gradient_sync(false);
  lin->forward(mine.narrow(0, 0, 1)).pow(2).sum().backward();
  dp.set_gradient_sync(true);
  lin->forward(mine.narrow(0, 1, 1)).pow(2).sum().backward();
  dp.synchronize_gradients();
  at::Tensor got = lin->weight.grad().clone();
  lin->weight.mutable_grad().zero_();
  lin->bias.mutable_grad().zero_();
  lin->forward(x).pow(2).sum().div(S).backward();  // the same on every rank: no sync needed
  dp.synchronize_gradients();
  EXPECT_TRUE(torch::allclose(got, lin->weight.grad(), 1e-5, 1e-6));
}

TEST_F(DataParallelTest, BatchNormBuffersAveragedOnDemand) {
  auto comm = cpu_communicator();
  int S = comm->size(), r = comm->rank();
  torch::nn::Sequential net(torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 4, 1)),
                            torch::nn::BatchNorm2d(4));
  DataParallel dp(*net, comm);
  net->train();
  for (int k = 0; k < 2 + r; ++k)  // ranks see different data and different step counts
    net->forward(torch::randn({2, 3, 4, 4}) * (r + 1) + r);
  auto bn = net[1]->as<torch::nn::BatchNorm2d>();
  at::Tensor mean_before = bn->running_mean.clone();
  at::Tensor all = comm->all_gather(mean_before.unsqueeze(0));
  at::Tensor rank0_count = comm->all_gather(bn->num_batches_tracked.reshape({1}))[0];
  dp.average_buffers();
  EXPECT_TRUE(torch::allclose(bn->running_mean, all.mean(0), 1e-6, 1e-6));
  EXPECT_EQ(bn->num_batches_tracked.item<int64_t>(), rank0_count.item<int64_t>());
  if (S > 1) {
    EXPECT_FALSE(torch::allclose(mean_before, bn->running_mean));
  }
}
