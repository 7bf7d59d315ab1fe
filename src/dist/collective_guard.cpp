#include "dist/collective_guard.h"

#include <ATen/Tensor.h>
#include <c10/core/ScalarType.h>

#include <vector>

#include "core/error.h"
#include "dist/communicator.h"
#include "dist/watchdog.h"

namespace loce::dist {

CollectiveSignature CollectiveSignature::of_tensor(Kind kind, const at::Tensor& t, int op,
                                                   int root) {
  CollectiveSignature s;
  s.kind = kind;
  s.op = op;
  s.dtype = int32_t(t.scalar_type());
  s.numel = t.numel();
  s.root = root;
  return s;
}

std::string CollectiveSignature::describe() const {
  static const char* names[] = {"all_reduce",  "broadcast",        "all_gather",     "barrier",
                                "gather_bytes", "all_gather_bytes", "broadcast_bytes"};
  std::string s = kind >= 0 && kind <= BroadcastBytes ? names[kind] : "unknown";
  std::string args;
  auto add = [&](const std::string& a) { args += (args.empty() ? "" : ", ") + a; };
  if (op >= 0) add(to_string(ReduceOp(op)));
  if (dtype >= 0) add(c10::toString(c10::ScalarType(dtype)));
  if (numel >= 0) add(std::to_string(numel) + " elements");
  if (root >= 0) add("root " + std::to_string(root));
  return s + "(" + args + ")";
}

CollectiveGuard::CollectiveGuard(MPI_Comm comm) { MPI_Comm_dup(comm, &comm_); }

CollectiveGuard::~CollectiveGuard() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized && comm_ != MPI_COMM_NULL) MPI_Comm_free(&comm_);
}

void CollectiveGuard::check(CollectiveSignature sig, const char* backend,
                            double timeout_seconds) {
  int size = 0;
  MPI_Comm_size(comm_, &size);
  static_assert(sizeof(CollectiveSignature) == 32, "signature is exchanged as raw bytes");
  std::vector<CollectiveSignature> all(size);
  {
    WatchdogScope watch(cat(backend, " ", sig.describe(), " (call #", sig.call,
                            ", matching check)"),
                        timeout_seconds);
    MPI_Allgather(&sig, sizeof sig, MPI_BYTE, all.data(), sizeof sig, MPI_BYTE, comm_);
  }
  bool same = true;
  for (const auto& o : all)
    same = same && o.kind == all[0].kind && o.op == all[0].op && o.dtype == all[0].dtype &&
           o.root == all[0].root && o.numel == all[0].numel && o.call == all[0].call;
  if (same) return;
  std::string views;
  for (int r = 0; r < size; ++r)
    views += cat(r ? "; " : "", "rank ", r, " #", all[r].call, " ", all[r].describe());
  fail(backend, " collective mismatch: ranks called different collectives or sizes: ", views);
}

}  // namespace loce::dist
