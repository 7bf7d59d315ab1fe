#pragma once
// The NCCL core of the CUDA backend: device pointers, element counts and a cudaStream_t, no
// LibTorch CUDA types, so that it compiles and links wherever the CUDA toolkit and NCCL are
// installed (CI machines too, which have a CPU-only LibTorch). NcclCommunicator
// (dist/nccl_communicator.h) puts tensors on top of it in CUDA builds.
//
// Bootstrap from MPI, as in karpathy/llm.c: rank 0 asks NCCL for a unique id, MPI_Bcast hands it
// to everyone, and every rank joins with ncclCommInitRank on its own device.
#ifdef LOCE_HAVE_NCCL
#include <cuda_runtime_api.h>
#include <mpi.h>
#include <nccl.h>

#include <c10/core/ScalarType.h>

#include <cstddef>
#include <cstdint>
#include <memory>

#include "dist/communicator.h"

namespace loce::dist {

// Throw loce::Error with NCCL's/CUDA's own explanation and `what` was being done.
void nccl_check(ncclResult_t result, const char* what);
void cuda_check(cudaError_t result, const char* what);

// CUDA devices this process can use; 0 when there is no driver or no GPU (never throws).
int cuda_device_count();

ncclDataType_t nccl_type(c10::ScalarType dtype);  // throws for dtypes NCCL cannot carry
ncclRedOp_t nccl_op(ReduceOp op);

class NcclComm {
 public:
  // Collective over every rank of `comm`; `device` is this rank's CUDA device.
  NcclComm(MPI_Comm comm, int device);
  // A world of one, no MPI involved.
  explicit NcclComm(int device);
  ~NcclComm();
  NcclComm(const NcclComm&) = delete;
  NcclComm& operator=(const NcclComm&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }
  int device() const { return device_; }
  ncclComm_t handle() const { return comm_; }
  // A stream of its own for collectives that overlap compute (the caller orders it with events).
  cudaStream_t side_stream() const { return side_stream_; }

  // Enqueued on `stream`; return once enqueued (stream-ordered, like any CUDA kernel).
  void all_reduce(void* buffer, size_t count, ncclDataType_t type, ncclRedOp_t op,
                  cudaStream_t stream);
  void broadcast(void* buffer, size_t count, ncclDataType_t type, int root, cudaStream_t stream);
  void all_gather(const void* send, void* receive, size_t count_per_rank, ncclDataType_t type,
                  cudaStream_t stream);
  // Returns when every rank has reached it and `stream`'s work so far has finished.
  void barrier(cudaStream_t stream);

 private:
  void init(const ncclUniqueId& id);

  ncclComm_t comm_ = nullptr;
  int rank_ = 0, size_ = 1, device_ = 0;
  cudaStream_t side_stream_ = nullptr;
  void* scratch_ = nullptr;  // one float for barrier()
  uint64_t error_poll_ = 0;  // Watchdog::poll token
};

// `waiter` will not run past this point until the work enqueued on `producer` so far is done.
void stream_wait(cudaStream_t waiter, cudaStream_t producer);

}  // namespace loce::dist
#endif  // LOCE_HAVE_NCCL
