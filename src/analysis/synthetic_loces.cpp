#include "analysis/synthetic_loces.h"

#include <torch/torch.h>

#include "core/error.h"
#include "core/seed.h"

namespace loce::analysis {

SyntheticLoces make_synthetic_loces(int64_t n, int64_t dim, int64_t n_concepts, uint64_t seed,
                                    double separation) {
  if (n_concepts < 1 || n_concepts > 19) bad_input("synthetic LoCEs: 1..19 concepts");
  if (n < 2 * n_concepts) bad_input("synthetic LoCEs: need at least 2 points per concept");
  static const std::vector<std::pair<std::string, int>> paper = {
      {"road", 0}, {"building", 2}, {"vegetation", 8}, {"car", 13}, {"person", 11}};
  at::Generator gen = make_generator(seed, 0, 0x5171);
  auto f32 = torch::TensorOptions().dtype(torch::kFloat32);
  SyntheticLoces s;
  std::vector<int> ids;
  for (int64_t c = 0; c < n_concepts; ++c) {
    if (c < 5) { s.concept_names.push_back(paper[c].first); ids.push_back(paper[c].second); }
    else { s.concept_names.push_back("class" + std::to_string(c)); ids.push_back(int(c) + 1); }
  }
  const int64_t rank = std::min<int64_t>(8, dim);
  std::vector<at::Tensor> xs, ys;
  for (int64_t c = 0; c < n_concepts; ++c) {
    const int64_t nc = n / n_concepts + (c < n % n_concepts ? 1 : 0);
    // Centre distances ~ 3 * separation * sqrt(2) * spread; spreads 0.1..0.2 per coordinate.
    double spread = 0.1 + 0.1 * double(c) / double(std::max<int64_t>(1, n_concepts - 1));
    at::Tensor centre = torch::randn({dim}, gen, f32) * float(3.0 * separation * spread);
    at::Tensor basis = torch::randn({rank, dim}, gen, f32) * float(spread * 2.0);
    at::Tensor x = centre + torch::randn({nc, dim}, gen, f32) * float(spread) +
                   torch::mm(torch::randn({nc, rank}, gen, f32), basis);
    xs.push_back(x);
    ys.push_back(torch::full({nc}, ids[c], torch::kInt32));
  }
  // Interleave concepts so that any contiguous shard holds all of them.
  at::Tensor perm = torch::randperm(n, gen, torch::TensorOptions().dtype(torch::kInt64));
  s.vectors = torch::cat(xs).index_select(0, perm).contiguous();
  s.train_ids = torch::cat(ys).index_select(0, perm).contiguous();
  return s;
}

}  // namespace loce::analysis
