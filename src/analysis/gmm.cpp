#include "analysis/gmm.h"

#include <torch/torch.h>

#include <cmath>
#include <limits>
#include <optional>
#include <utility>
#include <vector>

#include "analysis/collectives.h"
#include "analysis/kmeans.h"
#include "analysis/kmeans_plus_plus.h"
#include "core/error.h"
#include "core/log.h"
#include "core/matmul.h"
#include "core/seed.h"
#include "core/timer.h"

namespace loce::analysis {

namespace {
constexpr double kEps = std::numeric_limits<double>::epsilon();
const double kLog2Pi = std::log(2.0 * M_PI);
constexpr int64_t kColumnBlock = 128;

// Rows per tile so that a [rows, k * d] block of Mahalanobis terms stays near 64 MB.
int64_t em_tile_rows(int64_t k, int64_t d) {
  return std::max<int64_t>(256, (int64_t(64) << 20) / (8 * std::max<int64_t>(1, k * d)));
}

// Rows per tile of the M-step's statistics: a [rows, d] float64 block near 256 MB, so that
// each component's scatter is a few large GEMMs rather than many thin ones.
int64_t m_step_tile_rows(int64_t d) {
  return std::max<int64_t>(256, (int64_t(256) << 20) / (8 * std::max<int64_t>(1, d)));
}

// Column blocks [begin, end) of width kColumnBlock covering 0..d.
std::vector<std::pair<int64_t, int64_t>> column_blocks(int64_t d) {
  std::vector<std::pair<int64_t, int64_t>> b;
  for (int64_t s = 0; s < d; s += kColumnBlock) b.emplace_back(s, std::min(d, s + kColumnBlock));
  return b;
}

// out [d, d] += the upper triangle, by column blocks, of a^T b (a, b [n, d]): for a block
// [s, e) only rows [0, e) of the product. The rest of `out` is not touched.
void add_upper_gram(at::Tensor out, const at::Tensor& a, const at::Tensor& b) {
  for (auto [s, e] : column_blocks(a.size(1)))
    out.narrow(0, 0, e).narrow(1, s, e - s).addmm_(a.narrow(1, 0, e).t(), b.narrow(1, s, e - s));
}

// The full symmetric matrices [k, d, d] from their upper triangles.
at::Tensor mirror_upper(const at::Tensor& upper) {
  return upper.triu() + upper.triu(1).transpose(-2, -1);
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

// Sums over one rank's points, per component, about the component's anchor a:
// N_k = sum r, sx = sum r (x - a), sxx = sum r (x - a)(x - a)^T (full: upper triangle only;
// diag and spherical: the diagonal). All float64.
struct Moments {
  at::Tensor nk, sx, sxx;
};

// Adds points xc [t, d] (float64, centred) with responsibilities resp [t, k] to m.
void accumulate(Moments& m, const at::Tensor& xc, const at::Tensor& resp, const at::Tensor& anchor,
                CovarianceType type) {
  m.nk += resp.sum(0);
  for (int64_t c = 0; c < resp.size(1); ++c) {
    // Rows whose responsibility underflowed to 0 (or to a subnormal, below 2.2e-308) add
    // nothing at float64 precision: skipping them removes most of the M-step's work with
    // separated concepts, and keeps subnormal operands (slow in BLAS) out of the products.
    at::Tensor rc = resp.select(1, c);
    at::Tensor rows = rc.ge(std::numeric_limits<double>::min()).nonzero().squeeze(1);
    if (rows.numel() == 0) continue;
    at::Tensor xs = xc, rs = rc;
    if (rows.numel() < xc.size(0) * 9 / 10) {
      xs = xc.index_select(0, rows);
      rs = rc.index_select(0, rows);
    }
    xs = xs - anchor[c];
    at::Tensor weighted = xs * rs.unsqueeze(1);
    m.sx[c] += weighted.sum(0);
    if (type == CovarianceType::Full)
      add_upper_gram(m.sxx[c], weighted, xs);
    else
      m.sxx[c] += (weighted * xs).sum(0);
  }
}

// The moments of one rank's points x_local [n, d] (centred on `shift` in float64, in tiles of
// m_step_tile_rows) with responsibilities resp [n, k] about `anchor` [k, d] (centred).
Moments local_moments(const at::Tensor& x_local, const at::Tensor& shift, const at::Tensor& resp,
                      const at::Tensor& anchor, CovarianceType type) {
  const int64_t n = x_local.size(0), k = resp.size(1), d = x_local.size(1);
  const auto f64 = x_local.options().dtype(torch::kFloat64);
  Moments m{torch::zeros({k}, f64), torch::zeros({k, d}, f64),
            type == CovarianceType::Full ? torch::zeros({k, d, d}, f64) : torch::zeros({k, d}, f64)};
  const int64_t rows = m_step_tile_rows(d);
  for (int64_t s = 0; s < n; s += rows) {
    const int64_t t = std::min(rows, n - s);
    accumulate(m, x_local.narrow(0, s, t).to(torch::kFloat64) - shift, resp.narrow(0, s, t),
               anchor, type);
  }
  return m;
}

// Sums the moments (and `extra`, e.g. the log-likelihood) over ranks in one reduction.
void sum_moments_across_ranks(dist::Communicator* comm, Moments& m, at::Tensor& extra) {
  at::Tensor packed = torch::cat({m.nk, m.sx.flatten(), m.sxx.flatten(), extra});
  sum_across_ranks(comm, packed);
  int64_t o = 0;
  auto take = [&](at::Tensor& t) {
    t = packed.narrow(0, o, t.numel()).view(t.sizes());
    o += t.numel();
  };
  take(m.nk);
  take(m.sx);
  take(m.sxx);
  take(extra);
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

GmmInit parse_gmm_init(const std::string& name) {
  if (name == "kmeans") return GmmInit::KMeans;
  if (name == "k-means++") return GmmInit::KMeansPlusPlus;
  bad_input("GMM initialisation '", name, "' is not one of kmeans, k-means++");
}

std::string to_string(GmmInit init) {
  return init == GmmInit::KMeans ? "kmeans" : "k-means++";
}

struct GaussianMixture::Parameters {
  at::Tensor weights, means, covariances;  // float64, means in the points' coordinates
};

struct GaussianMixture::Run {
  at::Tensor weights, means, covariances, prec_chol;
  double lower_bound = -std::numeric_limits<double>::infinity();
  int n_iter = 0;
  bool converged = false;
};

namespace {
// scikit-learn's _estimate_gaussian_parameters from summed moments about `anchor` (centred
// coordinates): S = sxx / N_k - delta delta^T with delta = mean - anchor, which cancels nothing
// when the anchor is near the mean.
void m_step(const Moments& m, const at::Tensor& anchor, double reg_covar, CovarianceType type,
            at::Tensor& weights, at::Tensor& centred_means, at::Tensor& cov) {
  const int64_t k = m.nk.size(0);
  at::Tensor nk_eps = m.nk + 10 * kEps;
  at::Tensor delta = m.sx / nk_eps.unsqueeze(1);
  centred_means = anchor + delta;
  if (type == CovarianceType::Full) {
    cov = mirror_upper(m.sxx) / nk_eps.view({k, 1, 1}) - delta.unsqueeze(2) * delta.unsqueeze(1);
    cov.diagonal(0, 1, 2).add_(reg_covar);
  } else {
    at::Tensor var = m.sxx / nk_eps.unsqueeze(1) - delta * delta + reg_covar;
    cov = type == CovarianceType::Diag ? var : var.mean(1);
  }
  weights = nk_eps / nk_eps.sum();
}
}  // namespace

GaussianMixture::GaussianMixture(GmmOptions options, dist::Communicator* comm)
    : options_(options), comm_(comm) {
  if (options_.n_components < 1) bad_input("GMM: n_components must be >= 1");
  if (options_.n_init < 1) bad_input("GMM: n_init must be >= 1");
  if (options_.max_iter < 1) bad_input("GMM: max_iter must be >= 1");
  if (!(options_.tol >= 0) || !std::isfinite(options_.tol))
    bad_input("GMM: tol must be a finite number >= 0, got ", options_.tol);
  if (!(options_.reg_covar >= 0) || !std::isfinite(options_.reg_covar))
    bad_input("GMM: reg_covar must be a finite number >= 0, got ", options_.reg_covar);
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

at::Tensor GaussianMixture::mahalanobis_full(const at::Tensor& xc, const at::Tensor& log_norm) const {
  // y = (x - mu) P for all components at once, P stacked as [d, k*d], in column blocks: block
  // [s, e) of every component needs only rows [0, e) of P (upper triangular).
  const auto wd = xc.scalar_type();
  const int64_t k = means_.size(0), d = means_.size(1), n = xc.size(0);
  at::Tensor mc = means_ - shift_;
  at::Tensor mP = torch::bmm(mc.unsqueeze(1), precisions_cholesky_).squeeze(1);  // [k, d]
  struct Block {
    int64_t end, width;
    at::Tensor Pt, mP;  // [k*width, end], [k*width]
  };
  std::vector<Block> blocks;
  for (auto [s, e] : column_blocks(d)) {
    // Stored transposed, [k*w, e], for matmul_nt.
    at::Tensor P = precisions_cholesky_.narrow(1, 0, e).narrow(2, s, e - s);  // [k, e, w]
    blocks.push_back({e, e - s, P.permute({0, 2, 1}).reshape({k * (e - s), e}).to(wd).contiguous(),
                      mP.narrow(1, s, e - s).reshape({k * (e - s)}).to(wd)});
  }
  // Block b of the points x for components [j0, j0 + count): [t, count] squared norms.
  auto block_terms = [&](const at::Tensor& x, const Block& b, int64_t j0, int64_t count) {
    const int64_t w = b.width;
    at::Tensor y = matmul_nt(x.narrow(1, 0, b.end), b.Pt.narrow(0, j0 * w, count * w))
                       .sub_(b.mP.narrow(0, j0 * w, count * w));
    return y.square_().view({x.size(0), count, w}).sum(-1, false, torch::kFloat64);
  };
  // The blocks add non-negative terms, so a partial sum bounds the log-probability from above.
  // A component whose bound lies kNegligible below the row's best complete log-probability has
  // responsibility exp(-kNegligible) = 0 in float64 (exp underflows below -745.2) and adds
  // exactly 0 to the row's log-sum-exp, so its remaining blocks are skipped: the E-step's
  // responsibilities, log-likelihood and predictions are those of the complete sums, at a
  // fraction of the work when concepts are apart. Such an entry keeps its partial sum. The
  // gathers this takes suit the CPU; other devices compute every block.
  constexpr double kNegligible = 800;
  const bool prune = options_.skip_negligible && xc.is_cpu() && k > 1 && blocks.size() > 1;
  at::Tensor maha = torch::zeros({n, k}, xc.options().dtype(torch::kFloat64));
  // Pruning keeps one block of terms at a time: [rows, k * kColumnBlock] instead of [rows, k * d].
  const int64_t rows = em_tile_rows(k, prune ? kColumnBlock : d);
  for (int64_t r = 0; r < n; r += rows) {
    const int64_t t = std::min(rows, n - r);
    at::Tensor x = xc.narrow(0, r, t);
    at::Tensor acc = maha.narrow(0, r, t);
    if (!prune) {
      for (const Block& b : blocks) acc += block_terms(x, b, 0, k);
      continue;
    }
    // The first block, cheap (its rows of P are few), for every component: the component it
    // favours is each row's guess at the best, which is completed first.
    acc += block_terms(x, blocks[0], 0, k);
    at::Tensor guess = (acc * -0.5 + log_norm).argmax(1);
    for (int64_t j = 0; j < k; ++j) {
      at::Tensor mine = guess.eq(j).nonzero().squeeze(1);
      if (mine.numel() == 0) continue;
      at::Tensor xj = x.index_select(0, mine);
      at::Tensor sum = torch::zeros({mine.size(0)}, acc.options());
      for (size_t b = 1; b < blocks.size(); ++b) sum += block_terms(xj, blocks[b], j, 1).squeeze(1);
      acc.select(1, j).index_add_(0, mine, sum);
    }
    const at::Tensor floor =
        acc.gather(1, guess.unsqueeze(1)).squeeze(1) * -0.5 + log_norm.index_select(0, guess) -
        kNegligible;
    // The other components, block by block, while a row's bound stays above the floor.
    for (int64_t j = 0; j < k; ++j) {
      at::Tensor live = guess.ne(j).nonzero().squeeze(1);
      for (size_t b = 1; b < blocks.size() && live.numel() > 0; ++b) {
        at::Tensor mj = acc.select(1, j);
        mj.index_add_(0, live, block_terms(x.index_select(0, live), blocks[b], j, 1).squeeze(1));
        const at::Tensor bound = mj.index_select(0, live) * -0.5 + log_norm[j];
        live = live.masked_select(bound.ge(floor.index_select(0, live)));
      }
    }
  }
  return maha;
}

at::Tensor GaussianMixture::weighted_log_prob(const at::Tensor& x) const {
  const auto wd = options_.mixed_precision ? torch::kFloat32 : torch::kFloat64;
  const int64_t d = means_.size(1);
  at::Tensor xc = (x.to(torch::kFloat64) - shift_).to(wd);
  at::Tensor mc = means_ - shift_;
  at::Tensor maha;     // [n, k] squared Mahalanobis distances, float64
  at::Tensor log_det;  // [k] log det P
  switch (options_.covariance_type) {
    case CovarianceType::Full: {
      log_det = precisions_cholesky_.diagonal(0, -2, -1).log().sum(-1);
      maha = mahalanobis_full(xc, log_det + weights_.log() - 0.5 * d * kLog2Pi);
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

GaussianMixture::Parameters GaussianMixture::parameters_from_labels(
    const at::Tensor& x_local, const at::Tensor& labels_local) const {
  const auto type = options_.covariance_type;
  const int64_t k = options_.n_components, d = x_local.size(1), n = x_local.size(0);
  const auto f64 = x_local.options().dtype(torch::kFloat64);
  LOCE_CHECK(labels_local.dim() == 1 && labels_local.size(0) == n,
             "GMM: need one label per local point");
  at::Tensor labels = labels_local.to(x_local.device(), torch::kInt64);
  if (n > 0 && (labels.min().item<int64_t>() < 0 || labels.max().item<int64_t>() >= k))
    bad_input("GMM: initial labels must lie in [0, ", k, ")");
  // Two passes, as the responsibilities are one-hot: the means first (about them nothing
  // cancels), then the scatter about them.
  at::Tensor sums = torch::zeros({k, d + 1}, f64);
  sums.narrow(1, 0, d).index_add_(0, labels, x_local.to(torch::kFloat64) - shift_);
  sums.select(1, d).index_add_(0, labels, torch::ones({n}, f64));
  sum_across_ranks(comm_, sums);
  at::Tensor anchor = sums.narrow(1, 0, d) / sums.select(1, d).clamp_min(1).unsqueeze(1);
  Moments m = local_moments(x_local, shift_, torch::one_hot(labels, k).to(torch::kFloat64),
                            anchor, type);
  at::Tensor none = torch::zeros({0}, f64);
  sum_moments_across_ranks(comm_, m, none);
  Parameters p;
  at::Tensor mc;
  m_step(m, anchor, options_.reg_covar, type, p.weights, mc, p.covariances);
  p.means = mc + shift_;
  return p;
}

GaussianMixture::Run GaussianMixture::run_em(const at::Tensor& x_local, at::Tensor weights,
                                             at::Tensor means, at::Tensor covariances) const {
  const auto type = options_.covariance_type;
  const int64_t n_local = x_local.size(0);
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
  for (int it = 1; it <= options_.max_iter; ++it) {
    // E-step, then the sufficient statistics about each component's previous mean (identical
    // on every rank), so that nothing cancels even when the components lie far apart.
    Timer timer;
    at::Tensor wlp = cur.weighted_log_prob(x_local);
    at::Tensor norm = torch::logsumexp(wlp, 1, /*keepdim=*/true);
    at::Tensor ll = norm.sum().reshape({1});
    at::Tensor resp = (wlp - norm).exp_();  // float64
    at::Tensor anchor = cur.means_ - shift_;
    const double e_seconds = timer.seconds();
    // The statistics are float64 even with mixed precision: a component with fewer points
    // than dimensions has a singular scatter matrix, and float32 rounding of it would exceed
    // reg_covar and break positive definiteness.
    Moments m = local_moments(x_local, shift_, resp, anchor, type);
    sum_moments_across_ranks(comm_, m, ll);  // one reduction for everything
    const double mean_ll = ll.item<double>() / n_total;

    at::Tensor mc, cov;
    m_step(m, anchor, options_.reg_covar, type, cur.weights_, mc, cov);
    log::debug("GMM iteration ", it, ": mean log-likelihood ", mean_ll, ", smallest N_k ",
               m.nk.min().item<double>(), " (E-step ", e_seconds, " s, M-step ",
               timer.seconds() - e_seconds, " s)");
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

void GaussianMixture::fit_from_labels(const at::Tensor& x_local, const at::Tensor& labels_local) {
  check_points(x_local);
  set_shift(x_local);
  Parameters p = parameters_from_labels(x_local, labels_local);
  set_parameters(run_em(x_local, p.weights, p.means, p.covariances));
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
    Timer timer;
    at::Tensor seeds = kmeans_plus_plus(x_local, k, derive_seed(options_.seed, 0, init), comm_);
    const double seed_seconds = timer.seconds();
    Parameters p;
    if (options_.init == GmmInit::KMeans) {
      KMeansOptions ko;
      ko.mixed_precision = options_.mixed_precision;
      KMeansResult km = kmeans(x_local, seeds, ko, comm_);
      const double k_seconds = timer.seconds() - seed_seconds;
      p = parameters_from_labels(x_local, km.labels);
      log::debug("GMM init: k-means++ ", seed_seconds, " s, ", km.n_iter, " k-means iterations ",
                 k_seconds, " s, parameters from its labels ",
                 timer.seconds() - seed_seconds - k_seconds, " s");
    } else {
      // scikit-learn's k-means++ initialisation: each seed point alone is responsible for its
      // component, so weights (1 + 10 eps) / N, means at the seeds, covariances reg_covar * I.
      p.weights = torch::full({k}, (1.0 + 10 * kEps) / n_total.item<double>(), f64);
      p.means = seeds.to(f64);
      switch (options_.covariance_type) {
        case CovarianceType::Full:
          p.covariances = (torch::eye(d, f64) * options_.reg_covar).expand({k, d, d}).contiguous();
          break;
        case CovarianceType::Diag: p.covariances = torch::full({k, d}, options_.reg_covar, f64); break;
        case CovarianceType::Spherical: p.covariances = torch::full({k}, options_.reg_covar, f64); break;
      }
    }
    Run run = run_em(x_local, p.weights, p.means, p.covariances);
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
