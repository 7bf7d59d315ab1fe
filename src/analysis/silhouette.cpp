#include "analysis/silhouette.h"

#include <torch/torch.h>

#include <limits>

namespace loce::analysis {

at::Tensor silhouette_samples(const DistanceStatistics& s) {
  const auto inf = std::numeric_limits<double>::infinity();
  at::Tensor counts = s.counts.to(s.sum_to.device());
  at::Tensor own_count = counts.index_select(0, s.labels);                  // [rows]
  at::Tensor own_sum = s.sum_to.gather(1, s.labels.unsqueeze(1)).squeeze(1);
  at::Tensor a = own_sum / (own_count - 1).clamp_min(1);
  // Mean distance to every other (non-empty) concept; own concept and empty ones excluded.
  at::Tensor means = s.sum_to / counts.clamp_min(1).unsqueeze(0);
  at::Tensor excluded = torch::one_hot(s.labels, counts.size(0)).to(torch::kBool) |
                        counts.eq(0).unsqueeze(0);
  at::Tensor b = means.masked_fill(excluded, inf).amin(1);
  at::Tensor denom = torch::maximum(a, b);
  at::Tensor sil = (b - a) / denom;
  // scikit-learn: nan_to_num (0/0 -> 0) and 0 for points alone in their cluster.
  sil = torch::where(denom.gt(0) & own_count.gt(1) & b.isfinite(), sil, torch::zeros_like(sil));
  return sil;
}

double silhouette_score(const DistanceStatistics& s, dist::Communicator* comm) {
  double local = silhouette_samples(s).sum().item<double>();
  return sum_across_ranks(comm, local) / double(s.n_points);
}

double silhouette_score(const at::Tensor& x, const at::Tensor& labels, int64_t n_concepts,
                        dist::Communicator* comm, bool mixed_precision) {
  DistanceOptions o;
  o.knn_k = 0;
  o.mixed_precision = mixed_precision;
  return silhouette_score(distance_statistics(x, labels, n_concepts, o, comm), comm);
}

}  // namespace loce::analysis
