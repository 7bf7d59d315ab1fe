#include "analysis/kmeans.h"

#include <torch/torch.h>

#include "analysis/collectives.h"
#include "core/error.h"
#include "core/log.h"

namespace loce::analysis {

KMeansResult kmeans(const at::Tensor& x_local, const at::Tensor& centres_in,
                    const KMeansOptions& o, dist::Communicator* comm) {
  LOCE_CHECK(x_local.dim() == 2 && centres_in.dim() == 2 && centres_in.size(1) == x_local.size(1),
             "k-means: need points [n, d] and centres [k, d]");
  const auto wd = o.mixed_precision ? torch::kFloat32 : torch::kFloat64;
  const int64_t k = centres_in.size(0), d = x_local.size(1);
  const auto f64 = x_local.options().dtype(torch::kFloat64);

  // Global mean and mean per-feature variance (numpy's var, ddof 0) for the tolerance; the
  // points are centred on that mean so float32 products lose nothing to a large offset.
  at::Tensor sums =
      torch::cat({x_local.to(torch::kFloat64).sum(0), torch::tensor({double(x_local.size(0))}, f64)});
  sum_across_ranks(comm, sums);
  const double n = sums[d].item<double>();
  at::Tensor mean = sums.narrow(0, 0, d) / n;
  at::Tensor xd = x_local.to(torch::kFloat64) - mean;  // a new tensor: the caller's stays as it is
  at::Tensor sq = xd.square().sum(0);
  sum_across_ranks(comm, sq);
  const double tol = o.tol * (sq / n).mean().item<double>();
  at::Tensor x = xd.to(wd);

  at::Tensor centres = centres_in.to(f64) - mean;
  auto assign = [&](const at::Tensor& c) {
    // argmin_j |x - c_j|^2 = argmin_j (|c_j|^2 - 2 x . c_j)
    at::Tensor cw = c.to(wd);
    return torch::addmm(cw.square().sum(1).unsqueeze(0), x, cw.t(), 1, -2).argmin(1);
  };

  KMeansResult r;
  at::Tensor labels_old;
  bool strict = false;
  for (int it = 1; it <= o.max_iter; ++it) {
    at::Tensor labels = assign(centres);
    at::Tensor stats = torch::zeros({k, d + 1}, f64);
    stats.narrow(1, 0, d).index_add_(0, labels, xd);
    stats.select(1, d).index_add_(0, labels, torch::ones({labels.size(0)}, f64));
    at::Tensor changed = torch::tensor(
        {labels_old.defined() ? labels.ne(labels_old).sum().item<double>() : -1.0}, torch::kFloat64);
    sum_across_ranks(comm, stats);
    sum_across_ranks(comm, changed);
    at::Tensor counts = stats.select(1, d);
    at::Tensor empty = counts.eq(0);
    if (empty.any().item<bool>())
      log::warn("k-means iteration ", it, ": ", empty.sum().item<int64_t>(),
                " centre(s) lost all their points and stay where they were");
    at::Tensor updated = torch::where(empty.unsqueeze(1), centres,
                                      stats.narrow(1, 0, d) / counts.clamp_min(1).unsqueeze(1));
    const double shift = (updated - centres).square().sum().item<double>();
    centres = updated;
    r.n_iter = it;
    if (changed.item<double>() == 0) {  // the same labels as the last iteration
      strict = true;
      labels_old = labels;
      break;
    }
    labels_old = labels;
    if (shift <= tol) break;
  }
  // Unless the labels were stable, the final centres' labels (as scikit-learn's last E-step).
  r.labels = strict ? labels_old : assign(centres);
  r.centres = centres + mean;
  return r;
}

}  // namespace loce::analysis
