#pragma once
// The communicator of a world of one: every collective is the identity (Avg divides by one).
// It validates its arguments like the real backends, so code that is wrong on N ranks already
// fails on one.
#include "dist/communicator.h"

namespace loce::dist {

class SelfCommunicator : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  std::string backend() const override { return "self"; }

  void all_reduce(at::Tensor& t, ReduceOp op = ReduceOp::Sum) override;
  void broadcast(at::Tensor& t, int root = 0) override;
  at::Tensor all_gather(const at::Tensor& t) override;
  void barrier() override {}

  std::vector<std::string> gather_bytes(const std::string& mine, int root = 0) override;
  std::vector<std::string> all_gather_bytes(const std::string& mine) override;
  void broadcast_bytes(std::string& bytes, int root = 0) override;
};

}  // namespace loce::dist
