#include "dist/communicator.h"

#include <ATen/ATen.h>

#include "core/error.h"

namespace loce::dist {

const char* to_string(ReduceOp op) {
  switch (op) {
    case ReduceOp::Sum: return "sum";
    case ReduceOp::Avg: return "avg";
    case ReduceOp::Max: return "max";
    case ReduceOp::Min: return "min";
  }
  return "?";
}

namespace {
// A Work whose collective already ran to completion.
class CompletedWork : public Work {
 public:
  void wait() override {}
  bool test() override { return true; }
};
}  // namespace

std::shared_ptr<Work> Communicator::all_reduce_async(at::Tensor& t, ReduceOp op) {
  all_reduce(t, op);
  return std::make_shared<CompletedWork>();
}

void check_supported_dtype(const at::Tensor& t, const char* where) {
  switch (t.scalar_type()) {
    case at::kFloat: case at::kDouble: case at::kBFloat16: case at::kHalf:
    case at::kLong: case at::kInt: case at::kByte:
      return;
    default:
      fail(where, ": unsupported dtype ", t.scalar_type(),
           " (supported: float32, float64, bfloat16, float16, int64, int32, uint8)");
  }
}

void check_reducible(const at::Tensor& t, ReduceOp op, const char* where) {
  check_supported_dtype(t, where);
  if (op == ReduceOp::Avg && !at::isFloatingType(t.scalar_type()))
    fail(where, ": the average of an integer tensor (", t.scalar_type(),
         ") is not representable; all-reduce with sum and divide in floating point");
}

}  // namespace loce::dist
