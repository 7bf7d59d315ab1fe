#include "loce/extraction.h"

#include <torch/torch.h>

#include <algorithm>
#include <memory>

#include "core/error.h"
#include "core/log.h"
#include "data/labels.h"
#include "loce/engine.h"
#include "loce/loce_file.h"

namespace loce::embedding {

std::vector<int> parse_concepts(const std::vector<std::string>& names) {
  const std::vector<std::string>& chosen = names.empty() ? data::default_concepts() : names;
  std::vector<int> ids;
  for (const std::string& name : chosen) {
    const int id = data::class_id(name);
    for (int seen : ids)
      if (seen == id) bad_input("concept '", name, "' is listed twice");
    ids.push_back(id);
  }
  return ids;
}

at::Tensor concept_masks(const at::Tensor& train_ids, const std::vector<int>& concepts) {
  LOCE_CHECK(train_ids.dim() == 3, "concept_masks: labels must be [n, H, W], got ",
             train_ids.sizes());
  std::vector<int64_t> ids(concepts.begin(), concepts.end());
  at::Tensor k = torch::tensor(ids, torch::kInt64).to(train_ids.device()).view({1, -1, 1, 1});
  return (train_ids.to(torch::kInt64).unsqueeze(1) == k).to(torch::kFloat32);
}

at::Tensor select_level(const std::vector<at::Tensor>& levels, int level) {
  const int n = int(levels.size());
  const int index = level < 0 ? n + level : level;
  if (index < 0 || index >= n)
    bad_input("--level ", level, " does not exist: the encoder has ", n, " levels (0..", n - 1,
              ", or -1 for the deepest)");
  return levels[index];
}

RowFunction aligned_batches(int64_t images, int64_t batch, RowFunction forward) {
  LOCE_CHECK(images >= 0 && batch >= 1, "aligned_batches: ", images, " images, batch ", batch);
  struct Window {
    int64_t first = -1;
    at::Tensor out;
  };
  auto last = std::make_shared<Window>();
  return [images, batch, forward = std::move(forward), last](int64_t first, int64_t count) {
    LOCE_CHECK(first >= 0 && count >= 1 && first + count <= images, "aligned_batches: rows ",
               first, "..", first + count - 1, " of ", images);
    std::vector<at::Tensor> parts;
    for (int64_t w = first / batch * batch; w < first + count; w += batch) {
      if (last->first != w) {
        last->out = forward(w, std::min(batch, images - w));
        last->first = w;
      }
      const int64_t lo = std::max(first, w) - w, hi = std::min(first + count, w + batch) - w;
      parts.push_back(last->out.slice(0, lo, hi));
    }
    return parts.size() == 1 ? parts[0] : torch::cat(parts);
  };
}

void embed_encoder(const EncoderSplit& split, const std::vector<int>& concepts,
                   const std::string& output, const OptimizerSettings& s,
                   const c10::Device& device, dist::Communicator& comm) {
  if (split.images < 1) bad_input("LoCE: the split has no images");
  if (int64_t(split.image_names.size()) != split.images)
    bad_input("LoCE: ", split.image_names.size(), " image names for ", split.images, " images");
  if (concepts.empty()) bad_input("LoCE: no concepts");
  check_output_path(output, comm);
  at::Tensor probe = split.activations(0, 1);
  at::Tensor label_probe = split.labels(0, 1);
  LOCE_CHECK(probe.dim() == 4 && label_probe.dim() == 3,
             "LoCE: encoder activations must be [n, C, h, w] and labels [n, H, W]");

  RowSource src;
  src.rows = split.images;
  src.slots = int64_t(concepts.size());
  src.channels = probe.size(1);
  src.act_h = probe.size(2);
  src.act_w = probe.size(3);
  src.mask_h = label_probe.size(1);
  src.mask_w = label_probe.size(2);
  src.activations = split.activations;
  src.masks = [&split, concepts](int64_t first, int64_t count) {
    return concept_masks(split.labels(first, count), concepts);
  };

  EmbedResult r = run_embedding(src, s, device, comm);
  if (!comm.is_root()) return;

  std::vector<int64_t> ids(concepts.begin(), concepts.end());
  LoceTable table;
  table.vectors = r.vectors;
  table.concept_id = torch::tensor(ids, torch::kInt64).index_select(0, r.slot).to(torch::kInt32);
  table.image = r.row.to(torch::kInt32);
  table.iou = r.iou;
  table.loss = r.loss;
  table.area = r.area;
  table.image_names = split.image_names;

  LoceProvenance prov;
  prov.layer = split.layer;
  prov.source = split.model_run;
  prov.method = split.method;
  prov.concept_ids = concepts;
  for (int id : concepts) prov.concept_names.push_back(data::class_names()[id]);
  prov.pairs_considered = r.considered;
  prov.skipped = r.skipped;
  prov.pairs_iou_zero = r.iou_zero;
  write_loce_file(output, table, prov, s);
  log::info("wrote ", table.vectors.size(0), " LoCEs (", split.images, " images x ",
            concepts.size(), " concepts) to ", output);
}

}  // namespace loce::embedding
