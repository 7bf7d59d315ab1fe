#pragma once
// Gaussian mixture model fitted by expectation-maximisation, in LibTorch on the points' device,
// with scikit-learn's GaussianMixture semantics and defaults so that results are comparable:
// covariance full | diag | spherical, reg_covar 1e-6 added to the covariance diagonal,
// tol 1e-3 on the change of the mean log-likelihood, max_iter 100, n_init restarts keeping the
// best final lower bound. Initialisation as scikit-learn's init_params:
//   kmeans (the default): k-means++ seeds refined by Lloyd's k-means; its hard labels give the
//     first weights, means and covariances. EM then usually converges in a few iterations.
//   k-means++: the seeds alone, each responsible only for itself (weights 1/N, covariances
//     reg_covar * I); cheaper to start, more EM iterations.
//
// Numerics: log-densities through the Cholesky factor of each precision matrix
// (log N(x | mu, S) = -d/2 log 2pi + log det P - |P^T (x - mu)|^2 / 2 with P P^T = S^-1), the
// responsibilities by log-sum-exp, every sum over points (N_k, sum x, sum x x^T, the
// log-likelihood) accumulated in float64. The points are centred on their global mean before
// the sufficient statistics are formed, so that S = sum x x^T / N_k - mu mu^T does not cancel.
// Each precision factor P is upper triangular, so (x - mu) P is computed in column blocks of
// 128, each a GEMM with the rows of P above the block's end only (about 56% of a full product
// at d = 1024); likewise only the upper triangle of sum x x^T is formed.
// With mixed_precision the E-step's Mahalanobis GEMMs (k N d^2, the bulk of the work) run in
// float32 and only their sums are float64: about 2x faster on CPUs and far more on GPUs, at
// ~1e-6 relative accuracy of the log-likelihood. The M-step statistics stay float64: a
// component with fewer points than dimensions has a singular scatter matrix, which float32
// rounding would push below reg_covar. Skipping rows whose responsibility is exactly 0 makes
// them cost about N d^2 in total on separated concepts. The E-step likewise completes a
// point's Mahalanobis term only for the components whose responsibility can still differ from
// 0 in float64: with separated concepts one in k (20000 x 1024 LoCEs, k 5: 1.3 -> 0.6 s per
// E-step on 2 cores), with identical results.
//
// Distributed: each rank passes only its own points. The E-step is local; N_k, sum x,
// sum x x^T and the log-likelihood are summed over ranks before the M-step, so every rank holds
// the same model, equal to the one-rank fit up to summation order. Methods marked
// "collective" must be called by every rank.
#include <cstdint>
#include <string>
#include <vector>

#include <ATen/Tensor.h>

#include "dist/communicator.h"

namespace loce::analysis {

enum class CovarianceType { Full, Diag, Spherical };
CovarianceType parse_covariance_type(const std::string& name);  // InputError if unknown
std::string to_string(CovarianceType type);

enum class GmmInit { KMeans, KMeansPlusPlus };
GmmInit parse_gmm_init(const std::string& name);  // "kmeans" | "k-means++"; InputError if unknown
std::string to_string(GmmInit init);

struct GmmOptions {
  int64_t n_components = 1;
  CovarianceType covariance_type = CovarianceType::Full;
  double tol = 1e-3;
  double reg_covar = 1e-6;
  int max_iter = 100;
  int n_init = 1;
  GmmInit init = GmmInit::KMeans;
  uint64_t seed = 0;
  bool mixed_precision = false;
  // Full covariances on CPU: stop forming a point's Mahalanobis term for a component once its
  // responsibility is certain to be 0 in float64 (see mahalanobis_full). Same results; off
  // only for comparisons.
  bool skip_negligible = true;
};

class GaussianMixture {
 public:
  explicit GaussianMixture(GmmOptions options, dist::Communicator* comm = nullptr);

  // Collective. Initialisation by options().init, n_init restarts; keeps the run with the best
  // lower bound.
  void fit(const at::Tensor& x_local);
  // Collective. One EM run from the parameters that a hard assignment of the points gives
  // (labels_local [n_local] in [0, k); what init "kmeans" does with the k-means labels).
  void fit_from_labels(const at::Tensor& x_local, const at::Tensor& labels_local);
  // Collective. One EM run from given parameters (float64; covariances shaped as the type
  // requires: full [k,d,d], diag [k,d], spherical [k]); weights need not sum to one.
  void fit_from(const at::Tensor& x_local, const at::Tensor& weights, const at::Tensor& means,
                const at::Tensor& covariances);

  // Local (per point) queries on any points.
  at::Tensor predict(const at::Tensor& x) const;        // [n] int64, most probable component
  at::Tensor predict_proba(const at::Tensor& x) const;  // [n, k] float64
  at::Tensor score_samples(const at::Tensor& x) const;  // [n] float64, log p(x)
  // Collective: mean log-likelihood over the points of all ranks.
  double score(const at::Tensor& x_local) const;
  // Collective: score() and predict() of the local points from one E-step (with 1024-D points
  // an E-step is a GEMM of n x d x k*d, the cost of a whole EM iteration's E half).
  struct ScoredPrediction {
    double mean_log_likelihood = 0;
    at::Tensor labels;  // [n_local] int64
  };
  ScoredPrediction score_and_predict(const at::Tensor& x_local) const;
  // Collective: -2 log L + p log N (BIC) and -2 log L + 2 p (AIC) over all ranks' points.
  double bic(const at::Tensor& x_local) const;
  double aic(const at::Tensor& x_local) const;
  int64_t n_parameters() const;  // free parameters: means, covariances, k - 1 weights

  const GmmOptions& options() const { return options_; }
  const at::Tensor& weights() const { return weights_; }          // [k] float64
  const at::Tensor& means() const { return means_; }              // [k, d] float64
  const at::Tensor& covariances() const { return covariances_; }  // by type, float64
  const at::Tensor& precisions_cholesky() const { return precisions_cholesky_; }
  bool converged() const { return converged_; }
  int n_iter() const { return n_iter_; }
  double lower_bound() const { return lower_bound_; }  // mean log-likelihood before the last M-step
  bool fitted() const { return weights_.defined(); }

 private:
  struct Run;
  struct Parameters;
  Parameters parameters_from_labels(const at::Tensor& x_local, const at::Tensor& labels_local) const;
  Run run_em(const at::Tensor& x_local, at::Tensor weights, at::Tensor means,
             at::Tensor covariances) const;
  at::Tensor weighted_log_prob(const at::Tensor& x) const;  // [n, k] float64
  // [n, k] float64 for centred points; log_norm [k]: the log-probability is -maha / 2 + log_norm.
  at::Tensor mahalanobis_full(const at::Tensor& xc, const at::Tensor& log_norm) const;
  void set_parameters(const Run& run);
  void check_points(const at::Tensor& x_local) const;
  void set_shift(const at::Tensor& x_local);

  GmmOptions options_;
  dist::Communicator* comm_;
  at::Tensor weights_, means_, covariances_, precisions_cholesky_;
  at::Tensor shift_;  // global mean of the training points, [d] float64
  bool converged_ = false;
  int n_iter_ = 0;
  double lower_bound_ = 0;
};

// Collective. Fits k = k_min..k_max and returns the model with the lowest BIC; `bics`
// receives every k's BIC when given.
GaussianMixture select_components_by_bic(const at::Tensor& x_local, int64_t k_min, int64_t k_max,
                                         GmmOptions options, dist::Communicator* comm = nullptr,
                                         std::vector<double>* bics = nullptr);

}  // namespace loce::analysis
