#include "dist/benchmark.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#ifdef LOCE_HAVE_NCCL
#include <cuda_runtime_api.h>
#endif

#include "core/error.h"
#include "core/timer.h"
#include "dist/data_parallel.h"

namespace loce::dist {
namespace {

void synchronize(const c10::Device& device) {
#ifdef LOCE_HAVE_NCCL
  if (device.is_cuda()) cudaDeviceSynchronize();
#endif
}

// The slowest rank's value: a collective is as fast as its last participant.
double slowest(Communicator& comm, double seconds) {
  at::Tensor t = torch::tensor({seconds}, torch::kDouble);
  if (comm.backend() == "nccl") t = t.cuda();
  comm.all_reduce(t, ReduceOp::Max);
  return t.cpu().item<double>();
}

// Times `step` (which must be collective) after `warmup` untimed runs; every rank runs the same
// number of iterations, decided by rank 0's first timing when `iterations` is 0.
template <class Step>
std::pair<int, double> time_steps(Communicator& comm, const c10::Device& device, int iterations,
                                  int warmup, double budget, Step step) {
  for (int i = 0; i < warmup; ++i) step();
  synchronize(device);
  if (iterations <= 0) {
    Timer probe;
    step();
    synchronize(device);
    double once = slowest(comm, probe.seconds());
    iterations = int(std::clamp(budget / std::max(once, 1e-7), 3.0, 1000.0));
  }
  comm.barrier();
  Timer timer;
  for (int i = 0; i < iterations; ++i) step();
  synchronize(device);
  return {iterations, slowest(comm, timer.seconds() / iterations)};
}

struct ConvStack : torch::nn::Module {
  explicit ConvStack(const OverlapCase& c) {
    body = register_module("body", torch::nn::Sequential());
    int64_t in = 3;
    for (int64_t l = 0; l < c.layers; ++l) {
      body->push_back(torch::nn::Conv2d(torch::nn::Conv2dOptions(in, c.channels, 3).padding(1)));
      body->push_back(torch::nn::ReLU());
      in = c.channels;
    }
    head = register_module("head", torch::nn::Linear(c.channels, 10));
  }
  at::Tensor forward(const at::Tensor& x) {
    return head->forward(torch::adaptive_avg_pool2d(body->forward(x), {1, 1}).flatten(1));
  }
  torch::nn::Sequential body{nullptr};
  torch::nn::Linear head{nullptr};
};

}  // namespace

std::string format_bytes(int64_t bytes) {
  const char* units[] = {"B", "KB", "MB", "GB"};
  int u = 0;
  double v = double(bytes);
  while (v >= 1024 && u < 3) v /= 1024, ++u;
  return cat(v == std::floor(v) ? std::to_string(int64_t(v)) : std::to_string(v), " ",
             units[u]);
}

std::vector<AllReduceRow> bench_all_reduce(Communicator& comm, const c10::Device& device,
                                           c10::ScalarType dtype, int64_t min_bytes,
                                           int64_t max_bytes, int64_t factor, int iterations,
                                           int warmup, double seconds_per_size) {
  LOCE_CHECK(min_bytes > 0 && max_bytes >= min_bytes && factor >= 2,
             "bench allreduce: need 0 < min bytes <= max bytes and a factor >= 2");
  std::vector<AllReduceRow> rows;
  int64_t item = int64_t(c10::elementSize(dtype));
  int n = comm.size();
  // Stops before bytes * factor would pass max_bytes (or overflow int64).
  for (int64_t bytes = min_bytes; bytes > 0 && bytes <= max_bytes;
       bytes = bytes <= max_bytes / factor ? bytes * factor : -1) {
    AllReduceRow row;
    row.count = std::max<int64_t>(1, bytes / item);
    row.bytes = row.count * item;
    at::Tensor t = torch::ones({row.count}, torch::TensorOptions().dtype(dtype).device(device));
    auto [iters, seconds] = time_steps(comm, device, iterations, warmup, seconds_per_size,
                                       [&] { comm.all_reduce(t, ReduceOp::Sum); });
    row.iterations = iters;
    row.seconds = seconds;
    row.algbw = double(row.bytes) / seconds / 1e9;
    row.busbw = row.algbw * 2.0 * (n - 1) / n;
    rows.push_back(row);
  }
  return rows;
}

double OverlapResult::overlap() const {
  double total = backward_then_reduce - backward;
  double exposed = backward_overlapped - backward;
  if (total <= 0) return 0;
  return std::clamp(1.0 - exposed / total, 0.0, 1.0);
}

OverlapResult bench_overlap(std::shared_ptr<Communicator> comm, const c10::Device& device,
                            const OverlapCase& c) {
  torch::manual_seed(1);
  auto net = std::make_shared<ConvStack>(c);
  net->to(device);
  at::Tensor x = torch::randn({c.batch, 3, c.height, c.width}).to(device);
  OverlapResult out;
  for (auto& p : net->parameters()) out.parameter_bytes += int64_t(p.nbytes());
  at::Tensor loss;
  auto forward = [&] { loss = net->forward(x).pow(2).mean(); };
  auto run = [&](DataParallel* dp) {
    net->zero_grad();
    forward();
    synchronize(device);  // time backward (+ communication) only
    Timer t;
    loss.backward();
    if (dp) dp->synchronize_gradients();
    synchronize(device);
    return t.seconds();
  };
  auto measure = [&](DataParallel* dp) {
    for (int i = 0; i < c.warmup; ++i) run(dp);
    comm->barrier();
    double sum = 0;
    for (int i = 0; i < c.steps; ++i) sum += run(dp);
    return slowest(*comm, sum / c.steps);
  };
  out.backward = measure(nullptr);
  {
    DataParallelOptions o;
    o.overlap = false;
    DataParallel dp(*net, comm, o);
    out.backward_then_reduce = measure(&dp);
  }
  {
    DataParallel dp(*net, comm, {});
    out.backward_overlapped = measure(&dp);
    out.buckets = int(dp.bucket_layout().size());
  }
  return out;
}

}  // namespace loce::dist
