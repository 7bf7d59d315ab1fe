#include "analysis/gmm.h"

#include <torch/torch.h>

#include <cmath>
#include <limits>
#include <optional>

#include "analysis/collectives.h"
#include "analysis/kmeans_plus_plus.h"
#include "core/error.h"
#include "core/log.h"
#include "core/seed.h"

namespace loce::analysis {

namespace {
constexpr double kEps = std::numeric_limits<double>::epsilon();
const double kLog2Pi = std::log(2.0 * M_PI);

// Rows per tile so that a [rows, k * d] float64 block of Mahalanobis terms stays near 64 MB.
int64_t em_tile_rows(int64_t k, int64_t d) {
  return std::max<int64_t>(256, (int64_t(64) << 20) / (8 * std::max<int64_t>(1, k * d)));
}

// Upper-triangular P with P P^T = S^-1, from S = L L^T: P = L^-T (scikit-learn's
// precisions_cholesky_). Throws when a covariance is not positive definite.
at::Tensor precision_cholesky(const at::Tensor& cov, CovarianceType type) {
  if (type == CovarianceType::Full) {
    auto [L, info] = torch::linalg_cholesky_ex(cov);
    if (info.gt(0).any().item<bool>())
      fail("GMM: a component's covariance is not positive definite (too few or collinear "
           "points for it); increase reg_covar or lower k");
    at::Tensor eye = torch::eye(cov.size(-1), cov.options()).expand_as(cov);
    return torch::linalg_solve_triangular(L, eye, /*upper=*/false).transpose(-2, -1).contiguous();
  }
  if (cov.le(0).any().item<bool>())
    fail("GMM: a component has a non-positive variance; increase reg_covar or lower k");
  return cov.rsqrt();
}
}  // namespace

CovarianceType parse_covariance_type(const std::string& name) {
  if (name == "full") return CovarianceType::Full;
  if (name == "diag") return CovarianceType::Diag;
  if (name == "spherical") return CovarianceType::Spherical;
  bad_input("covariance type '", name, "' is not one of full, diag, spherical");
}

std::string to_string(CovarianceType type) {
  switch (type) {
    case CovarianceType::Full: return "full";
    case CovarianceType::Diag: return "diag";
    case CovarianceType::Spherical: return "spherical";
  }
  return "?";
}

struct GaussianMixture::Run {
  at::Tensor weights, means, covariances, prec_chol;
  double lower_bound = -std::numeric_limits<double>::infinity();
  int n_iter = 0;
  bool converged = false;
};

GaussianMixture::GaussianMixture(GmmOptions options, dist::Communicator* comm)
    : options_(options), comm_(comm) {
  if (options_.n_components < 1) bad_input("GMM: n_components must be >= 1");
  if (options_.n_init < 1) bad_input("GMM: n_init must be >= 1");
  if (options_.max_iter < 1) bad_input("GMM: max_iter must be >= 1");
}

void GaussianMixture::check_points(const at::Tensor& x_local) const {
  if (x_local.dim() != 2) bad_input("GMM: points must be a [n, d] matrix");
  at::Tensor n = torch::tensor({x_local.size(0)}, torch::kInt64);
  sum_across_ranks(comm_, n);
  if (n.item<int64_t>() < options_.n_components)
    bad_input("GMM: n_components=", options_.n_components, " is larger than the number of points (",
              n.item<int64_t>(), ")");
  if (!torch::isfinite(x_local).all().item<bool>()) bad_input("GMM: points contain NaN or Inf");
}

void GaussianMixture::set_shift(const at::Tensor& x_local) {
  at::Tensor s = x_local.to(torch::kFloat64).sum(0);
  at::Tensor n = torch::tensor({double(x_local.size(0))}, torch::kFloat64);
  sum_across_ranks(comm_, s);
  sum_across_ranks(comm_, n);
  shift_ = s / n.item<double>();
}

at::Tensor GaussianMixture::weighted_log_prob(const at::Tensor& x) const {
  const auto wd = options_.mixed_precision ? torch::kFloat32 : torch::kFloat64;
  const int64_t k = means_.size(0), d = means_.size(1);
  at::Tensor xc = (x.to(torch::kFloat64) - shift_).to(wd);
  at::Tensor mc = means_ - shift_;
  at::Tensor maha;     // [n, k] squared Mahalanobis distances, float64
  at::Tensor log_det;  // [k] log det P
  switch (options_.covariance_type) {
    case CovarianceType::Full: {
      // y = (x - mu) P for all components in one GEMM: P stacked as [d, k*d].
      at::Tensor P = precisions_cholesky_.permute({1, 0, 2}).reshape({d, k * d});
      at::Tensor mP = torch::bmm(mc.unsqueeze(1), precisions_cholesky_).reshape({k * d});
      at::Tensor y = torch::mm(xc, P.to(wd)).sub_(mP.to(wd));
      maha = y.view({-1, k, d}).to(torch::kFloat64).pow(2).sum(-1);
      log_det = precisions_cholesky_.diagonal(0, -2, -1).log().sum(-1);
      break;
    }
    case CovarianceType::Diag: {
      at::Tensor prec = precisions_cholesky_.pow(2);  // [k, d]
      maha = ((mc * mc * prec).sum(1).unsqueeze(0) -
              2 * torch::mm(xc, (mc * prec).t().to(wd)).to(torch::kFloat64) +
              torch::mm(xc * xc, prec.t().to(wd)).to(torch::kFloat64));
      log_det = precisions_cholesky_.log().sum(1);
      break;
    }
    case CovarianceType::Spherical: {
      at::Tensor prec = precisions_cholesky_.pow(2);  // [k]
      at::Tensor x_sq = (xc * xc).sum(1).to(torch::kFloat64);
      maha = (mc * mc).sum(1).unsqueeze(0) * prec -
             2 * torch::mm(xc, mc.t().to(wd)).to(torch::kFloat64) * prec +
             x_sq.unsqueeze(1) * prec.unsqueeze(0);
      log_det = precisions_cholesky_.log() * double(d);
      break;
    }
  }
  return (maha + d * kLog2Pi).mul_(-0.5).add_(log_det).add_(weights_.log());
}

GaussianMixture::Run GaussianMixture::run_em(const at::Tensor& x_local, at::Tensor weights,
                                             at::Tensor means, at::Tensor covariances) const {
  const auto type = options_.covariance_type;
  const int64_t k = means.size(0), d = means.size(1), n_local = x_local.size(0);
  const auto f64 = x_local.options().dtype(torch::kFloat64);
  at::Tensor n_total_t = torch::tensor({double(n_local)}, torch::kFloat64);
  sum_across_ranks(comm_, n_total_t);
  const double n_total = n_total_t.item<double>();

  // The model being iterated lives in the members used by weighted_log_prob: a const_cast-free
  // way is a scratch copy of *this.
  GaussianMixture cur(options_, nullptr);
  cur.shift_ = shift_;
  cur.weights_ = weights;
  cur.means_ = means;
  cur.covariances_ = covariances;
  cur.precisions_cholesky_ = precision_cholesky(covariances, type);

  Run run;
  double lower_bound = -std::numeric_limits<double>::infinity();
  const int64_t rows = em_tile_rows(k, d);
  for (int it = 1; it <= options_.max_iter; ++it) {
    // E-step and sufficient statistics in one pass over the local points.
    at::Tensor nk = torch::zeros({k}, f64);
    at::Tensor sx = torch::zeros({k, d}, f64);
    at::Tensor sxx = type == CovarianceType::Full ? torch::zeros({k, d, d}, f64)
                                                   : torch::zeros({k, d}, f64);
    at::Tensor ll = torch::zeros({1}, f64);
    // Statistics about each component's previous mean (identical on every rank), so that
    // S = sum r (x - m)(x - m)^T / N_k - delta delta^T cancels nothing even when the components
    // lie far from each other and the products are float32.
    at::Tensor anchor = cur.means_ - shift_;  // [k, d] float64, centred coordinates
    for (int64_t s = 0; s < n_local; s += rows) {
      at::Tensor x = x_local.narrow(0, s, std::min(rows, n_local - s));
      at::Tensor wlp = cur.weighted_log_prob(x);
      at::Tensor norm = torch::logsumexp(wlp, 1, /*keepdim=*/true);
      ll += norm.sum();
      at::Tensor resp = (wlp - norm).exp_();  // float64
      // The statistics are float64 even with mixed precision: a component with fewer points
      // than dimensions has a singular scatter matrix, and float32 rounding of it would exceed
      // reg_covar and break positive definiteness.
      at::Tensor xc = x.to(torch::kFloat64) - shift_;
      at::Tensor r = resp;
      nk += resp.sum(0);
      for (int64_t c = 0; c < k; ++c) {
        // Rows whose responsibility underflowed to exactly 0 add nothing: skipping them is
        // exact, and with separated concepts it removes most of the M-step's work.
        at::Tensor rc = r.select(1, c);
        at::Tensor rows_c = rc.ne(0).nonzero().squeeze(1);
        if (rows_c.numel() == 0) continue;
        at::Tensor xs = xc, rs = rc;
        if (rows_c.numel() < xc.size(0) * 9 / 10) {
          xs = xc.index_select(0, rows_c);
          rs = rc.index_select(0, rows_c);
        }
        xs = xs - anchor[c];
        at::Tensor weighted = xs * rs.unsqueeze(1);
        sx[c] += weighted.sum(0).to(torch::kFloat64);
        if (type == CovarianceType::Full)
          sxx[c] += torch::mm(weighted.t(), xs).to(torch::kFloat64);
        else
          sxx[c] += (weighted * xs).sum(0).to(torch::kFloat64);
      }
    }
    // One reduction for everything: the statistics are summed over ranks.
    at::Tensor packed = torch::cat({nk, sx.flatten(), sxx.flatten(), ll});
    sum_across_ranks(comm_, packed);
    int64_t o = 0;
    nk = packed.narrow(0, o, k); o += k;
    sx = packed.narrow(0, o, k * d).view({k, d}); o += k * d;
    sxx = packed.narrow(0, o, sxx.numel()).view(sxx.sizes()); o += sxx.numel();
    const double mean_ll = packed[o].item<double>() / n_total;

    // M-step (scikit-learn's _estimate_gaussian_parameters, from sums instead of residuals).
    at::Tensor nk_eps = nk + 10 * kEps;
    at::Tensor delta = sx / nk_eps.unsqueeze(1);  // new mean - anchor
    at::Tensor mc = anchor + delta;                // centred means
    at::Tensor cov;
    if (type == CovarianceType::Full) {
      cov = sxx / nk_eps.view({k, 1, 1}) - delta.unsqueeze(2) * delta.unsqueeze(1);
      cov = 0.5 * (cov + cov.transpose(1, 2));
      cov.diagonal(0, 1, 2).add_(options_.reg_covar);
    } else {
      at::Tensor var = sxx / nk_eps.unsqueeze(1) - delta * delta + options_.reg_covar;
      cov = type == CovarianceType::Diag ? var : var.mean(1);
    }
    log::debug("GMM iteration ", it, ": mean log-likelihood ", mean_ll, ", smallest N_k ",
               nk.min().item<double>());
    cur.weights_ = nk_eps / nk_eps.sum();
    cur.means_ = mc + shift_;
    cur.covariances_ = cov;
    cur.precisions_cholesky_ = precision_cholesky(cov, type);

    double change = mean_ll - lower_bound;
    lower_bound = mean_ll;
    run.n_iter = it;
    if (std::abs(change) < options_.tol) {
      run.converged = true;
      break;
    }
  }
  run.weights = cur.weights_;
  run.means = cur.means_;
  run.covariances = cur.covariances_;
  run.prec_chol = cur.precisions_cholesky_;
  run.lower_bound = lower_bound;
  return run;
}

void GaussianMixture::set_parameters(const Run& run) {
  weights_ = run.weights;
  means_ = run.means;
  covariances_ = run.covariances;
  precisions_cholesky_ = run.prec_chol;
  converged_ = run.converged;
  n_iter_ = run.n_iter;
  lower_bound_ = run.lower_bound;
}

void GaussianMixture::fit_from(const at::Tensor& x_local, const at::Tensor& weights,
                               const at::Tensor& means, const at::Tensor& covariances) {
  check_points(x_local);
  set_shift(x_local);
  auto f64 = x_local.options().dtype(torch::kFloat64);
  set_parameters(run_em(x_local, weights.to(f64), means.to(f64), covariances.to(f64)));
  if (!converged_)
    log::warn("GMM did not converge in ", options_.max_iter, " iterations (tol ", options_.tol, ")");
}

void GaussianMixture::fit(const at::Tensor& x_local) {
  check_points(x_local);
  set_shift(x_local);
  const int64_t k = options_.n_components, d = x_local.size(1);
  auto f64 = x_local.options().dtype(torch::kFloat64);
  at::Tensor n_total = torch::tensor({double(x_local.size(0))}, torch::kFloat64);
  sum_across_ranks(comm_, n_total);
  Run best;
  for (int init = 0; init < options_.n_init; ++init) {
    at::Tensor centres = kmeans_plus_plus(x_local, k, derive_seed(options_.seed, 0, init), comm_);
    // scikit-learn's k-means++ initialisation: each seed point alone is responsible for its
    // component, so weights (1 + 10 eps) / N, means at the seeds, covariances reg_covar * I.
    at::Tensor w = torch::full({k}, (1.0 + 10 * kEps) / n_total.item<double>(), f64);
    at::Tensor cov;
    switch (options_.covariance_type) {
      case CovarianceType::Full:
        cov = (torch::eye(d, f64) * options_.reg_covar).expand({k, d, d}).contiguous(); break;
      case CovarianceType::Diag: cov = torch::full({k, d}, options_.reg_covar, f64); break;
      case CovarianceType::Spherical: cov = torch::full({k}, options_.reg_covar, f64); break;
    }
    Run run = run_em(x_local, w, centres.to(f64), cov);
    if (init == 0 || run.lower_bound > best.lower_bound) best = run;
  }
  set_parameters(best);
  if (!converged_)
    log::warn("GMM did not converge in ", options_.max_iter, " iterations (tol ", options_.tol,
              "); try more iterations or another seed");
}

at::Tensor GaussianMixture::score_samples(const at::Tensor& x) const {
  LOCE_CHECK(fitted(), "GMM: not fitted");
  return torch::logsumexp(weighted_log_prob(x), 1);
}

at::Tensor GaussianMixture::predict_proba(const at::Tensor& x) const {
  LOCE_CHECK(fitted(), "GMM: not fitted");
  at::Tensor wlp = weighted_log_prob(x);
  return (wlp - torch::logsumexp(wlp, 1, true)).exp();
}

at::Tensor GaussianMixture::predict(const at::Tensor& x) const {
  LOCE_CHECK(fitted(), "GMM: not fitted");
  return weighted_log_prob(x).argmax(1);
}

double GaussianMixture::score(const at::Tensor& x_local) const {
  at::Tensor s = torch::stack({score_samples(x_local).sum(),
                               torch::tensor(double(x_local.size(0)), torch::kFloat64)
                                   .to(x_local.device())});
  sum_across_ranks(comm_, s);
  return s[0].item<double>() / s[1].item<double>();
}

GaussianMixture::ScoredPrediction GaussianMixture::score_and_predict(const at::Tensor& x_local) const {
  LOCE_CHECK(fitted(), "GMM: not fitted");
  at::Tensor wlp = weighted_log_prob(x_local);
  ScoredPrediction r;
  r.labels = wlp.argmax(1);
  at::Tensor s = torch::stack({torch::logsumexp(wlp, 1).sum(),
                               torch::tensor(double(x_local.size(0)), torch::kFloat64)
                                   .to(x_local.device())});
  sum_across_ranks(comm_, s);
  r.mean_log_likelihood = s[0].item<double>() / s[1].item<double>();
  return r;
}

int64_t GaussianMixture::n_parameters() const {
  const int64_t k = options_.n_components, d = means_.defined() ? means_.size(1) : 0;
  int64_t cov = 0;
  switch (options_.covariance_type) {
    case CovarianceType::Full: cov = k * d * (d + 1) / 2; break;
    case CovarianceType::Diag: cov = k * d; break;
    case CovarianceType::Spherical: cov = k; break;
  }
  return cov + k * d + k - 1;
}

double GaussianMixture::bic(const at::Tensor& x_local) const {
  at::Tensor n = torch::tensor({double(x_local.size(0))}, torch::kFloat64);
  sum_across_ranks(comm_, n);
  double N = n.item<double>();
  return -2 * score(x_local) * N + double(n_parameters()) * std::log(N);
}

double GaussianMixture::aic(const at::Tensor& x_local) const {
  at::Tensor n = torch::tensor({double(x_local.size(0))}, torch::kFloat64);
  sum_across_ranks(comm_, n);
  return -2 * score(x_local) * n.item<double>() + 2.0 * double(n_parameters());
}

GaussianMixture select_components_by_bic(const at::Tensor& x_local, int64_t k_min, int64_t k_max,
                                         GmmOptions options, dist::Communicator* comm,
                                         std::vector<double>* bics) {
  if (k_min < 1 || k_max < k_min) bad_input("GMM: bad component range ", k_min, "..", k_max);
  std::optional<GaussianMixture> best;
  double best_bic = std::numeric_limits<double>::infinity();
  if (bics) bics->clear();
  for (int64_t k = k_min; k <= k_max; ++k) {
    options.n_components = k;
    GaussianMixture g(options, comm);
    g.fit(x_local);
    double b = g.bic(x_local);
    if (bics) bics->push_back(b);
    if (b < best_bic) {
      best_bic = b;
      best = std::move(g);
    }
  }
  return std::move(*best);
}

}  // namespace loce::analysis
