#include "ssl/barlow_loss.h"

#include <torch/torch.h>

#include <cstdint>

#include "core/error.h"

namespace loce::ssl {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// The communicator travels through the autograd context as an integer (saved_data holds
// IValues); it outlives the step that builds and runs the graph.
struct AllReduceSum : public torch::autograd::Function<AllReduceSum> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& t, int64_t comm_address) {
    ctx->saved_data["comm"] = comm_address;
    auto out = t.detach().clone(at::MemoryFormat::Contiguous);
    reinterpret_cast<dist::Communicator*>(comm_address)->all_reduce(out, dist::ReduceOp::Sum);
    return out;
  }
  static variable_list backward(AutogradContext* ctx, variable_list grad) {
    auto* comm = reinterpret_cast<dist::Communicator*>(ctx->saved_data["comm"].toInt());
    auto g = grad[0].clone(at::MemoryFormat::Contiguous);
    comm->all_reduce(g, dist::ReduceOp::Sum);
    return {g, at::Tensor()};
  }
};

at::Tensor off_diagonal(const at::Tensor& c) {
  // Every element but the diagonal of a square matrix (the official code's flatten/view trick).
  const int64_t n = c.size(0);
  return c.flatten().slice(0, 0, n * n - 1).view({n - 1, n + 1}).slice(1, 1).flatten();
}

// Rows of the global batch (ranks normally hold equal batches; this does not assume it). Over
// several ranks it stays a tensor on the device: reading it on the host would wait for the
// step's work queued so far.
at::Tensor global_rows(const at::Tensor& z, dist::Communicator& comm) {
  at::Tensor n = at::full({}, double(z.size(0)), z.options().dtype(at::kDouble));
  if (comm.size() > 1) comm.all_reduce(n, dist::ReduceOp::Sum);
  return n;
}

}  // namespace

at::Tensor all_reduce_sum(const at::Tensor& t, dist::Communicator& comm) {
  if (comm.size() == 1) return t;
  return AllReduceSum::apply(t, int64_t(reinterpret_cast<intptr_t>(&comm)));
}

namespace {
constexpr double kEps = 1e-5;  // BatchNorm1d's default, and global_batch_norm's

// global_batch_norm with the global row count given (the two views share it).
at::Tensor batch_norm_over(const at::Tensor& z, const at::Tensor& global_n,
                           dist::Communicator& comm, double eps) {
  LOCE_CHECK(z.dim() == 2, "global_batch_norm: expected [B, D], got ", z.sizes());
  auto mean = all_reduce_sum(z.sum(0), comm) / global_n;
  auto centred = z - mean;
  auto var = all_reduce_sum(centred.pow(2).sum(0), comm) / global_n;
  return centred / at::sqrt(var + eps);
}
}  // namespace

at::Tensor global_batch_norm(const at::Tensor& z, dist::Communicator& comm, double eps) {
  return batch_norm_over(z, global_rows(z, comm), comm, eps);
}

at::Tensor cross_correlation(const at::Tensor& z1, const at::Tensor& z2,
                             dist::Communicator& comm) {
  LOCE_CHECK(z1.sizes() == z2.sizes(), "Barlow Twins: the two views' projections differ in shape (",
             z1.sizes(), " vs ", z2.sizes(), ")");
  const at::Tensor global_n = global_rows(z1, comm);  // one count for both views
  const at::Tensor n1 = batch_norm_over(z1, global_n, comm, kEps),
                   n2 = batch_norm_over(z2, global_n, comm, kEps);
  return all_reduce_sum(n1.t().mm(n2), comm) / global_n;
}

at::Tensor barlow_twins_loss(const at::Tensor& z1, const at::Tensor& z2, double lambda,
                             dist::Communicator& comm) {
  at::Tensor c = cross_correlation(z1, z2, comm);
  at::Tensor on_diag = (at::diagonal(c) - 1.0).pow(2).sum();
  at::Tensor off_diag = off_diagonal(c).pow(2).sum();
  return on_diag + lambda * off_diag;
}

}  // namespace loce::ssl
