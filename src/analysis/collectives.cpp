#include "analysis/collectives.h"

#include <torch/torch.h>

namespace loce::analysis {

RowRange shard_rows(int64_t n, int rank, int size) {
  int64_t base = n / size, extra = n % size;
  int64_t begin = rank * base + std::min<int64_t>(rank, extra);
  return {begin, begin + base + (rank < extra ? 1 : 0)};
}

int comm_rank(const dist::Communicator* comm) { return comm ? comm->rank() : 0; }
int comm_size(const dist::Communicator* comm) { return comm ? comm->size() : 1; }

RowRange shard_rows(int64_t n, const dist::Communicator* comm) {
  return shard_rows(n, comm_rank(comm), comm_size(comm));
}

namespace {
// Where the backend takes its tensors: NCCL device memory (the tensor's own GPU, or the current
// one for host tensors such as counts), MPI host memory.
c10::Device backend_device(const dist::Communicator& comm, const at::Tensor& t) {
  if (comm.backend() == "nccl") return t.is_cuda() ? t.device() : c10::Device(c10::kCUDA);
  return c10::Device(c10::kCPU);
}

void reduce(dist::Communicator* comm, at::Tensor& t, dist::ReduceOp op) {
  if (!comm || comm->size() == 1) return;
  at::Tensor buf = t.to(backend_device(*comm, t)).contiguous();
  comm->all_reduce(buf, op);
  if (!buf.is_same(t)) t.copy_(buf);
}
}  // namespace

void sum_across_ranks(dist::Communicator* comm, at::Tensor& t) {
  reduce(comm, t, dist::ReduceOp::Sum);
}
void max_across_ranks(dist::Communicator* comm, at::Tensor& t) {
  reduce(comm, t, dist::ReduceOp::Max);
}

void min_across_ranks(dist::Communicator* comm, at::Tensor& t) {
  reduce(comm, t, dist::ReduceOp::Min);
}

double sum_across_ranks(dist::Communicator* comm, double v) {
  if (!comm || comm->size() == 1) return v;
  at::Tensor t = torch::tensor({v}, torch::kFloat64);
  reduce(comm, t, dist::ReduceOp::Sum);
  return t.item<double>();
}

at::Tensor gather_rows(dist::Communicator* comm, const at::Tensor& local) {
  if (!comm || comm->size() == 1) return local;
  // all_gather wants equal shapes: pad every rank's block to the largest row count, then trim.
  at::Tensor counts = torch::zeros({comm->size()}, torch::kInt64);
  counts[comm->rank()] = local.size(0);
  reduce(comm, counts, dist::ReduceOp::Sum);
  int64_t max_rows = counts.max().item<int64_t>();
  std::vector<int64_t> padded_shape = local.sizes().vec();
  padded_shape[0] = max_rows;
  at::Tensor padded = torch::zeros(padded_shape, local.options().device(backend_device(*comm, local)));
  padded.narrow(0, 0, local.size(0)).copy_(local);
  at::Tensor all = comm->all_gather(padded);
  std::vector<at::Tensor> parts;
  for (int r = 0; r < comm->size(); ++r)
    parts.push_back(all.narrow(0, r * max_rows, counts[r].item<int64_t>()));
  return torch::cat(parts).to(local.device());
}

}  // namespace loce::analysis
