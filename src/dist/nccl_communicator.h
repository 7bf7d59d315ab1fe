#pragma once
// Communicator for CUDA tensors over NCCL (CUDA builds only: LOCE_HAVE_CUDA). Tensor
// collectives are enqueued on the current CUDA stream, so they are ordered with the kernels
// around them and the host does not wait; all_reduce_async runs on a side stream that waits
// for the current one, and Work::wait() makes the current stream wait for it in turn, which is
// what lets gradient buckets travel while backward still computes. Byte collectives (control
// messages between hosts) go over MPI.
#ifdef LOCE_HAVE_CUDA
#include <mpi.h>

#include <memory>

#include "dist/collective_guard.h"
#include "dist/communicator.h"
#include "dist/nccl_comm.h"

namespace loce::dist {

class NcclCommunicator : public Communicator {
 public:
  // Every rank of `comm` on its own `device` (collective: call on all ranks).
  NcclCommunicator(MPI_Comm comm, int device);
  // A world of one on `device` (no MPI).
  explicit NcclCommunicator(int device);

  int rank() const override { return nccl_->rank(); }
  int size() const override { return nccl_->size(); }
  std::string backend() const override { return "nccl"; }

  void all_reduce(at::Tensor& t, ReduceOp op = ReduceOp::Sum) override;
  std::shared_ptr<Work> all_reduce_async(at::Tensor& t, ReduceOp op = ReduceOp::Sum) override;
  void broadcast(at::Tensor& t, int root = 0) override;
  at::Tensor all_gather(const at::Tensor& t) override;
  void barrier() override;

  std::vector<std::string> gather_bytes(const std::string& mine, int root = 0) override;
  std::vector<std::string> all_gather_bytes(const std::string& mine) override;
  void broadcast_bytes(std::string& bytes, int root = 0) override;

  NcclComm& core() { return *nccl_; }

 private:
  void check_device(const at::Tensor& t, const char* where) const;
  void enter(CollectiveSignature sig);

  std::unique_ptr<NcclComm> nccl_;
  std::shared_ptr<Communicator> host_;      // MPI (or self) for byte collectives
  std::unique_ptr<CollectiveGuard> guard_;  // null in a world of one
  uint64_t calls_ = 0;
};

}  // namespace loce::dist
#endif  // LOCE_HAVE_CUDA
