#include "analysis/umap.h"

#include <torch/torch.h>

#include <cmath>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

#include "analysis/pairwise_distance.h"
#include "analysis/pca.h"
#include "core/error.h"
#include "core/log.h"
#include "core/seed.h"

namespace loce::analysis {
namespace {

// Exact kNN (the point itself first, at distance 0): distances [n, k] float64, indices int64.
std::pair<at::Tensor, at::Tensor> nearest_neighbours(const at::Tensor& x, int64_t k) {
  const int64_t n = x.size(0);
  at::Tensor xc = x - x.mean(0);
  at::Tensor sq = squared_norms(xc);
  at::Tensor dist = torch::empty({n, k}, xc.options());
  at::Tensor idx = torch::empty({n, k}, xc.options().dtype(torch::kInt64));
  const int64_t rows = tile_rows(n);
  for (int64_t s = 0; s < n; s += rows) {
    const int64_t t = std::min(rows, n - s);
    at::Tensor d = squared_distances(xc.narrow(0, s, t), xc, sq.narrow(0, s, t), sq);
    at::Tensor self = torch::arange(s, s + t, idx.options());
    d.index_put_({self - s, self}, -1.0);  // the point itself sorts first
    auto [td, ti] = d.topk(k, 1, /*largest=*/false, /*sorted=*/true);
    dist.narrow(0, s, t).copy_(td.clamp_min(0).sqrt());
    idx.narrow(0, s, t).copy_(ti);
  }
  return {dist, idx};
}

// umap-learn's smooth_knn_dist (local_connectivity 1, bandwidth 1), vectorised over points.
std::pair<at::Tensor, at::Tensor> smooth_knn_dist(const at::Tensor& dist) {
  const int64_t k = dist.size(1);
  const double target = std::log2(double(k));
  const double inf = std::numeric_limits<double>::infinity();
  at::Tensor positive = dist.gt(0);
  // rho: the first positive distance (0 when all are 0).
  at::Tensor first_pos = positive.to(torch::kInt64).argmax(1, true);
  at::Tensor rho = torch::where(positive.any(1), dist.gather(1, first_pos).squeeze(1),
                                torch::zeros({dist.size(0)}, dist.options()));
  at::Tensor rest = dist.narrow(1, 1, k - 1) - rho.unsqueeze(1);
  at::Tensor lo = torch::zeros_like(rho), hi = torch::full_like(rho, inf), mid = torch::ones_like(rho);
  at::Tensor done = torch::zeros_like(rho, rho.options().dtype(torch::kBool));
  for (int it = 0; it < 64; ++it) {
    at::Tensor psum = torch::where(rest.gt(0), (-rest / mid.unsqueeze(1)).exp(),
                                   torch::ones_like(rest)).sum(1);
    done = done | (psum - target).abs().lt(1e-5);
    at::Tensor too_big = psum.gt(target) & ~done;
    at::Tensor too_small = psum.le(target) & ~done;
    hi = torch::where(too_big, mid, hi);
    lo = torch::where(too_small, mid, lo);
    at::Tensor next = torch::where(hi.isinf(), mid * 2, (lo + hi) / 2);
    mid = torch::where(done, mid, next);
  }
  // Floors from umap-learn (MIN_K_DIST_SCALE 1e-3): of the point's mean distance when rho > 0,
  // of the global mean distance otherwise.
  at::Tensor floor_local = dist.mean(1) * 1e-3;
  double floor_global = dist.mean().item<double>() * 1e-3;
  at::Tensor floor = torch::where(rho.gt(0), floor_local, torch::full_like(rho, floor_global));
  return {torch::maximum(mid, floor), rho};
}

// Leading eigenvectors 1..dim of D^-1/2 W D^-1/2 (the smallest of the normalised Laplacian,
// skipping the trivial one), dense.
at::Tensor spectral_init(const at::Tensor& rows, const at::Tensor& cols, const at::Tensor& w,
                         int64_t n, int64_t dim) {
  at::Tensor W = torch::zeros({n, n}, w.options());
  W.index_put_({rows, cols}, w);
  at::Tensor deg = W.sum(1).clamp_min(1e-12).rsqrt();
  at::Tensor M = deg.unsqueeze(1) * W * deg.unsqueeze(0);
  auto [evals, evecs] = torch::linalg_eigh(M);  // ascending: the largest are last
  return evecs.narrow(1, n - 1 - dim, dim).flip({1});
}

// Number of connected components of the undirected graph on n vertices with edges
// (head[e], tail[e]): union-find with path halving, on the CPU (the graph is small when the
// spectral initialisation, its one user, runs).
int64_t connected_components(const at::Tensor& head, const at::Tensor& tail, int64_t n) {
  at::Tensor h = head.to(torch::kCPU, torch::kInt64).contiguous();
  at::Tensor t = tail.to(torch::kCPU, torch::kInt64).contiguous();
  const int64_t* hp = h.data_ptr<int64_t>();
  const int64_t* tp = t.data_ptr<int64_t>();
  std::vector<int64_t> parent(n);
  std::iota(parent.begin(), parent.end(), int64_t(0));
  auto root = [&](int64_t v) {
    while (parent[v] != v) v = parent[v] = parent[parent[v]];
    return v;
  };
  int64_t components = n;
  for (int64_t e = 0; e < h.numel(); ++e) {
    const int64_t a = root(hp[e]), b = root(tp[e]);
    if (a != b) {
      parent[a] = b;
      --components;
    }
  }
  return components;
}

// Least-squares fit of 1 / (1 + a x^(2b)) to the target curve by Levenberg-Marquardt.
std::pair<double, double> fit_ab(double min_dist, double spread) {
  const int m = 300;
  std::vector<double> xs(m), ys(m);
  for (int i = 0; i < m; ++i) {
    xs[i] = spread * 3.0 * i / (m - 1);
    ys[i] = xs[i] < min_dist ? 1.0 : std::exp(-(xs[i] - min_dist) / spread);
  }
  auto residuals = [&](double a, double b, double* jac_aa, double* jac_ab, double* jac_bb,
                       double* g_a, double* g_b) {
    double sse = 0;
    *jac_aa = *jac_ab = *jac_bb = *g_a = *g_b = 0;
    for (int i = 0; i < m; ++i) {
      double x = xs[i];
      double p = x > 0 ? std::pow(x, 2 * b) : 0.0;
      double f = 1.0 / (1.0 + a * p);
      double r = f - ys[i];
      double dfa = -p * f * f;
      double dfb = x > 0 ? -a * p * 2 * std::log(x) * f * f : 0.0;
      sse += r * r;
      *jac_aa += dfa * dfa; *jac_ab += dfa * dfb; *jac_bb += dfb * dfb;
      *g_a += dfa * r; *g_b += dfb * r;
    }
    return sse;
  };
  double a = 1, b = 1, lambda = 1e-3, jaa, jab, jbb, ga, gb;
  double sse = residuals(a, b, &jaa, &jab, &jbb, &ga, &gb);
  for (int it = 0; it < 500; ++it) {
    double A = jaa * (1 + lambda), B = jab, D = jbb * (1 + lambda);
    double det = A * D - B * B;
    if (det == 0) break;
    double da = -(D * ga - B * gb) / det, db = -(-B * ga + A * gb) / det;
    double t1, t2, t3, t4, t5;
    double trial = residuals(a + da, b + db, &t1, &t2, &t3, &t4, &t5);
    if (trial < sse) {
      a += da; b += db;
      bool small = std::abs(sse - trial) < 1e-15 * std::max(1.0, sse);
      sse = residuals(a, b, &jaa, &jab, &jbb, &ga, &gb);
      lambda *= 0.3;
      if (small) break;
    } else {
      lambda *= 10;
      if (lambda > 1e12) break;
    }
  }
  return {a, b};
}

}  // namespace

std::pair<double, double> umap_curve_parameters(double min_dist, double spread) {
  return fit_ab(min_dist, spread);
}

void check_umap_options(const UmapOptions& o) {
  if (o.n_components < 1) bad_input("UMAP: n_components must be at least 1, got ", o.n_components);
  if (o.n_neighbors < 2) bad_input("UMAP: n_neighbors must be at least 2, got ", o.n_neighbors);
  if (!(o.spread > 0) || !std::isfinite(o.spread))
    bad_input("UMAP: spread must be a finite number > 0, got ", o.spread);
  if (!(o.min_dist >= 0 && o.min_dist <= o.spread))
    bad_input("UMAP: min_dist must lie in [0, spread = ", o.spread, "], got ", o.min_dist);
  if (o.n_epochs < 0) bad_input("UMAP: n_epochs must be >= 0 (0: the default), got ", o.n_epochs);
  if (!(o.learning_rate > 0) || !std::isfinite(o.learning_rate))
    bad_input("UMAP: learning_rate must be a finite number > 0, got ", o.learning_rate);
  if (o.negative_sample_rate < 0)
    bad_input("UMAP: negative_sample_rate must be >= 0, got ", o.negative_sample_rate);
  if (!(o.repulsion_strength >= 0) || !std::isfinite(o.repulsion_strength))
    bad_input("UMAP: repulsion_strength must be a finite number >= 0, got ", o.repulsion_strength);
  if (o.init != "spectral" && o.init != "pca")
    bad_input("UMAP: init '", o.init, "' is not spectral or pca");
}

at::Tensor umap_embed(const at::Tensor& x_in, const UmapOptions& o) {
  LOCE_CHECK(x_in.dim() == 2, "UMAP: points must be [n, d]");
  check_umap_options(o);
  const int64_t n = x_in.size(0), dim = o.n_components;
  if (n < 3) bad_input("UMAP: needs at least 3 points, got ", n);
  if (!torch::isfinite(x_in).all().item<bool>()) bad_input("UMAP: points contain NaN or Inf");
  const int64_t k = std::min(o.n_neighbors, n);  // neighbours including the point itself
  at::Tensor x = x_in.to(torch::kFloat64);
  const auto dev = x.device();
  at::Generator gen = make_generator(o.seed, 0, 0x0ea9);

  // 1-2. kNN graph and its fuzzy simplicial set.
  auto [knn_d, knn_i] = nearest_neighbours(x, k);
  auto [sigma, rho] = smooth_knn_dist(knn_d);
  at::Tensor w = torch::where((knn_d - rho.unsqueeze(1)).gt(0),
                              (-(knn_d - rho.unsqueeze(1)) / sigma.unsqueeze(1)).exp(),
                              torch::ones_like(knn_d));
  at::Tensor rows = torch::arange(n, knn_i.options()).unsqueeze(1).expand({n, k}).flatten();
  at::Tensor cols = knn_i.flatten();
  w = w.flatten();
  at::Tensor keep = rows.ne(cols);
  rows = rows.masked_select(keep); cols = cols.masked_select(keep); w = w.masked_select(keep);
  // Fuzzy union of (i, j) and (j, i): 1 - (1 - a)(1 - b), as a sum of log(1 - w) per pair.
  at::Tensor keys = torch::cat({rows * n + cols, cols * n + rows});
  at::Tensor log_not = torch::cat({w, w}).neg().log1p();
  auto [uniq, inverse] = torch::_unique(keys, /*sorted=*/true, /*return_inverse=*/true);
  at::Tensor acc = torch::zeros({uniq.size(0)}, w.options()).index_add_(0, inverse, log_not);
  at::Tensor weight = 1 - acc.exp();
  at::Tensor head = torch::div(uniq, n, "floor"), tail = uniq.remainder(n);

  // 3-4. Curve, epochs, initial layout.
  auto [a, b] = fit_ab(o.min_dist, o.spread);
  const int64_t n_epochs = o.n_epochs > 0 ? o.n_epochs : (n <= 10000 ? 500 : 200);
  at::Tensor strong = weight.ge(weight.max() / double(n_epochs));
  head = head.masked_select(strong); tail = tail.masked_select(strong);
  weight = weight.masked_select(strong);
  at::Tensor emb;
  std::string no_spectral;  // why a spectral initialisation asked for is not used
  if (o.init == "spectral") {
    if (n > o.spectral_max_points) {
      no_spectral = "above the limit of the dense spectral initialisation";
    } else if (n <= dim + 1) {
      no_spectral = "too few for a spectral initialisation";
    } else if (int64_t parts = connected_components(head, tail, n); parts > 1) {
      // On a disconnected graph (well separated concepts) the eigenvalue 1 of D^-1/2 W D^-1/2
      // repeats once per component; the eigenvectors kept are then an arbitrary basis of that
      // space, constant on each component, so whole components start on one point. umap-learn
      // lays the components out separately (multi_component_layout); PCA is our simpler way out.
      no_spectral = cat("a kNN graph with ", parts, " connected components");
    }
  }
  if (o.init == "spectral" && no_spectral.empty()) {
    emb = spectral_init(head, tail, weight, n, dim);
  } else {  // pca (check_umap_options let nothing else through)
    if (o.init == "spectral")
      log::info("UMAP: ", n, " points, ", no_spectral, ": PCA initialisation instead");
    emb = fit_pca(x, std::min<int64_t>(dim, x.size(1))).transform(x);
  }
  // umap-learn: scale to max |coord| 10, add noise 1e-4, then to [0, 10] per axis.
  emb = emb * (10.0 / emb.abs().max().clamp_min(1e-12));
  emb = emb + torch::randn(emb.sizes(), gen, torch::TensorOptions().dtype(torch::kFloat64)).to(dev) * 1e-4;
  at::Tensor mn = std::get<0>(emb.min(0)), mx = std::get<0>(emb.max(0));
  emb = (10.0 * (emb - mn) / (mx - mn).clamp_min(1e-12)).to(torch::kFloat32);

  // 5. SGD with negative sampling.
  at::Tensor eps = (double(n_epochs) * weight / weight.max());     // samples per edge over the run
  at::Tensor epochs_per_sample = (double(n_epochs) / eps).to(torch::kFloat64);
  at::Tensor epochs_per_negative = epochs_per_sample / double(o.negative_sample_rate);
  at::Tensor next_sample = epochs_per_sample.clone();
  at::Tensor next_negative = epochs_per_negative.clone();
  const float fa = float(a), fb = float(b), gamma = float(o.repulsion_strength);
  for (int64_t epoch = 0; epoch < n_epochs; ++epoch) {
    const float alpha = float(o.learning_rate * (1.0 - double(epoch) / double(n_epochs)));
    at::Tensor active = next_sample.le(double(epoch)).nonzero().squeeze(1);
    if (active.numel() == 0) continue;
    at::Tensor h = head.index_select(0, active), t = tail.index_select(0, active);
    at::Tensor diff = emb.index_select(0, h) - emb.index_select(0, t);
    at::Tensor d2 = diff.pow(2).sum(1, true);
    at::Tensor coeff = torch::where(d2.gt(0), -2 * fa * fb * d2.pow(fb - 1) / (fa * d2.pow(fb) + 1),
                                    torch::zeros_like(d2));
    at::Tensor grad = (coeff * diff).clamp(-4, 4) * alpha;
    at::Tensor update = torch::zeros_like(emb);
    update.index_add_(0, h, grad);
    update.index_add_(0, t, -grad);
    next_sample.index_add_(0, active, epochs_per_sample.index_select(0, active));

    // Negative samples: as many per edge as are due since its last ones.
    at::Tensor n_neg = ((double(epoch) - next_negative.index_select(0, active)) /
                        epochs_per_negative.index_select(0, active)).floor().clamp_min(0).to(torch::kInt64);
    next_negative.index_add_(0, active, n_neg.to(torch::kFloat64) * epochs_per_negative.index_select(0, active));
    int64_t total = n_neg.sum().item<int64_t>();
    if (total > 0) {
      at::Tensor nh = h.repeat_interleave(n_neg);
      at::Tensor nt = torch::randint(n, {total}, gen, torch::TensorOptions().dtype(torch::kInt64)).to(dev);
      at::Tensor nd = emb.index_select(0, nh) - emb.index_select(0, nt);
      at::Tensor nd2 = nd.pow(2).sum(1, true);
      at::Tensor rep = 2 * gamma * fb / ((0.001f + nd2) * (fa * nd2.pow(fb) + 1));
      // A zero distance to a different point pushes by the clip value; to itself not at all.
      at::Tensor g = torch::where(nd2.gt(0), (rep * nd).clamp(-4, 4),
                                  torch::full_like(nd, 4.0f));
      g = g * nh.ne(nt).unsqueeze(1).to(g.dtype()) * alpha;
      update.index_add_(0, nh, g);
    }
    emb += update;
  }
  return emb;
}

}  // namespace loce::analysis
