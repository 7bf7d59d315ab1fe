#include "analysis/concept_separation.h"

#include <torch/torch.h>

#include <limits>

#include "analysis/collectives.h"
#include "core/error.h"

namespace loce::analysis {

ConceptSeparation concept_separation(const at::Tensor& x, const at::Tensor& labels_in,
                                     const DistanceStatistics& s, dist::Communicator* comm) {
  const int64_t C = s.counts.size(0);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const auto f64 = s.sum_to.options();
  at::Tensor counts = s.counts.to(s.sum_to.device());
  ConceptSeparation r;

  // intra(c) = sum_{i in c} sum_to[i, c] / (n_c (n_c - 1)): ordered pairs, self excluded.
  at::Tensor own_sum = s.sum_to.gather(1, s.labels.unsqueeze(1)).squeeze(1);
  at::Tensor intra_sum = torch::zeros({C}, f64).index_add_(0, s.labels, own_sum);
  sum_across_ranks(comm, intra_sum);
  r.intra = torch::where(counts.gt(1), intra_sum / (counts * (counts - 1)).clamp_min(1),
                         torch::full_like(intra_sum, nan)).to(torch::kCPU);

  // Centroids from the full point set (identical on every rank).
  at::Tensor xd = x.to(torch::kFloat64);
  at::Tensor labels = labels_in.to(x.device(), torch::kInt64);
  at::Tensor sums = torch::zeros({C, x.size(1)}, xd.options()).index_add_(0, labels, xd);
  r.centroids = (sums / counts.to(x.device()).clamp_min(1).unsqueeze(1)).to(torch::kCPU);
  // Pairwise centroid distances from differences (exact; C is small).
  r.centroid_distances = torch::zeros({C, C}, torch::kFloat64);
  for (int64_t i = 0; i < C; ++i)
    for (int64_t j = 0; j < C; ++j)
      r.centroid_distances[i][j] = (r.centroids[i] - r.centroids[j]).norm();
  double inter = 0;
  int64_t pairs = 0;
  for (int64_t i = 0; i < C; ++i)
    for (int64_t j = i + 1; j < C; ++j, ++pairs) inter += r.centroid_distances[i][j].item<double>();
  r.inter_mean = pairs ? inter / double(pairs) : nan;
  r.separability_ratio = r.inter_mean / r.intra.mean().item<double>();

  // one-vs-rest(c) = (smallest distance between a point of c and a point of another concept)
  // / intra(c), as the LoCE reference's category separation: from each row's nearest point per
  // concept, the own concept masked, the minimum per concept over rows and ranks.
  const double inf = std::numeric_limits<double>::infinity();
  at::Tensor to_others = s.nearest.scatter(1, s.labels.unsqueeze(1), inf).amin(1);  // [rows]
  at::Tensor inter_min = torch::full({C}, inf, f64);
  for (int64_t c = 0; c < C; ++c) {  // C is small; scatter_reduce is a beta API in LibTorch 1.13
    at::Tensor mine = to_others.masked_select(s.labels.eq(c));
    if (mine.numel() > 0) inter_min[c] = mine.min();
  }
  min_across_ranks(comm, inter_min);
  inter_min = inter_min.to(torch::kCPU);
  r.one_vs_rest = torch::where(inter_min.isinf(), torch::full_like(inter_min, nan), inter_min / r.intra);

  // overlap(i, j): nearest other point of j closer than the nearest other point of i.
  at::Tensor own_near = s.nearest.gather(1, s.labels.unsqueeze(1));       // [rows, 1]
  at::Tensor closer = s.nearest.lt(own_near).to(torch::kFloat64);          // [rows, C]
  at::Tensor overlap = torch::zeros({C, C}, f64).index_add_(0, s.labels, closer);
  sum_across_ranks(comm, overlap);
  overlap = overlap / counts.clamp_min(1).unsqueeze(1);
  overlap.fill_diagonal_(0);
  r.overlap = overlap.to(torch::kCPU);

  // Leave-one-out kNN vote.
  double correct = 0;
  if (s.knn.size(1) > 0) {
    at::Tensor valid = s.knn.ge(0);
    at::Tensor votes = torch::zeros({s.knn.size(0), C}, f64);
    votes.scatter_add_(1, s.knn.clamp_min(0), valid.to(torch::kFloat64));
    // argmax returns the first maximum: ties go to the lowest concept index.
    at::Tensor predicted = votes.argmax(1);
    correct = predicted.eq(s.labels).sum().item<double>();
  }
  r.knn_accuracy = sum_across_ranks(comm, correct) / double(s.n_points);
  return r;
}

}  // namespace loce::analysis
