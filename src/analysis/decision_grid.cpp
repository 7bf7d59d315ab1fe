#include "analysis/decision_grid.h"

#include <torch/torch.h>

#include "analysis/clustering_scores.h"
#include "analysis/gmm.h"
#include "core/error.h"

namespace loce::analysis {

DecisionGrid decision_grid(const at::Tensor& points_2d, const at::Tensor& labels,
                           int64_t n_concepts, int64_t resolution, uint64_t seed, double margin) {
  LOCE_CHECK(points_2d.dim() == 2 && points_2d.size(1) == 2, "decision grid: points must be [n, 2]");
  LOCE_CHECK(resolution >= 2, "decision grid: resolution must be >= 2");
  at::Tensor p = points_2d.to(torch::kCPU, torch::kFloat64);
  GmmOptions o;
  o.n_components = n_concepts;
  o.covariance_type = CovarianceType::Full;
  o.seed = seed;
  o.n_init = 3;
  GaussianMixture gmm(o);
  gmm.fit(p);

  DecisionGrid g;
  at::Tensor lo = std::get<0>(p.min(0)), hi = std::get<0>(p.max(0));
  at::Tensor pad = (hi - lo).clamp_min(1e-9) * margin;
  lo = lo - pad;
  hi = hi + pad;
  g.x = torch::linspace(lo[0].item<double>(), hi[0].item<double>(), resolution, torch::kFloat64);
  g.y = torch::linspace(lo[1].item<double>(), hi[1].item<double>(), resolution, torch::kFloat64);
  at::Tensor gx = g.x.unsqueeze(0).expand({resolution, resolution});
  at::Tensor gy = g.y.unsqueeze(1).expand({resolution, resolution});
  at::Tensor cells = torch::stack({gx.flatten(), gy.flatten()}, 1);
  g.component = gmm.predict(cells).view({resolution, resolution}).to(torch::kInt32);

  at::Tensor assigned = gmm.predict(p);
  at::Tensor table = contingency_table(labels.to(torch::kCPU), assigned, n_concepts, n_concepts);
  std::vector<int64_t> match = match_clusters_to_classes(table);  // concept -> component
  g.component_to_concept.assign(n_concepts, -1);
  for (int64_t c = 0; c < n_concepts; ++c)
    if (match[c] >= 0) g.component_to_concept[match[c]] = c;
  at::Tensor lut = torch::tensor(g.component_to_concept, torch::kInt64);
  g.concept_index = lut.index_select(0, g.component.flatten().to(torch::kInt64))
                        .view({resolution, resolution}).to(torch::kInt32);
  g.weights = gmm.weights();
  g.means = gmm.means();
  g.covariances = gmm.covariances();
  return g;
}

}  // namespace loce::analysis
