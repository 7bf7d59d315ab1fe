#include "loce/from_activations.h"

#include <torch/torch.h>

#include <map>
#include <memory>
#include <set>

#include "core/error.h"
#include "core/hdf5.h"
#include "core/log.h"
#include "data/labels.h"
#include "loce/engine.h"
#include "loce/loce_file.h"

namespace loce::embedding {
namespace {

std::string attr_or(const h5::File& f, const std::string& name, const std::string& fallback) {
  return h5::has_attr(f, "/", name) ? h5::attr_string(f, "/", name) : fallback;
}

// Reads masks [count, H, W], checks their values and returns float32 [count, 1, H, W].
at::Tensor read_masks(const h5::File& f, int64_t first, int64_t count) {
  at::Tensor m = h5::read_rows(f, "/masks", first, count);
  const std::string where = f.path() + ":/masks";
  if (m.scalar_type() == torch::kBool) {
    m = m.to(torch::kFloat32);
  } else if (m.scalar_type() == torch::kByte) {
    if ((m > 1).any().item<bool>())
      bad_input(where, ": uint8 masks must hold 0 or 1 (rows ", first, "..", first + count - 1,
                " hold values up to ", m.max().item<int>(), ")");
    m = m.to(torch::kFloat32);
  } else if (m.is_floating_point()) {
    if (!torch::isfinite(m).all().item<bool>() || (m < 0).any().item<bool>() ||
        (m > 1).any().item<bool>())
      bad_input(where, ": float masks must lie in [0, 1] (rows ", first, "..", first + count - 1,
                " do not)");
    m = m.to(torch::kFloat32);
  } else {
    bad_input(where, ": masks are ", h5::numpy_name(m.scalar_type()),
              "; accepted are uint8 (0 or 1), bool, or float32/float64 in [0, 1]");
  }
  return m.unsqueeze(1);
}

at::Tensor optional_index(const h5::File& f, const std::string& path, int64_t P,
                          at::Tensor fallback) {
  if (!h5::exists(f, path)) return fallback;
  auto shape = h5::shape(f, path);
  if (shape.size() != 1 || shape[0] != P)
    bad_input(f.path(), ":", path, ": expected ", P, " values (one per pair), found shape [",
              shape.empty() ? 0 : shape[0], shape.size() > 1 ? ", ..." : "", "]");
  at::Tensor t = h5::read_tensor(f, path);
  if (t.is_floating_point())
    bad_input(f.path(), ":", path, ": must be integer, is ", h5::numpy_name(t.scalar_type()));
  return t.to(torch::kInt64);
}

// The input file, checked: what every rank reads the same way, so a problem found here is
// found by all ranks together (CollectiveInputError).
struct ExternalInput {
  std::shared_ptr<h5::File> file;
  RowSource rows;
  at::Tensor image, concept_id;  // int64 [P]
  std::vector<std::string> image_names;
};

ExternalInput open_input(const std::string& input) try {
  ExternalInput in;
  in.file = std::make_shared<h5::File>(h5::File::open(input));
  const h5::File& f = *in.file;
  for (const char* name : {"/activations", "/masks"})
    if (!h5::exists(f, name)) bad_input(input, ": dataset ", name, " not found");
  const auto a = h5::shape(f, "/activations");
  const auto m = h5::shape(f, "/masks");
  if (a.size() != 4) bad_input(input, ":/activations must be [P, C, h, w], has ", a.size(), " dims");
  if (m.size() != 3) bad_input(input, ":/masks must be [P, H, W], has ", m.size(), " dims");
  if (a[0] != m[0])
    bad_input(input, ": /activations has ", a[0], " pairs but /masks has ", m[0]);
  if (a[0] < 1 || a[1] < 1 || a[2] < 1 || a[3] < 1 || m[1] < 1 || m[2] < 1)
    bad_input(input, ": empty /activations or /masks");
  const int64_t P = a[0];

  // Ids are checked against what they index before anything narrows them to int32 (the file's
  // columns): a wrapped id would land on a real image or concept without a word.
  in.image = optional_index(f, "/image", P, torch::arange(P, torch::kInt64));
  in.concept_id = optional_index(f, "/concept", P, torch::full({P}, -1, torch::kInt64));
  const int64_t min_concept = in.concept_id.min().item<int64_t>();
  const int64_t max_concept = in.concept_id.max().item<int64_t>();
  if (min_concept < -1 || max_concept >= data::kNumClasses)
    bad_input(input, ":/concept: values must be Cityscapes trainIds (0..", data::kNumClasses - 1,
              ") or -1 (unknown); found ", min_concept, "..", max_concept);
  const bool named = h5::exists(f, "/images/name");
  if (named) in.image_names = h5::read_strings(f, "/images/name");
  // Without names, ids are bounded by the pair count, and so are the placeholder names made.
  const int64_t images = named ? int64_t(in.image_names.size()) : P;
  const int64_t min_image = in.image.min().item<int64_t>();
  const int64_t max_image = in.image.max().item<int64_t>();
  if (min_image < 0 || max_image >= images)
    bad_input(input, ":/image: values must lie in 0..", images - 1, " (",
              named ? "rows of /images/name" : "one per pair, as there is no /images/name",
              "); found ", min_image, "..", max_image);
  if (!named)
    for (int64_t i = 0; i <= max_image; ++i) in.image_names.push_back(std::to_string(i));

  RowSource& src = in.rows;
  src.rows = P;
  src.slots = 1;
  src.channels = a[1];
  src.act_h = a[2];
  src.act_w = a[3];
  src.mask_h = m[1];
  src.mask_w = m[2];
  std::shared_ptr<h5::File> file = in.file;
  src.activations = [file](int64_t first, int64_t count) {
    at::Tensor t = h5::read_rows(*file, "/activations", first, count);
    if (!t.is_floating_point())
      bad_input(file->path(), ":/activations are ", h5::numpy_name(t.scalar_type()),
                "; accepted are float32 and float64");
    return t;
  };
  src.masks = [file](int64_t first, int64_t count) { return read_masks(*file, first, count); };
  return in;
} catch (const InputError& e) {
  throw CollectiveInputError(e.what());
}

}  // namespace

FromActivationsSummary embed_from_activations(const std::string& input, const std::string& output,
                                              const OptimizerSettings& s,
                                              const c10::Device& device, dist::Communicator& comm) {
  ExternalInput in = open_input(input);
  check_output_path(output, comm, input);
  const h5::File& f = *in.file;
  const int64_t P = in.rows.rows;
  const at::Tensor& concept_id = in.concept_id;
  EmbedResult r = run_embedding(in.rows, s, device, comm);
  FromActivationsSummary summary{P, r.row.defined() ? r.row.numel() : 0};
  if (!comm.is_root()) return summary;

  LoceTable table;
  table.vectors = r.vectors;
  table.concept_id = concept_id.index_select(0, r.row);
  table.image = in.image.index_select(0, r.row);
  table.iou = r.iou;
  table.loss = r.loss;
  table.area = r.area;
  table.image_names = in.image_names;

  LoceProvenance prov;
  prov.layer = attr_or(f, "layer", "external");
  prov.source = attr_or(f, "model_run", input);
  prov.method = attr_or(f, "method", "external");
  std::set<int64_t> ids;
  auto c = concept_id.accessor<int64_t, 1>();
  for (int64_t i = 0; i < P; ++i) ids.insert(c[i]);
  for (int64_t id : ids) {
    prov.concept_ids.push_back(int(id));
    prov.concept_names.push_back(id < 0 ? "unknown" : data::class_names()[id]);
  }
  prov.pairs_considered = r.considered;
  prov.skipped = r.skipped;
  prov.pairs_iou_zero = r.iou_zero;
  write_loce_file(output, table, prov, s);
  log::info("wrote ", table.vectors.size(0), " LoCEs of ", P, " pairs to ", output);
  return summary;
}

}  // namespace loce::embedding
