#pragma once
// The one interface through which every module other than dist/ talks to other ranks.
// Backends: SelfCommunicator (a world of one, no MPI needed), MpiCommunicator (CPU tensors),
// NcclCommunicator (CUDA tensors, bootstrapped from MPI). All collectives are in place and
// blocking from the caller's point of view unless stated otherwise.
//
// Every rank must call the same collectives in the same order with tensors of the same shape and
// dtype. With matching checks on (see CollectiveSettings in dist/world.h) a violation is reported
// as a loce::Error on every rank instead of a hang or silently wrong numbers.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <ATen/Tensor.h>

namespace loce::dist {

enum class ReduceOp { Sum, Avg, Max, Min };
const char* to_string(ReduceOp op);

// A collective in flight (all_reduce_async). wait() returns once the result is in the tensor
// (for CUDA: once the current stream is ordered after the collective). Dropping a Work without
// waiting is a bug: its destructor waits, so the buffer is never freed under a running transfer.
class Work {
 public:
  virtual ~Work() = default;
  virtual void wait() = 0;
  // Non-blocking completion check; also lets MPI make progress on the transfer.
  virtual bool test() = 0;
};

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  virtual std::string backend() const = 0;  // "self", "mpi", "nccl"

  // Tensor collectives (every rank passes a tensor of the same shape and dtype).
  // Supported dtypes: float32, float64, bfloat16, float16, int64, int32, uint8. 16-bit floats
  // are summed as floats, never as raw 16-bit words: MPI reduces them in float32 and rounds
  // once; NCCL uses its native half/bfloat16 reductions. Avg of an integer tensor is an error.
  virtual void all_reduce(at::Tensor& t, ReduceOp op = ReduceOp::Sum) = 0;
  virtual void broadcast(at::Tensor& t, int root = 0) = 0;
  // Concatenates every rank's tensor along dim 0 (equal shapes on all ranks), in rank order.
  virtual at::Tensor all_gather(const at::Tensor& t) = 0;
  virtual void barrier() = 0;

  // Starts an all-reduce and returns at once; `t` must stay alive and untouched until wait().
  // The default runs the blocking all_reduce (correct, without overlap).
  virtual std::shared_ptr<Work> all_reduce_async(at::Tensor& t, ReduceOp op = ReduceOp::Sum);

  // Byte-level collectives for serialised objects; sizes may differ per rank (also zero).
  // gatherv: the root receives every rank's bytes in rank order; others get an empty vector.
  virtual std::vector<std::string> gather_bytes(const std::string& mine, int root = 0) = 0;
  virtual std::vector<std::string> all_gather_bytes(const std::string& mine) = 0;
  virtual void broadcast_bytes(std::string& bytes, int root = 0) = 0;

  bool is_root() const { return rank() == 0; }
};

// Throws a loce::Error unless `t` has a dtype the communicators support and `op` is defined for
// it. `where` names the caller in the message.
void check_reducible(const at::Tensor& t, ReduceOp op, const char* where);
void check_supported_dtype(const at::Tensor& t, const char* where);

}  // namespace loce::dist
