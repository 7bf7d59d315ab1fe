#include "dist/mpi_communicator.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <climits>

#include "core/error.h"
#include "dist/byte_layout.h"
#include "dist/watchdog.h"
#include "dist/world.h"

namespace loce::dist {

using Sig = CollectiveSignature;

namespace {

// Largest element count passed to one MPI call: MPI counts are ints.
constexpr int64_t kMaxChunk = int64_t(1) << 30;

// MPI datatype of one element as it travels (16-bit floats travel as raw 16-bit words and are
// never reduced as such).
MPI_Datatype wire_type(at::ScalarType s) {
  switch (s) {
    case at::kFloat: return MPI_FLOAT;
    case at::kDouble: return MPI_DOUBLE;
    case at::kLong: return MPI_INT64_T;
    case at::kInt: return MPI_INT32_T;
    case at::kByte: return MPI_UINT8_T;
    case at::kBFloat16: case at::kHalf: return MPI_UINT16_T;
    default: fail("mpi: no MPI datatype for ", s);
  }
}

MPI_Op mpi_op(ReduceOp op) {
  switch (op) {
    case ReduceOp::Sum: case ReduceOp::Avg: return MPI_SUM;
    case ReduceOp::Max: return MPI_MAX;
    case ReduceOp::Min: return MPI_MIN;
  }
  return MPI_SUM;
}

bool is_16bit_float(at::ScalarType s) { return s == at::kBFloat16 || s == at::kHalf; }

// The buffer a reduction actually runs on: `t` itself when contiguous and MPI can add its
// elements, else a contiguous (and, for 16-bit floats, float32) copy written back afterwards.
struct ReduceBuffer {
  at::Tensor target, work;
  ReduceBuffer(at::Tensor& t) : target(t) {
    if (is_16bit_float(t.scalar_type())) work = t.to(at::kFloat).contiguous();
    else work = t.is_contiguous() ? t : t.contiguous();
  }
  void finish(ReduceOp op, int size) {
    if (op == ReduceOp::Avg) work.div_(size);
    if (!work.is_same(target)) target.copy_(work);
  }
};

// Starts non-blocking all-reduces over `buf` in chunks that fit MPI's int counts.
std::vector<MPI_Request> start_all_reduce(at::Tensor& buf, ReduceOp op, MPI_Comm comm) {
  std::vector<MPI_Request> reqs;
  MPI_Datatype type = wire_type(buf.scalar_type());
  char* base = static_cast<char*>(buf.data_ptr());
  int64_t n = buf.numel(), item = buf.element_size();
  for (int64_t off = 0; off < n; off += kMaxChunk) {
    reqs.emplace_back();
    MPI_Iallreduce(MPI_IN_PLACE, base + off * item, int(std::min(kMaxChunk, n - off)), type,
                   mpi_op(op), comm, &reqs.back());
  }
  return reqs;
}

class MpiWork : public Work {
 public:
  MpiWork(at::Tensor& t, ReduceOp op, MPI_Comm comm, int size, const std::string& what,
          double timeout)
      : buf_(t), op_(op), size_(size) {
    reqs_ = start_all_reduce(buf_.work, op, comm);
    token_ = Watchdog::arm(what, timeout);
  }
  ~MpiWork() override {
    if (!done_) MPI_Waitall(int(reqs_.size()), reqs_.data(), MPI_STATUSES_IGNORE);
    Watchdog::disarm(token_);
  }
  void wait() override {
    if (done_) return;
    MPI_Waitall(int(reqs_.size()), reqs_.data(), MPI_STATUSES_IGNORE);
    complete();
  }
  bool test() override {
    if (done_) return true;
    int flag = 0;
    MPI_Testall(int(reqs_.size()), reqs_.data(), &flag, MPI_STATUSES_IGNORE);
    if (flag) complete();
    return done_;
  }

 private:
  void complete() {
    done_ = true;
    Watchdog::disarm(token_);
    token_ = 0;
    buf_.finish(op_, size_);
  }
  ReduceBuffer buf_;
  ReduceOp op_;
  int size_;
  std::vector<MPI_Request> reqs_;
  uint64_t token_ = 0;
  bool done_ = false;
};

}  // namespace

MpiCommunicator::MpiCommunicator(MPI_Comm comm) {
  MPI_Comm_dup(comm, &comm_);
  MPI_Comm_rank(comm_, &rank_);
  MPI_Comm_size(comm_, &size_);
  guard_ = std::make_unique<CollectiveGuard>(comm_);
}

MpiCommunicator::~MpiCommunicator() {
  guard_.reset();
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized && comm_ != MPI_COMM_NULL) MPI_Comm_free(&comm_);
}

std::string MpiCommunicator::enter(CollectiveSignature sig) {
  const auto& s = collective_settings();
  sig.call = ++calls_;
  if (s.check_matching) guard_->check(sig, "mpi", s.timeout_seconds);
  return cat("mpi ", sig.describe(), " (call #", sig.call, ")");
}

void MpiCommunicator::check_cpu(const at::Tensor& t, const char* where) const {
  if (!t.defined()) fail("mpi ", where, ": undefined tensor");
  if (!t.device().is_cpu())
    fail("mpi ", where, ": tensor on ", t.device().str(),
         "; the MPI backend takes CPU tensors (use make_communicator(device) for CUDA)");
}

void MpiCommunicator::check_root(int root, const char* where) const {
  if (root < 0 || root >= size_) fail("mpi ", where, ": root ", root, " outside 0..", size_ - 1);
}

void MpiCommunicator::all_reduce(at::Tensor& t, ReduceOp op) {
  check_cpu(t, "all_reduce");
  check_reducible(t, op, "mpi all_reduce");
  std::string what = enter(Sig::of_tensor(Sig::AllReduce, t, int(op)));
  WatchdogScope watch(what, collective_settings().timeout_seconds);
  ReduceBuffer buf(t);
  auto reqs = start_all_reduce(buf.work, op, comm_);
  MPI_Waitall(int(reqs.size()), reqs.data(), MPI_STATUSES_IGNORE);
  buf.finish(op, size_);
}

std::shared_ptr<Work> MpiCommunicator::all_reduce_async(at::Tensor& t, ReduceOp op) {
  check_cpu(t, "all_reduce_async");
  check_reducible(t, op, "mpi all_reduce_async");
  std::string what = enter(Sig::of_tensor(Sig::AllReduce, t, int(op)));
  return std::make_shared<MpiWork>(t, op, comm_, size_, what,
                                   collective_settings().timeout_seconds);
}

void MpiCommunicator::broadcast(at::Tensor& t, int root) {
  check_cpu(t, "broadcast");
  check_supported_dtype(t, "mpi broadcast");
  check_root(root, "broadcast");
  std::string what = enter(Sig::of_tensor(Sig::Broadcast, t, -1, root));
  WatchdogScope watch(what, collective_settings().timeout_seconds);
  at::Tensor buf = t.is_contiguous() ? t : t.contiguous();
  MPI_Datatype type = wire_type(t.scalar_type());
  char* base = static_cast<char*>(buf.data_ptr());
  int64_t n = buf.numel(), item = buf.element_size();
  for (int64_t off = 0; off < n; off += kMaxChunk)
    MPI_Bcast(base + off * item, int(std::min(kMaxChunk, n - off)), type, root, comm_);
  if (!buf.is_same(t)) t.copy_(buf);
}

at::Tensor MpiCommunicator::all_gather(const at::Tensor& t) {
  check_cpu(t, "all_gather");
  check_supported_dtype(t, "mpi all_gather");
  if (t.dim() == 0) fail("mpi all_gather: a 0-dimensional tensor has no dim 0 to concatenate");
  std::string what = enter(Sig::of_tensor(Sig::AllGather, t));
  if (t.numel() > INT_MAX || t.numel() * size_ > INT_MAX)
    fail("mpi all_gather: ", t.numel(), " elements per rank x ", size_,
         " ranks exceeds MPI's 32-bit counts; gather in pieces");
  WatchdogScope watch(what, collective_settings().timeout_seconds);
  at::Tensor in = t.contiguous();
  std::vector<int64_t> shape = t.sizes().vec();
  shape[0] *= size_;
  at::Tensor out = at::empty(shape, t.options());
  MPI_Datatype type = wire_type(t.scalar_type());
  MPI_Allgather(in.data_ptr(), int(in.numel()), type, out.data_ptr(), int(in.numel()), type,
                comm_);
  return out;
}

void MpiCommunicator::barrier() {
  CollectiveSignature sig;
  sig.kind = CollectiveSignature::Barrier;
  std::string what = enter(sig);
  WatchdogScope watch(what, collective_settings().timeout_seconds);
  MPI_Barrier(comm_);
}

std::vector<std::string> MpiCommunicator::gather_bytes(const std::string& mine, int root) {
  check_root(root, "gather_bytes");
  CollectiveSignature sig;
  sig.kind = CollectiveSignature::GatherBytes;
  sig.root = root;
  std::string what = enter(sig);
  WatchdogScope watch(what, collective_settings().timeout_seconds);
  // Every rank learns every size, so that an oversize gather fails everywhere alike.
  int64_t n = int64_t(mine.size());
  std::vector<int64_t> sizes(size_);
  MPI_Allgather(&n, 1, MPI_INT64_T, sizes.data(), 1, MPI_INT64_T, comm_);
  ByteLayout l = byte_layout(sizes, "mpi gather_bytes");
  std::string all(rank_ == root ? size_t(l.total) : 0, '\0');
  MPI_Gatherv(mine.data(), l.counts[rank_], MPI_BYTE, all.data(), l.counts.data(),
              l.displs.data(), MPI_BYTE, root, comm_);
  std::vector<std::string> out;
  if (rank_ != root) return out;
  for (int r = 0; r < size_; ++r) out.emplace_back(all.substr(l.displs[r], l.counts[r]));
  return out;
}

std::vector<std::string> MpiCommunicator::all_gather_bytes(const std::string& mine) {
  CollectiveSignature sig;
  sig.kind = CollectiveSignature::AllGatherBytes;
  std::string what = enter(sig);
  WatchdogScope watch(what, collective_settings().timeout_seconds);
  int64_t n = int64_t(mine.size());
  std::vector<int64_t> sizes(size_);
  MPI_Allgather(&n, 1, MPI_INT64_T, sizes.data(), 1, MPI_INT64_T, comm_);
  ByteLayout l = byte_layout(sizes, "mpi all_gather_bytes");
  std::string all(size_t(l.total), '\0');
  MPI_Allgatherv(mine.data(), l.counts[rank_], MPI_BYTE, all.data(), l.counts.data(),
                 l.displs.data(), MPI_BYTE, comm_);
  std::vector<std::string> out;
  for (int r = 0; r < size_; ++r) out.emplace_back(all.substr(l.displs[r], l.counts[r]));
  return out;
}

void MpiCommunicator::broadcast_bytes(std::string& bytes, int root) {
  check_root(root, "broadcast_bytes");
  CollectiveSignature sig;
  sig.kind = CollectiveSignature::BroadcastBytes;
  sig.root = root;
  std::string what = enter(sig);
  WatchdogScope watch(what, collective_settings().timeout_seconds);
  int64_t n = int64_t(bytes.size());
  MPI_Bcast(&n, 1, MPI_INT64_T, root, comm_);
  bytes.resize(size_t(n));
  for (int64_t off = 0; off < n; off += kMaxChunk)
    MPI_Bcast(bytes.data() + off, int(std::min(kMaxChunk, n - off)), MPI_BYTE, root, comm_);
}

}  // namespace loce::dist
