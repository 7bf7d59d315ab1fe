#pragma once
// Silhouette coefficient (Rousseeuw 1987) exactly as scikit-learn's silhouette_score with the
// Euclidean metric: for point i of cluster A,
//   a(i) = mean distance to the other points of A,
//   b(i) = min over clusters B != A of the mean distance to the points of B,
//   s(i) = (b - a) / max(a, b), and s(i) = 0 when A holds only i (or a = b = 0);
// the score is the mean of s over all points. Exact (all N^2 distances, in tiles), rows spread
// over ranks, on the points' device.
#include <ATen/Tensor.h>

#include "analysis/distance_statistics.h"

namespace loce::analysis {

// s(i) for this rank's rows, [rows] float64.
at::Tensor silhouette_samples(const DistanceStatistics& stats);

// Collective: the mean over all points.
double silhouette_score(const DistanceStatistics& stats, dist::Communicator* comm = nullptr);

// Convenience: the whole computation from points and labels (collective).
double silhouette_score(const at::Tensor& x, const at::Tensor& labels, int64_t n_concepts,
                        dist::Communicator* comm = nullptr, bool mixed_precision = false);

}  // namespace loce::analysis
