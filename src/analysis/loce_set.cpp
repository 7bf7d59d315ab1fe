#include "analysis/loce_set.h"

#include <torch/torch.h>

#include <algorithm>
#include <filesystem>
#include <map>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/hdf5.h"
#include "core/log.h"
#include "core/version.h"
#include "data/labels.h"

namespace loce::analysis {

std::string train_id_name(int64_t train_id) {
  const auto& names = data::class_names();
  if (train_id >= 0 && train_id < int64_t(names.size())) return names[train_id];
  if (train_id == -1) return kUnknownConcept;
  return cat("class", train_id);
}

int64_t train_id_of(const std::string& name) {
  try {
    return data::class_id(name);
  } catch (const InputError&) {
    return -1;
  }
}

namespace {

// A per-row column of n entries, of the analysed `rows` only.
at::Tensor read_optional(const h5::File& f, const std::string& path, int64_t n,
                         const at::Tensor& rows) {
  if (!h5::exists(f, path)) return {};
  at::Tensor t = h5::read_tensor(f, path).flatten();
  if (t.numel() != n) bad_input(f.path(), ":", path, ": ", t.numel(), " entries, expected ", n);
  return rows.numel() == n ? t : t.index_select(0, rows);
}

std::string attr_or(const h5::File& f, const std::string& name, const std::string& fallback) {
  return h5::has_attr(f, "/loce", name) ? h5::attr_string(f, "/loce", name) : fallback;
}

// Plain words for the element types a trainId column must not have.
std::string dtype_name(const at::Tensor& t) {
  if (t.scalar_type() == torch::kBool) return "bool";
  return cat(t.element_size() * 8, "-bit floating point");
}

}  // namespace

LoceSet read_loce_set(const std::string& path) {
  if (!std::filesystem::is_regular_file(path)) bad_input(path, ": LoCE file not found");
  if (std::filesystem::file_size(path) == 0) bad_input(path, ": empty file (not a LoCE file)");
  h5::File f = h5::File::open(path);
  LoceSet s;
  s.path = path;
  if (!h5::exists(f, "/loce/vectors")) bad_input(path, ": no /loce/vectors (not a LoCE file)");
  if (!h5::exists(f, "/loce/concept")) bad_input(path, ": no /loce/concept");
  s.vectors = h5::read_tensor(f, "/loce/vectors");
  if (s.vectors.dim() != 2) bad_input(path, ":/loce/vectors must be [P, C]");
  const int64_t n = s.vectors.size(0);
  if (n == 0) bad_input(path, ": /loce/vectors holds no LoCE");
  if (s.vectors.size(1) == 0) bad_input(path, ": /loce/vectors has no channels (shape [", n, ", 0])");
  s.vectors = s.vectors.to(torch::kFloat32);
  at::Tensor bad = (~torch::isfinite(s.vectors)).any(1).nonzero();
  if (bad.numel())
    bad_input(path, ":/loce/vectors row ", bad[0].item<int64_t>(), " contains NaN or Inf (",
              bad.size(0), " such rows)");
  at::Tensor train_ids = h5::read_tensor(f, "/loce/concept").flatten();
  // A float id would be truncated onto a real class (2.7 -> building) without a word.
  if (train_ids.is_floating_point() || train_ids.scalar_type() == torch::kBool)
    bad_input(path, ":/loce/concept must hold integer trainIds, not ", dtype_name(train_ids));
  train_ids = train_ids.to(torch::kInt64);
  if (train_ids.numel() != n)
    bad_input(path, ":/loce/concept has ", train_ids.numel(), " entries for ", n, " vectors");
  // The schema (loce/loce_file.h): Cityscapes trainIds, or -1 for a pair of unknown concept.
  at::Tensor out_of_range = (train_ids.lt(-1) | train_ids.ge(data::kNumClasses)).nonzero();
  if (out_of_range.numel()) {
    const int64_t row = out_of_range[0].item<int64_t>();
    bad_input(path, ":/loce/concept row ", row, " is ", train_ids[row].item<int64_t>(),
              "; concepts must be Cityscapes trainIds 0..", data::kNumClasses - 1,
              " or -1 (unknown) (", out_of_range.size(0), " such rows)");
  }
  // Rows of unknown concept are no concept the metrics could compare: they are left out, and
  // the results file records which rows of the LoCE file were analysed (LoceSet::rows).
  at::Tensor known = train_ids.ne(-1);
  s.unknown_left_out = n - known.sum().item<int64_t>();
  s.rows = known.nonzero().flatten();
  if (s.unknown_left_out > 0) {
    if (s.unknown_left_out == n)
      bad_input(path, ": all ", n, " LoCEs are of unknown concept (trainId -1); nothing to analyse");
    log::warn(path, ": ", s.unknown_left_out, " of ", n,
              " LoCEs are of unknown concept (trainId -1) and are left out of the analysis");
    s.vectors = s.vectors.index_select(0, s.rows);
    train_ids = train_ids.index_select(0, s.rows);
  }

  // Concept order: the `concepts` attribute where it names the trainIds present, then any
  // remaining trainIds in increasing order.
  std::vector<int64_t> present;
  {
    at::Tensor u = std::get<0>(torch::_unique(train_ids, /*sorted=*/true));
    for (int64_t i = 0; i < u.numel(); ++i) present.push_back(u[i].item<int64_t>());
  }
  std::vector<int64_t> order;
  if (h5::has_attr(f, "/loce", "concepts")) {
    for (const auto& name : h5::attr_strings(f, "/loce", "concepts")) {
      // A concept the file names but holds no LoCE of is left out of every metric (one GMM
      // component fewer, separability over fewer concepts than the paper's): say so. "unknown"
      // (what embed names trainId -1) is left out above, with its count.
      if (name == kUnknownConcept) continue;
      const int64_t id = train_id_of(name);
      if (id < 0)
        log::warn(path, ": concept '", name, "' in the concepts attribute is not a Cityscapes "
                  "class; left out");
      else if (!std::count(present.begin(), present.end(), id))
        log::warn(path, ": concept '", name,
                  "' is in the concepts attribute but has no LoCE; left out");
      else if (!std::count(order.begin(), order.end(), id))
        order.push_back(id);
    }
  }
  for (int64_t id : present)
    if (!std::count(order.begin(), order.end(), id)) order.push_back(id);
  // Every metric compares concepts: with one there is no inter-concept distance, and the
  // silhouette and clustering scores are degenerate.
  if (order.size() < 2)
    bad_input(path, ": only one concept (", train_id_name(order[0]),
              ") has LoCEs; the analysis needs at least 2");
  s.concept_train_ids = order;
  for (int64_t id : order) s.concept_names.push_back(train_id_name(id));
  // trainId -> concept index through a table over the (bounded, checked above) trainIds.
  at::Tensor lut = torch::full({data::kNumClasses}, -1, torch::kInt64);
  for (size_t i = 0; i < order.size(); ++i) lut[order[i]] = int64_t(i);
  s.concept_index = lut.index_select(0, train_ids);
  at::Tensor counts = torch::bincount(s.concept_index, {}, int64_t(order.size()));
  for (size_t c = 0; c < order.size(); ++c)
    if (counts[c].item<int64_t>() < 2)
      bad_input(path, ": concept '", s.concept_names[c], "' (trainId ", order[c], ") has only ",
                counts[c].item<int64_t>(), " LoCE; every concept needs at least 2");

  s.image = read_optional(f, "/loce/image", n, s.rows);
  s.iou = read_optional(f, "/loce/iou", n, s.rows);
  s.loss = read_optional(f, "/loce/loss", n, s.rows);
  s.area = read_optional(f, "/loce/area", n, s.rows);
  if (h5::exists(f, "/images/name")) s.image_names = h5::read_strings(f, "/images/name");
  s.method = attr_or(f, "method", "");
  s.layer = attr_or(f, "layer", "");
  s.source = attr_or(f, "source", "");
  s.git_revision = attr_or(f, "git_revision", "");
  return s;
}

void write_loce_set(const std::string& path, const at::Tensor& vectors, const at::Tensor& train_ids,
                    const std::vector<std::string>& concept_names, const std::string& method) {
  AtomicFile out(path);
  {
    h5::File f = h5::File::create(out.temp_path());
    const int64_t n = vectors.size(0);
    h5::write_tensor(f, "/loce/vectors", vectors.to(torch::kCPU, torch::kFloat32).contiguous());
    h5::write_tensor(f, "/loce/concept", train_ids.to(torch::kCPU, torch::kInt32).contiguous());
    h5::write_tensor(f, "/loce/image", torch::arange(n, torch::kInt32));
    h5::write_tensor(f, "/loce/iou", torch::ones({n}, torch::kFloat32));
    h5::write_tensor(f, "/loce/loss", torch::zeros({n}, torch::kFloat32));
    h5::write_tensor(f, "/loce/area", torch::full({n}, 0.1f, torch::kFloat32));
    std::vector<std::string> images;
    for (int64_t i = 0; i < n; ++i) images.push_back(cat("image_", i));
    h5::write_strings(f, "/images/name", images);
    h5::set_attr(f, "/loce", "concepts", concept_names);
    h5::set_attr(f, "/loce", "method", method);
    h5::set_attr(f, "/loce", "layer", std::string("encoder.deepest"));
    h5::set_attr(f, "/loce", "git_revision", std::string(loce::git_revision()));
    f.close();
  }
  out.commit();
}

}  // namespace loce::analysis
