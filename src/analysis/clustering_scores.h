#pragma once
// Agreement between a clustering (GMM components) and the ground truth (concept labels), with
// scikit-learn's definitions (sklearn.metrics.cluster, natural logarithms):
//   contingency n_ck = #points of class c in cluster k; N = sum n_ck; a_c, b_k its margins.
//   H(C) = -sum_c a_c/N log(a_c/N), H(K) likewise, I(C;K) = sum n_ck/N log(N n_ck / (a_c b_k)).
//   homogeneity  h = I / H(C) (1 when H(C) = 0): each cluster holds one class.
//   completeness c = I / H(K) (1 when H(K) = 0): each class lies in one cluster.
//   V-measure = 2 h c / (h + c) (beta = 1; 0 when h + c = 0).
//   NMI (arithmetic) = I / ((H(C) + H(K)) / 2); 1 when both labelings have one group, 0 when I=0.
//   ARI = (sum_ck C(n_ck,2) - E) / ((A + B)/2 - E), A = sum C(a_c,2), B = sum C(b_k,2),
//         E = A B / C(N,2); 1 when the two labelings are identical partitions (no disagreeing pair).
//   purity = sum_k max_c n_ck / N.
//   error rate = 1 - (sum of n_ck over the best one-to-one matching of clusters to classes) / N,
//         the matching found by the Hungarian algorithm; points of unmatched clusters are errors.
// All functions take the contingency table, which is a sum over points and therefore
// distributes by an all-reduce.
#include <cstdint>

#include <ATen/Tensor.h>

#include "dist/communicator.h"

namespace loce::analysis {

// n_ck for labels in [0, n_classes) and clusters in [0, n_clusters), float64 [n_classes,
// n_clusters], summed over ranks when a communicator is given.
at::Tensor contingency_table(const at::Tensor& classes, const at::Tensor& clusters,
                             int64_t n_classes, int64_t n_clusters,
                             dist::Communicator* comm = nullptr);

struct ClusteringScores {
  double homogeneity = 0, completeness = 0, v_measure = 0;
  double ari = 0, nmi = 0, purity = 0, error_rate = 0;
};

// Scores from a contingency table (rows: classes, columns: clusters). Classes or clusters
// with no point are ignored, as scikit-learn ignores labels that do not occur.
ClusteringScores clustering_scores(const at::Tensor& contingency);

// The cluster matched to each class by the Hungarian algorithm (-1: none), [n_classes].
std::vector<int64_t> match_clusters_to_classes(const at::Tensor& contingency);

}  // namespace loce::analysis
