#include "dist/self_communicator.h"

#include <ATen/ATen.h>

#include "core/error.h"

namespace loce::dist {
namespace {
void check_root(int root, const char* where) {
  if (root != 0) fail("self ", where, ": root ", root, " in a world of one");
}
}  // namespace

void SelfCommunicator::all_reduce(at::Tensor& t, ReduceOp op) {
  check_reducible(t, op, "self all_reduce");
}

void SelfCommunicator::broadcast(at::Tensor& t, int root) {
  check_supported_dtype(t, "self broadcast");
  check_root(root, "broadcast");
}

at::Tensor SelfCommunicator::all_gather(const at::Tensor& t) {
  check_supported_dtype(t, "self all_gather");
  if (t.dim() == 0) fail("self all_gather: a 0-dimensional tensor has no dim 0 to concatenate");
  return t.clone();
}

std::vector<std::string> SelfCommunicator::gather_bytes(const std::string& mine, int root) {
  check_root(root, "gather_bytes");
  return {mine};
}

std::vector<std::string> SelfCommunicator::all_gather_bytes(const std::string& mine) {
  return {mine};
}

void SelfCommunicator::broadcast_bytes(std::string& bytes, int root) {
  check_root(root, "broadcast_bytes");
}

}  // namespace loce::dist
