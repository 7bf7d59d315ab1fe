#include "dist/nccl_comm.h"

#ifdef LOCE_HAVE_NCCL
#include "core/error.h"
#include "dist/watchdog.h"

namespace loce::dist {

void nccl_check(ncclResult_t result, const char* what) {
  if (result != ncclSuccess)
    fail("nccl: ", what, " failed: ", ncclGetErrorString(result), " (",
         ncclGetLastError(nullptr), ")");
}

void cuda_check(cudaError_t result, const char* what) {
  if (result != cudaSuccess) fail("cuda: ", what, " failed: ", cudaGetErrorString(result));
}

int cuda_device_count() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky "no device" error
    return 0;
  }
  return n;
}

ncclDataType_t nccl_type(c10::ScalarType dtype) {
  switch (dtype) {
    case c10::kFloat: return ncclFloat32;
    case c10::kDouble: return ncclFloat64;
    case c10::kBFloat16: return ncclBfloat16;
    case c10::kHalf: return ncclFloat16;
    case c10::kLong: return ncclInt64;
    case c10::kInt: return ncclInt32;
    case c10::kByte: return ncclUint8;
    default: fail("nccl: unsupported dtype ", dtype);
  }
}

ncclRedOp_t nccl_op(ReduceOp op) {
  switch (op) {
    case ReduceOp::Sum: return ncclSum;
    case ReduceOp::Avg: return ncclAvg;
    case ReduceOp::Max: return ncclMax;
    case ReduceOp::Min: return ncclMin;
  }
  return ncclSum;
}

NcclComm::NcclComm(MPI_Comm comm, int device) : device_(device) {
  MPI_Comm_rank(comm, &rank_);
  MPI_Comm_size(comm, &size_);
  ncclUniqueId id;
  if (rank_ == 0) nccl_check(ncclGetUniqueId(&id), "ncclGetUniqueId");
  MPI_Bcast(&id, sizeof id, MPI_BYTE, 0, comm);
  init(id);
}

NcclComm::NcclComm(int device) : device_(device) {
  ncclUniqueId id;
  nccl_check(ncclGetUniqueId(&id), "ncclGetUniqueId");
  init(id);
}

void NcclComm::init(const ncclUniqueId& id) {
  cuda_check(cudaSetDevice(device_), "cudaSetDevice");
  nccl_check(ncclCommInitRank(&comm_, size_, id, rank_), "ncclCommInitRank");
  cuda_check(cudaStreamCreateWithFlags(&side_stream_, cudaStreamNonBlocking), "cudaStreamCreate");
  cuda_check(cudaMalloc(&scratch_, sizeof(float)), "cudaMalloc");
  // A peer that died or a network fault shows only as NCCL's asynchronous error, while our
  // kernels spin on the GPU and the host waits (at best until the collective timeout): the
  // watchdog polls it and ends the job with NCCL's own explanation.
  error_poll_ = Watchdog::poll([comm = comm_, rank = rank_, size = size_]() -> std::string {
    ncclResult_t state = ncclSuccess;
    if (ncclCommGetAsyncError(comm, &state) != ncclSuccess || state == ncclSuccess ||
        state == ncclInProgress)
      return "";
    return "nccl: asynchronous error in the communicator (rank " + std::to_string(rank) +
           " of " + std::to_string(size) + "): " + ncclGetErrorString(state) + " (" +
           ncclGetLastError(comm) + ")";
  });
}

NcclComm::~NcclComm() {
  // No throwing here: a failed teardown at exit must not hide the error that caused it.
  // The communicator first: its pending work may still use the stream and the scratch word.
  Watchdog::unpoll(error_poll_);  // before the communicator it polls goes
  if (comm_) ncclCommDestroy(comm_);
  if (side_stream_) cudaStreamDestroy(side_stream_);
  if (scratch_) cudaFree(scratch_);
}

void NcclComm::all_reduce(void* buffer, size_t count, ncclDataType_t type, ncclRedOp_t op,
                          cudaStream_t stream) {
  nccl_check(ncclAllReduce(buffer, buffer, count, type, op, comm_, stream), "ncclAllReduce");
}

void NcclComm::broadcast(void* buffer, size_t count, ncclDataType_t type, int root,
                         cudaStream_t stream) {
  nccl_check(ncclBroadcast(buffer, buffer, count, type, root, comm_, stream), "ncclBroadcast");
}

void NcclComm::all_gather(const void* send, void* receive, size_t count_per_rank,
                          ncclDataType_t type, cudaStream_t stream) {
  nccl_check(ncclAllGather(send, receive, count_per_rank, type, comm_, stream), "ncclAllGather");
}

void NcclComm::barrier(cudaStream_t stream) {
  all_reduce(scratch_, 1, ncclFloat32, ncclSum, stream);
  cuda_check(cudaStreamSynchronize(stream), "cudaStreamSynchronize (barrier)");
}

void stream_wait(cudaStream_t waiter, cudaStream_t producer) {
  cudaEvent_t done;
  cuda_check(cudaEventCreateWithFlags(&done, cudaEventDisableTiming), "cudaEventCreate");
  cuda_check(cudaEventRecord(done, producer), "cudaEventRecord");
  cuda_check(cudaStreamWaitEvent(waiter, done, 0), "cudaStreamWaitEvent");
  cudaEventDestroy(done);  // safe: destruction is deferred until the event completes
}

}  // namespace loce::dist
#endif  // LOCE_HAVE_NCCL
