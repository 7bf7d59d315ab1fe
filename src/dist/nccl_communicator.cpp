#include "dist/nccl_communicator.h"

#ifdef LOCE_HAVE_CUDA
#include <ATen/ATen.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>

#include "core/error.h"
#include "dist/mpi_communicator.h"
#include "dist/self_communicator.h"
#include "dist/world.h"

namespace loce::dist {

using Sig = CollectiveSignature;

namespace {

cudaStream_t current_stream(int device) {
  return c10::cuda::getCurrentCUDAStream(c10::DeviceIndex(device)).stream();
}

// A collective on the side stream; wait() orders the then-current stream after it.
class NcclWork : public Work {
 public:
  NcclWork(at::Tensor t, int device, cudaStream_t side) : tensor_(std::move(t)), device_(device) {
    cuda_check(cudaEventCreateWithFlags(&done_, cudaEventDisableTiming), "cudaEventCreate");
    cuda_check(cudaEventRecord(done_, side), "cudaEventRecord");
  }
  ~NcclWork() override {
    if (!waited_) cudaStreamWaitEvent(current_stream(device_), done_, 0);
    cudaEventDestroy(done_);
  }
  void wait() override {
    if (waited_) return;
    cuda_check(cudaStreamWaitEvent(current_stream(device_), done_, 0), "cudaStreamWaitEvent");
    waited_ = true;
  }
  bool test() override {
    const cudaError_t e = cudaEventQuery(done_);
    // "Not ready" is an answer, not an error, but CUDA also leaves it as the thread's last
    // error, and LibTorch's next kernel-launch check (cudaGetLastError) would throw it.
    if (e == cudaErrorNotReady) {
      (void)cudaGetLastError();
      return false;
    }
    cuda_check(e, "cudaEventQuery");
    return true;
  }

 private:
  at::Tensor tensor_;  // keeps the buffer alive until the collective is ordered before reuse
  int device_;
  cudaEvent_t done_ = nullptr;
  bool waited_ = false;
};

}  // namespace

NcclCommunicator::NcclCommunicator(MPI_Comm comm, int device)
    : nccl_(std::make_unique<NcclComm>(comm, device)),
      host_(std::make_shared<MpiCommunicator>(comm)),
      guard_(std::make_unique<CollectiveGuard>(comm)) {}

NcclCommunicator::NcclCommunicator(int device)
    : nccl_(std::make_unique<NcclComm>(device)), host_(std::make_shared<SelfCommunicator>()) {}

void NcclCommunicator::check_device(const at::Tensor& t, const char* where) const {
  if (!t.defined()) fail("nccl ", where, ": undefined tensor");
  if (!t.is_cuda() || t.get_device() != nccl_->device())
    fail("nccl ", where, ": tensor on ", t.device().str(), ", communicator on cuda:",
         nccl_->device());
}

void NcclCommunicator::enter(CollectiveSignature sig) {
  sig.call = ++calls_;
  const auto& s = collective_settings();
  if (guard_ && s.check_matching) guard_->check(sig, "nccl", s.timeout_seconds);
}

void NcclCommunicator::all_reduce(at::Tensor& t, ReduceOp op) {
  check_device(t, "all_reduce");
  check_reducible(t, op, "nccl all_reduce");
  enter(Sig::of_tensor(Sig::AllReduce, t, int(op)));
  c10::cuda::CUDAGuard guard(c10::DeviceIndex(nccl_->device()));
  at::Tensor buf = t.is_contiguous() ? t : t.contiguous();
  nccl_->all_reduce(buf.data_ptr(), size_t(buf.numel()), nccl_type(buf.scalar_type()),
                    nccl_op(op), current_stream(nccl_->device()));
  if (!buf.is_same(t)) t.copy_(buf);
}

std::shared_ptr<Work> NcclCommunicator::all_reduce_async(at::Tensor& t, ReduceOp op) {
  check_device(t, "all_reduce_async");
  check_reducible(t, op, "nccl all_reduce_async");
  if (!t.is_contiguous()) fail("nccl all_reduce_async: the tensor must be contiguous");
  enter(Sig::of_tensor(Sig::AllReduce, t, int(op)));
  c10::cuda::CUDAGuard guard(c10::DeviceIndex(nccl_->device()));
  cudaStream_t side = nccl_->side_stream();
  stream_wait(side, current_stream(nccl_->device()));  // the gradients are written by now
  nccl_->all_reduce(t.data_ptr(), size_t(t.numel()), nccl_type(t.scalar_type()), nccl_op(op),
                    side);
  return std::make_shared<NcclWork>(t, nccl_->device(), side);
}

void NcclCommunicator::broadcast(at::Tensor& t, int root) {
  check_device(t, "broadcast");
  check_supported_dtype(t, "nccl broadcast");
  if (root < 0 || root >= size()) fail("nccl broadcast: root ", root, " outside 0..", size() - 1);
  enter(Sig::of_tensor(Sig::Broadcast, t, -1, root));
  c10::cuda::CUDAGuard guard(c10::DeviceIndex(nccl_->device()));
  at::Tensor buf = t.is_contiguous() ? t : t.contiguous();
  nccl_->broadcast(buf.data_ptr(), size_t(buf.numel()), nccl_type(buf.scalar_type()), root,
                   current_stream(nccl_->device()));
  if (!buf.is_same(t)) t.copy_(buf);
}

at::Tensor NcclCommunicator::all_gather(const at::Tensor& t) {
  check_device(t, "all_gather");
  check_supported_dtype(t, "nccl all_gather");
  if (t.dim() == 0) fail("nccl all_gather: a 0-dimensional tensor has no dim 0 to concatenate");
  enter(Sig::of_tensor(Sig::AllGather, t));
  c10::cuda::CUDAGuard guard(c10::DeviceIndex(nccl_->device()));
  at::Tensor in = t.contiguous();
  std::vector<int64_t> shape = t.sizes().vec();
  shape[0] *= size();
  at::Tensor out = at::empty(shape, t.options());
  nccl_->all_gather(in.data_ptr(), out.data_ptr(), size_t(in.numel()),
                    nccl_type(t.scalar_type()), current_stream(nccl_->device()));
  return out;
}

void NcclCommunicator::barrier() {
  CollectiveSignature s;
  s.kind = CollectiveSignature::Barrier;
  enter(s);
  c10::cuda::CUDAGuard guard(c10::DeviceIndex(nccl_->device()));
  nccl_->barrier(current_stream(nccl_->device()));
}

std::vector<std::string> NcclCommunicator::gather_bytes(const std::string& mine, int root) {
  return host_->gather_bytes(mine, root);
}
std::vector<std::string> NcclCommunicator::all_gather_bytes(const std::string& mine) {
  return host_->all_gather_bytes(mine);
}
void NcclCommunicator::broadcast_bytes(std::string& bytes, int root) {
  host_->broadcast_bytes(bytes, root);
}

}  // namespace loce::dist
#endif  // LOCE_HAVE_CUDA
