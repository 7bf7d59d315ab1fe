#pragma once
// The whole analysis of one LoCE file (the `loce analyze` subcommand): a GMM fitted to all
// LoCEs (one component per concept unless told otherwise), the Table 1 metrics and the
// supplementary ones, the 2-D projections (PCA, UMAP) with the GMM decision regions for the
// figure, and the results file.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <ATen/Tensor.h>
#include <c10/core/Device.h>

#include "analysis/clustering_scores.h"
#include "analysis/concept_separation.h"
#include "analysis/decision_grid.h"
#include "analysis/gmm.h"
#include "analysis/loce_set.h"
#include "analysis/umap.h"
#include "dist/communicator.h"

namespace loce::analysis {

// The decision grids hold resolution^2 cells, each scored by every GMM component.
constexpr int64_t kMaxGridResolution = 2000;

struct AnalyzeOptions {
  int64_t k = 0;      // GMM components; 0: one per concept (the paper's setting)
  int64_t k_max = 0;  // > 0: choose k in 1..k_max by the lowest BIC instead
  CovarianceType covariance_type = CovarianceType::Full;
  int n_init = 1;
  GmmInit gmm_init = GmmInit::KMeans;
  int max_iter = 100;
  double tol = 1e-3;
  double reg_covar = 1e-6;
  uint64_t seed = 0;
  bool mixed_precision = false;  // float32 products, float64 sums (GMM and distances)
  int64_t knn_k = 5;
  bool knn_k_given = false;      // --knn on the command line: above n - 1 it is an error, the
                                 // default is lowered to n - 1 with a warning instead
  bool projections = true;       // PCA, UMAP and decision grids
  int64_t grid_resolution = 200;
  UmapOptions umap;
};

// A named scalar, in the order it is reported.
using Metric = std::pair<std::string, double>;

struct AnalysisResult {
  std::string method, source_path, layer;
  std::vector<std::string> concept_names;
  int64_t n_points = 0, dims = 0;
  at::Tensor rows;               // [P] int64: the rows of the LoCE file analysed
  int64_t unknown_left_out = 0;  // LoCEs of unknown concept (-1) not analysed
  // GMM
  GaussianMixture gmm{GmmOptions{}};
  at::Tensor assignment;   // [P] int64 (all points, every rank)
  at::Tensor contingency;  // [concepts, components]
  std::vector<double> bics;  // per k when k was selected by BIC
  double log_likelihood = 0, bic = 0, aic = 0;
  // Metrics
  ClusteringScores scores;
  ConceptSeparation separation;
  double silhouette = 0;
  // Projections (rank 0 only; undefined elsewhere or when disabled)
  at::Tensor pca, umap;  // [P, 2] float32
  DecisionGrid pca_grid, umap_grid;
  at::Tensor labels;     // [P] int64 concept index
  std::vector<Metric> timings;  // seconds per stage

  // Table 1 rows in the paper's naming: intra_<concept>..., inter_mean, separability_ratio,
  // silhouette, homogeneity, completeness, v_measure, ari, nmi, error_rate.
  std::vector<Metric> table1() const;
  // Table 1 followed by the supplementary metrics (purity, kNN accuracy, one-vs-rest, GMM fit).
  std::vector<Metric> all_metrics() const;
};

// Collective: every rank passes the same LoCE set (the GMM uses this rank's shard of the points,
// the distance pass this rank's rows); computations run on `device`.
AnalysisResult analyze_loces(const LoceSet& set, const AnalyzeOptions& options,
                             dist::Communicator* comm, const c10::Device& device);

// Writes the results file atomically (call on one rank).
void write_analysis(const std::string& path, const AnalysisResult& result,
                    const AnalyzeOptions& options);

// One JSON object of all_metrics() plus method, concepts and unknown_left_out. A NaN metric
// (undefined) is null, an infinite one the string "inf" or "-inf".
std::string metrics_json(const AnalysisResult& result);
// Human-readable "name  value" lines of Table 1 (then the supplementary metrics).
std::string metrics_text(const AnalysisResult& result);

}  // namespace loce::analysis
