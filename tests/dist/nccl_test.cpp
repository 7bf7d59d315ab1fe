// The NCCL backend in a world of one. The core (raw device pointers) is compiled wherever NCCL
// is installed, the tensor communicator only in CUDA builds; both skip at run time, saying why,
// on machines without a GPU. Multi-rank behaviour is covered by the MPI tests (one GPU cannot
// host two NCCL ranks).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <vector>

#include "core/error.h"
#include "dist/communicator.h"  // namespace loce::dist even in a build with neither backend
#ifdef LOCE_HAVE_NCCL
#include "dist/nccl_comm.h"
#endif
#ifdef LOCE_HAVE_CUDA
#include "dist/data_parallel.h"
#include "dist/nccl_communicator.h"
#endif

using namespace loce;
using namespace loce::dist;

#ifdef LOCE_HAVE_NCCL
TEST(NcclCore, CollectivesOnRawDevicePointers) {
  if (cuda_device_count() == 0)
    GTEST_SKIP() << "no CUDA device visible: the NCCL core is compiled and linked in this build, "
                    "its run-time test needs a GPU";
  NcclComm comm(0);
  ASSERT_EQ(comm.size(), 1);
  const size_t n = 1000;
  std::vector<float> host(n), back(2 * n);
  for (size_t i = 0; i < n; ++i) host[i] = float(i) * 0.5f;
  void *buf = nullptr, *gathered = nullptr;
  cuda_check(cudaMalloc(&buf, n * sizeof(float)), "cudaMalloc");
  cuda_check(cudaMalloc(&gathered, n * sizeof(float)), "cudaMalloc");
  cuda_check(cudaMemcpy(buf, host.data(), n * sizeof(float), cudaMemcpyHostToDevice), "copy");
  cudaStream_t s = comm.side_stream();
  comm.all_reduce(buf, n, nccl_type(c10::kFloat), nccl_op(ReduceOp::Sum), s);
  comm.all_reduce(buf, n, nccl_type(c10::kFloat), nccl_op(ReduceOp::Avg), s);
  comm.broadcast(buf, n, nccl_type(c10::kFloat), 0, s);
  comm.all_gather(buf, gathered, n, nccl_type(c10::kFloat), s);
  comm.barrier(s);
  cuda_check(cudaMemcpy(back.data(), gathered, n * sizeof(float), cudaMemcpyDeviceToHost), "copy");
  for (size_t i = 0; i < n; ++i) ASSERT_EQ(back[i], host[i]) << i;
  cudaFree(buf);
  cudaFree(gathered);
  EXPECT_THROW(nccl_type(c10::kBool), loce::Error);
}
#else
TEST(NcclCore, CollectivesOnRawDevicePointers) {
  GTEST_SKIP() << "built without NCCL (LOCE_NCCL=OFF: no CUDA toolkit/NCCL found)";
}
#endif

#ifdef LOCE_HAVE_CUDA
TEST(NcclCommunicator, TensorCollectivesEveryDtype) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "CUDA build, but no GPU visible";
  NcclCommunicator comm(0);
  for (auto dtype : {at::kFloat, at::kDouble, at::kBFloat16, at::kHalf, at::kLong, at::kInt}) {
    at::Tensor t = torch::arange(1, 12, torch::kDouble).to(dtype).cuda();
    at::Tensor want = t.clone();
    comm.all_reduce(t, ReduceOp::Sum);
    comm.all_reduce(t, ReduceOp::Max);
    comm.broadcast(t, 0);
    EXPECT_TRUE(torch::equal(t.cpu(), want.cpu())) << c10::toString(dtype);
    at::Tensor g = comm.all_gather(t.reshape({1, 11}));
    EXPECT_TRUE(torch::equal(g.cpu(), want.reshape({1, 11}).cpu()));
    auto w = comm.all_reduce_async(t, ReduceOp::Sum);
    w->wait();
    EXPECT_TRUE(torch::equal(t.cpu(), want.cpu()));
  }
  at::Tensor f = torch::ones({5}, torch::kFloat).cuda();
  comm.all_reduce(f, ReduceOp::Avg);
  EXPECT_TRUE(torch::equal(f.cpu(), torch::ones({5})));
  comm.barrier();
  at::Tensor cpu = torch::ones({3});
  EXPECT_THROW(comm.all_reduce(cpu), loce::Error);
}

TEST(NcclCommunicator, DataParallelStepOnTheGpu) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "CUDA build, but no GPU visible";
  auto comm = std::make_shared<NcclCommunicator>(0);
  torch::nn::Sequential net(torch::nn::Linear(8, 16), torch::nn::ReLU(), torch::nn::Linear(16, 2));
  net->to(torch::kCUDA);
  DataParallelOptions o;
  o.first_bucket_bytes = 64;
  o.bucket_bytes = 256;
  DataParallel dp(*net, comm, o);
  at::Tensor x = torch::randn({4, 8}).cuda();
  net->forward(x).pow(2).sum().backward();
  std::vector<at::Tensor> local;
  for (auto& p : net->parameters()) local.push_back(p.grad().clone());
  dp.synchronize_gradients();
  EXPECT_EQ(dp.buckets_started_in_backward(), int(dp.bucket_layout().size()));
  auto params = net->parameters();
  for (size_t i = 0; i < params.size(); ++i)
    EXPECT_TRUE(torch::allclose(params[i].grad().cpu(), local[i].cpu()));
}
#else
TEST(NcclCommunicator, TensorCollectivesEveryDtype) {
  GTEST_SKIP() << "LibTorch here is a CPU build: the tensor-level NCCL backend is compiled only "
                  "with a CUDA LibTorch (LOCE_CUDA=ON)";
}
#endif
