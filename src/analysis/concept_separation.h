#pragma once
// How far apart the concepts lie in LoCE space (Euclidean distances on the raw vectors).
//   intra(c)        = mean distance over all pairs of distinct LoCEs of concept c.
//   centroid(c)     = mean LoCE of concept c.
//   inter           = mean distance between the centroids of every pair of concepts (Table 1's
//                     Mean Inter-Class Distance).
//   separability    = inter / (mean over concepts of intra(c)) (Table 1's Separability Ratio;
//                     the paper's own columns satisfy this relation exactly).
// From the LoCE reference implementation's analysis:
//   one-vs-rest(c)  = (min over x in c, y not in c of |x - y|) / intra(c): how close the nearest
//                     LoCE of another concept comes, in units of c's own spread (the reference's
//                     category separation: np.min(pairwise_distances(cat_points, other_points))).
//   overlap(i, j)   = fraction of the LoCEs of i whose nearest LoCE of j is closer than their
//                     nearest other LoCE of i (0 on the diagonal).
//   kNN accuracy    = fraction of LoCEs whose concept is the majority concept of their k = 5
//                     nearest other LoCEs (leave-one-out; tied votes go to the lowest concept
//                     index, like scikit-learn's KNeighborsClassifier; at equal distances the
//                     LoCE first in the file counts as the nearer, see distance_statistics.h).
#include <vector>

#include <ATen/Tensor.h>

#include "analysis/distance_statistics.h"

namespace loce::analysis {

struct ConceptSeparation {
  at::Tensor intra;         // [C] float64 (NaN for a concept with fewer than 2 points)
  at::Tensor centroids;     // [C, d] float64
  at::Tensor centroid_distances;  // [C, C] float64
  double inter_mean = 0;
  double separability_ratio = 0;
  at::Tensor one_vs_rest;   // [C] float64
  at::Tensor overlap;       // [C, C] float64
  double knn_accuracy = 0;
};

// Collective. x [n, d] and labels [n] are the full set (as given to distance_statistics).
ConceptSeparation concept_separation(const at::Tensor& x, const at::Tensor& labels,
                                     const DistanceStatistics& stats,
                                     dist::Communicator* comm = nullptr);

}  // namespace loce::analysis
