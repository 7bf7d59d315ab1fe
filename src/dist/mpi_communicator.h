#pragma once
// Communicator over MPI for CPU tensors. Reductions use the MPI datatype matching the tensor's
// dtype; bfloat16 and float16 (which MPI has no arithmetic for) are widened to float32, reduced,
// and rounded back once. Counts above MPI's 32-bit int limit are split into several calls for
// tensors; byte gathers, whose displacements are ints too, fail with a clear error instead.
#include <mpi.h>

#include <memory>

#include "dist/collective_guard.h"
#include "dist/communicator.h"

namespace loce::dist {

class MpiCommunicator : public Communicator {
 public:
  // Works on a duplicate of `comm`, so its traffic never mixes with other users of `comm`.
  explicit MpiCommunicator(MPI_Comm comm);
  ~MpiCommunicator() override;
  MpiCommunicator(const MpiCommunicator&) = delete;
  MpiCommunicator& operator=(const MpiCommunicator&) = delete;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::string backend() const override { return "mpi"; }

  void all_reduce(at::Tensor& t, ReduceOp op = ReduceOp::Sum) override;
  std::shared_ptr<Work> all_reduce_async(at::Tensor& t, ReduceOp op = ReduceOp::Sum) override;
  void broadcast(at::Tensor& t, int root = 0) override;
  at::Tensor all_gather(const at::Tensor& t) override;
  void barrier() override;

  std::vector<std::string> gather_bytes(const std::string& mine, int root = 0) override;
  std::vector<std::string> all_gather_bytes(const std::string& mine) override;
  void broadcast_bytes(std::string& bytes, int root = 0) override;

  MPI_Comm comm() const { return comm_; }

 private:
  // Runs the matching check (when on) and returns the text the watchdog reports.
  std::string enter(CollectiveSignature sig);
  void check_cpu(const at::Tensor& t, const char* where) const;
  void check_root(int root, const char* where) const;

  MPI_Comm comm_ = MPI_COMM_NULL;
  int rank_ = 0, size_ = 1;
  uint64_t calls_ = 0;
  std::unique_ptr<CollectiveGuard> guard_;
};

}  // namespace loce::dist
