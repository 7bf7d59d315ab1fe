#include "dist/data_parallel.h"

#include <ATen/ATen.h>
#include <torch/torch.h>

#include <map>

#include "core/error.h"
#include "core/log.h"
#include "core/timer.h"

namespace loce::dist {
namespace {

// Applies `fn` to one flat tensor per (dtype, device) made of `tensors`, then copies the result
// back, so that a whole model's state moves in a few collectives instead of one per tensor.
template <class Fn>
void for_each_flat_group(const std::vector<at::Tensor>& tensors, Fn fn) {
  std::map<std::pair<int, std::string>, std::vector<at::Tensor>> groups;
  for (const auto& t : tensors)
    if (t.defined() && t.numel() > 0)
      groups[{int(t.scalar_type()), t.device().str()}].push_back(t.detach());
  for (auto& [key, group] : groups) {
    std::vector<at::Tensor> flats;
    for (auto& t : group) flats.push_back(t.reshape({-1}));
    at::Tensor flat = at::cat(flats);
    fn(flat);
    int64_t off = 0;
    for (auto& t : group) {
      t.copy_(flat.narrow(0, off, t.numel()).view(t.sizes()));
      off += t.numel();
    }
  }
}

}  // namespace

DataParallel::DataParallel(torch::nn::Module& module, std::shared_ptr<Communicator> comm,
                           DataParallelOptions options)
    : module_(module), comm_(std::move(comm)), options_(options) {
  LOCE_CHECK(comm_, "DataParallel: no communicator");
  LOCE_CHECK(options_.first_bucket_bytes > 0 && options_.bucket_bytes > 0,
             "DataParallel: bucket sizes must be positive (got ", options_.first_bucket_bytes,
             " and ", options_.bucket_bytes, " bytes)");
  broadcast_state(0);

  for (auto& p : module_.parameters(/*recurse=*/true))
    if (p.requires_grad()) params_.push_back(Param{p});
  LOCE_CHECK(!params_.empty(), "DataParallel: the module has no parameter that requires grad");

  // Buckets in reverse registration order: backward produces the last layers' gradients first.
  int64_t bytes = 0;
  for (size_t k = params_.size(); k-- > 0;) {
    const at::Tensor& p = params_[k].tensor;
    int64_t cap = buckets_.size() <= 1 ? options_.first_bucket_bytes : options_.bucket_bytes;
    bool fits = !buckets_.empty() && bytes + int64_t(p.nbytes()) <= cap &&
                buckets_.back().flat.scalar_type() == p.scalar_type() &&
                buckets_.back().flat.device() == p.device();
    if (!fits) {
      buckets_.emplace_back();
      buckets_.back().flat = at::empty({0}, p.options().requires_grad(false));
      bytes = 0;
    }
    Bucket& b = buckets_.back();
    params_[k].bucket = buckets_.size() - 1;
    params_[k].offset = b.flat.numel();
    b.params.push_back(k);
    b.flat = at::empty({b.flat.numel() + p.numel()}, b.flat.options());
    bytes += int64_t(p.nbytes());
  }
  for (auto& b : buckets_) b.pending = b.params.size();

  if (options_.overlap) {
    for (size_t i = 0; i < params_.size(); ++i)
      params_[i].hook = params_[i].tensor.register_hook(
          [this, i](const at::Tensor& grad) { on_gradient(i, grad); });
    hooks_ = true;
  }
  log::debug("DataParallel: ", params_.size(), " parameters in ", buckets_.size(),
             " bucket(s) over ", comm_->size(), " rank(s) (", comm_->backend(), ")");
}

DataParallel::~DataParallel() {
  if (!hooks_) return;
  for (auto& p : params_) p.tensor.remove_hook(p.hook);
}

at::Tensor DataParallel::slice(size_t i) {
  const Param& p = params_[i];
  return buckets_[p.bucket].flat.narrow(0, p.offset, p.tensor.numel());
}

void DataParallel::on_gradient(size_t i, const at::Tensor& grad) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!sync_) return;
  if (params_[i].ready)
    fail("DataParallel: parameter ", i, " received a second gradient before "
         "synchronize_gradients(); call it after every backward (or set_gradient_sync(false) "
         "for accumulation steps)");
  mark_ready(i, &grad);
  start_ready_buckets();
  // MPI moves non-blocking transfers forward only inside MPI calls: poke the running ones.
  for (size_t b = 0; b < next_bucket_; ++b)
    if (buckets_[b].work) buckets_[b].work->test();
}

void DataParallel::mark_ready(size_t i, const at::Tensor* grad) {
  at::NoGradGuard no_grad;
  Param& p = params_[i];
  at::Tensor s = slice(i);
  // What will be in .grad after this backward: the new gradient plus what was accumulated
  // before (set_gradient_sync(false) steps, or an optimiser that does not zero).
  const at::Tensor& before = p.tensor.grad();
  if (grad && grad->defined()) {
    s.copy_(grad->reshape({-1}));
    if (before.defined()) s.add_(before.reshape({-1}));
  } else if (before.defined()) {
    s.copy_(before.reshape({-1}));
  } else {
    s.zero_();
  }
  p.ready = true;
  --buckets_[p.bucket].pending;
}

void DataParallel::start_ready_buckets() {
  while (next_bucket_ < buckets_.size() && buckets_[next_bucket_].pending == 0) {
    Bucket& b = buckets_[next_bucket_++];
    b.work = comm_->all_reduce_async(b.flat, ReduceOp::Avg);
  }
}

double DataParallel::synchronize_gradients() {
  if (!sync_) return 0;
  Timer timer;
  std::lock_guard<std::mutex> lock(mutex_);
  at::NoGradGuard no_grad;
  started_in_backward_ = int(next_bucket_);
  std::vector<uint8_t> used(params_.size());
  for (size_t i = 0; i < params_.size(); ++i) {
    used[i] = params_[i].ready || params_[i].tensor.grad().defined();
    if (!params_[i].ready) mark_ready(i, nullptr);  // zeros: keeps every rank's buckets in step
  }
  start_ready_buckets();
  for (auto& b : buckets_) {
    b.work->wait();
    b.work.reset();
  }

  std::vector<bool> skip(params_.size(), false);
  if (options_.find_unused_parameters) {
    at::Tensor counts = at::empty({int64_t(params_.size())}, at::kFloat);
    for (size_t i = 0; i < used.size(); ++i) counts[int64_t(i)] = float(used[i]);
    counts = counts.to(buckets_[0].flat.device());
    comm_->all_reduce(counts, ReduceOp::Sum);
    counts = counts.cpu();
    auto acc = counts.accessor<float, 1>();
    for (size_t i = 0; i < params_.size(); ++i) skip[i] = acc[int64_t(i)] == 0;
  }

  for (size_t i = 0; i < params_.size(); ++i) {
    Param& p = params_[i];
    p.ready = false;
    if (skip[i]) continue;  // unused on every rank: .grad stays as single-process training has it
    at::Tensor avg = slice(i).view(p.tensor.sizes());
    at::Tensor& g = p.tensor.mutable_grad();
    if (g.defined()) g.copy_(avg);
    else g = avg.clone();
  }
  for (auto& b : buckets_) b.pending = b.params.size();
  next_bucket_ = 0;
  return timer.seconds();
}

void DataParallel::average_buffers() {
  at::NoGradGuard no_grad;
  std::vector<at::Tensor> floating, integral;
  for (auto& b : module_.buffers(/*recurse=*/true))
    (at::isFloatingType(b.scalar_type()) ? floating : integral).push_back(b);
  for_each_flat_group(floating, [&](at::Tensor& flat) { comm_->all_reduce(flat, ReduceOp::Avg); });
  for_each_flat_group(integral, [&](at::Tensor& flat) { comm_->broadcast(flat, 0); });
}

void DataParallel::synchronize_buffers() {
  at::NoGradGuard no_grad;
  std::vector<at::Tensor> floating;
  for (auto& b : module_.buffers(/*recurse=*/true))
    if (at::isFloatingType(b.scalar_type())) floating.push_back(b);
  for_each_flat_group(floating, [&](at::Tensor& flat) { comm_->all_reduce(flat, ReduceOp::Avg); });
}

void DataParallel::broadcast_state(int root) {
  at::NoGradGuard no_grad;
  std::vector<at::Tensor> all = module_.parameters(true);
  for (auto& b : module_.buffers(true)) all.push_back(b);
  for_each_flat_group(all, [&](at::Tensor& flat) { comm_->broadcast(flat, root); });
}

std::vector<std::vector<size_t>> DataParallel::bucket_layout() const {
  std::vector<std::vector<size_t>> out;
  for (const auto& b : buckets_) out.push_back(b.params);
  return out;
}

}  // namespace loce::dist
