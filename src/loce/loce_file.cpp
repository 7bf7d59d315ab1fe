#include "loce/loce_file.h"

#include <torch/torch.h>

#include <filesystem>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/hdf5.h"
#include "core/log.h"
#include "core/version.h"
#include "dist/on_root.h"

namespace loce::embedding {

void check_output_path(const std::string& path, dist::Communicator& comm, const std::string& input,
                       const std::string& what) {
  dist::on_root_collectively(comm, [&] {
    try {
      // Before the generic checks: a link to the input is "the input", not just "a link".
      std::error_code ec;
      if (!path.empty() && !input.empty() && std::filesystem::equivalent(path, input, ec))
        bad_input("--out ", path, " is the input file ", input);
      check_output_file(path, "--out");
    } catch (const InputError& e) {
      bad_input(what, ": ", e.what());
    }
  });
}

void write_loce_file(const std::string& path, const LoceTable& t, const LoceProvenance& p,
                     const OptimizerSettings& s) {
  const int64_t P = t.vectors.size(0);
  LOCE_CHECK(t.vectors.dim() == 2 && t.concept_id.numel() == P && t.image.numel() == P &&
                 t.iou.numel() == P && t.loss.numel() == P && t.area.numel() == P,
             "write_loce_file ", path, ": columns of different lengths");
  LOCE_CHECK(p.concept_ids.size() == p.concept_names.size(),
             "write_loce_file ", path, ": concept ids and names differ in number");
  AtomicFile out(path);  // makes the folder
  {
    auto f = h5::File::create(out.temp_path());
    h5::write_tensor(f, "/loce/vectors", t.vectors.to(torch::kFloat32));
    h5::write_tensor(f, "/loce/concept", t.concept_id.to(torch::kInt32));
    h5::write_tensor(f, "/loce/image", t.image.to(torch::kInt32));
    h5::write_tensor(f, "/loce/iou", t.iou.to(torch::kFloat32));
    h5::write_tensor(f, "/loce/loss", t.loss.to(torch::kFloat32));
    h5::write_tensor(f, "/loce/area", t.area.to(torch::kFloat32));
    h5::write_strings(f, "/images/name", t.image_names);
    std::vector<int64_t> ids(p.concept_ids.begin(), p.concept_ids.end());
    h5::write_tensor(f, "/concepts/train_id", torch::tensor(ids).to(torch::kInt32));
    h5::write_strings(f, "/concepts/name", p.concept_names);

    const std::string g = "/loce";
    h5::set_attr(f, g, "layer", p.layer);
    h5::set_attr(f, g, "mode", to_string(s.mode));
    h5::set_attr(f, g, "iterations", int64_t(s.iterations));
    h5::set_attr(f, g, "lr", s.lr);
    h5::set_attr(f, g, "weight_decay", s.weight_decay);
    h5::set_attr(f, g, "beta1", s.beta1);
    h5::set_attr(f, g, "beta2", s.beta2);
    h5::set_attr(f, g, "eps", s.eps);
    h5::set_attr(f, g, "grid_h", s.mode == Mode::Reference ? s.grid_h : int64_t(0));
    h5::set_attr(f, g, "grid_w", s.mode == Mode::Reference ? s.grid_w : int64_t(0));
    h5::set_attr(f, g, "reference_batch", s.mode == Mode::Reference ? s.reference_batch : int64_t(0));
    h5::set_attr(f, g, "mask_resize",
                 s.mode == Mode::Reference ? std::string("skimage") : to_string(s.mask_resize));
    h5::set_attr(f, g, "min_area", s.min_area);
    h5::set_attr(f, g, "concepts", p.concept_names);
    h5::set_attr(f, g, "source", p.source);
    h5::set_attr(f, g, "method", p.method);
    h5::set_attr(f, g, "git_revision", std::string(loce::git_revision()));
    h5::set_attr(f, g, "pairs_considered", p.pairs_considered);
    h5::set_attr(f, g, "skipped_empty", p.skipped[int(Skip::Empty)]);
    h5::set_attr(f, g, "skipped_full", p.skipped[int(Skip::Full)]);
    h5::set_attr(f, g, "skipped_small", p.skipped[int(Skip::Small)]);
    h5::set_attr(f, g, "skipped_non_finite", p.skipped[int(Skip::NonFinite)]);
    h5::set_attr(f, g, "pairs_iou_zero", p.pairs_iou_zero);
    f.close();
  }
  out.commit();
  if (P == 0)
    log::warn(path, " holds no LoCE: every image-concept pair was skipped (reasons above); "
              "`loce analyze` will refuse it");
}

LoceTable read_loce_file(const std::string& path) {
  auto f = h5::File::open(path);
  LoceTable t;
  t.vectors = h5::read_tensor(f, "/loce/vectors");
  t.concept_id = h5::read_tensor(f, "/loce/concept");
  t.image = h5::read_tensor(f, "/loce/image");
  t.iou = h5::read_tensor(f, "/loce/iou");
  t.loss = h5::read_tensor(f, "/loce/loss");
  t.area = h5::read_tensor(f, "/loce/area");
  t.image_names = h5::read_strings(f, "/images/name");
  return t;
}

}  // namespace loce::embedding
