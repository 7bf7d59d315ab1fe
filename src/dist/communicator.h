#pragma once
// The one interface through which every module other than dist/ talks to other ranks.
// Backends: SelfCommunicator (a world of one, no MPI needed), MpiCommunicator (CPU tensors),
// NcclCommunicator (CUDA tensors, bootstrapped from MPI). All collectives are in place and
// blocking from the caller's point of view unless stated otherwise.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <ATen/Tensor.h>

namespace loce::dist {

enum class ReduceOp { Sum, Avg, Max, Min };

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  virtual std::string backend() const = 0;  // "self", "mpi", "nccl"

  // Tensor collectives (every rank passes a tensor of the same shape and dtype).
  virtual void all_reduce(at::Tensor& t, ReduceOp op = ReduceOp::Sum) = 0;
  virtual void broadcast(at::Tensor& t, int root = 0) = 0;
  // Concatenates every rank's tensor along dim 0 (equal shapes on all ranks), in rank order.
  virtual at::Tensor all_gather(const at::Tensor& t) = 0;
  virtual void barrier() = 0;

  // Byte-level collectives for serialised objects; sizes may differ per rank (also zero).
  // gatherv: the root receives every rank's bytes in rank order; others get an empty vector.
  virtual std::vector<std::string> gather_bytes(const std::string& mine, int root = 0) = 0;
  virtual std::vector<std::string> all_gather_bytes(const std::string& mine) = 0;
  virtual void broadcast_bytes(std::string& bytes, int root = 0) = 0;

  bool is_root() const { return rank() == 0; }
};

}  // namespace loce::dist
