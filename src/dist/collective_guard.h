#pragma once
// Matching check for collectives. Ranks that disagree on the next collective (rank 0 in an
// all-reduce, rank 1 in a broadcast) or on its size would otherwise hang or, worse, exchange
// bytes that mean different things. Before each collective every rank contributes a small
// signature to an all-gather on a private communicator; any difference becomes a loce::Error
// thrown on every rank, with each rank's view in the message.
#include <mpi.h>

#include <cstdint>
#include <string>

namespace at {
class Tensor;
}

namespace loce::dist {

struct CollectiveSignature {
  enum Kind : int32_t { AllReduce, Broadcast, AllGather, Barrier, GatherBytes, AllGatherBytes,
                        BroadcastBytes };
  int32_t kind = Barrier;
  int32_t op = -1;       // ReduceOp for reductions, else -1
  int32_t dtype = -1;    // c10::ScalarType, -1 when not a tensor collective
  int32_t root = -1;     // -1 when there is none
  int64_t numel = -1;    // -1 when sizes may legitimately differ per rank
  uint64_t call = 0;     // the call's number on its communicator

  // The signature of a collective over tensor t (its dtype and element count).
  static CollectiveSignature of_tensor(Kind kind, const at::Tensor& t, int op = -1,
                                       int root = -1);

  std::string describe() const;
};

class CollectiveGuard {
 public:
  // Duplicates `comm`, so the check's own messages never mix with the checked traffic.
  explicit CollectiveGuard(MPI_Comm comm);
  ~CollectiveGuard();
  CollectiveGuard(const CollectiveGuard&) = delete;
  CollectiveGuard& operator=(const CollectiveGuard&) = delete;

  // Throws loce::Error on every rank when the ranks' signatures differ. `backend` names the
  // communicator in the message.
  void check(CollectiveSignature sig, const char* backend, double timeout_seconds);

 private:
  MPI_Comm comm_ = MPI_COMM_NULL;
};

}  // namespace loce::dist
