#include "train/evaluation.h"

#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <iomanip>
#include <limits>
#include <sstream>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/hdf5.h"
#include "core/json.h"
#include "core/log.h"
#include "core/progress.h"
#include "data/augment.h"
#include "data/cache.h"
#include "data/labels.h"
#include "dist/on_root.h"
#include "dist/world.h"
#include "train/run_dir.h"

namespace fs = std::filesystem;

namespace loce::train {

at::Tensor confusion_matrix(const at::Tensor& prediction, const at::Tensor& labels,
                            int64_t num_classes, int64_t ignore) {
  LOCE_CHECK(prediction.sizes() == labels.sizes(), "confusion_matrix: prediction ",
             prediction.sizes(), " and labels ", labels.sizes(), " differ in shape");
  auto gt = labels.reshape({-1}).to(at::kLong);
  auto pred = prediction.reshape({-1}).to(at::kLong);
  auto valid = (gt != ignore) & (gt >= 0) & (gt < num_classes);
  auto index = gt.masked_select(valid) * num_classes + pred.masked_select(valid);
  return at::bincount(index, {}, num_classes * num_classes).view({num_classes, num_classes}).to(at::kLong);
}

SegmentationScores scores_from_confusion(const at::Tensor& confusion) {
  SegmentationScores s;
  s.confusion = confusion.to(at::kLong).cpu();
  auto c = s.confusion.to(at::kDouble);
  auto tp = c.diagonal();
  auto denom = c.sum(0) + c.sum(1) - tp;  // TP + FP + FN
  double sum = 0;
  int n = 0;
  for (int64_t k = 0; k < c.size(0); ++k) {
    const double d = denom[k].item<double>();
    const double iou = d > 0 ? tp[k].item<double>() / d : std::numeric_limits<double>::quiet_NaN();
    s.per_class_iou.push_back(iou);
    if (!std::isnan(iou)) { sum += iou; ++n; }
  }
  s.miou = n > 0 ? sum / n : std::numeric_limits<double>::quiet_NaN();
  const double total = c.sum().item<double>();
  s.pixel_accuracy = total > 0 ? tp.sum().item<double>() / total : std::numeric_limits<double>::quiet_NaN();
  return s;
}

namespace {

// The results of one evaluation, named for its split: eval.* for "val" (what `loce report`
// and the runner read), eval-<split>.* for any other, so that scores on another split never
// pass for the validation scores.
struct ResultFiles {
  std::string json, md, h5;
  ResultFiles(const fs::path& run_dir, const std::string& split) {
    const std::string stem = (run_dir / (split == "val" ? "eval" : "eval-" + split)).string();
    json = stem + ".json";
    md = stem + ".md";
    h5 = stem + ".h5";
  }
};

// The run folder the results go to: the one given, or that of a checkpoint file given
// (RUN/checkpoints/step-N.pt). A checkpoint anywhere else has no run folder to write into.
fs::path results_folder(const std::string& model, const std::string& checkpoint) {
  if (fs::is_directory(model)) return model;
  const fs::path folder = fs::absolute(checkpoint).lexically_normal().parent_path();
  if (folder.filename() == "checkpoints" &&
      fs::exists(run_info_path(folder.parent_path().string())))
    return folder.parent_path();
  bad_input("--model ", model, ": a checkpoint outside a run folder (not in RUN/checkpoints/ "
            "beside RUN/run.json), so there is no run folder to write the results to; give the "
            "run folder");
}

void write_results(const ResultFiles& files, const EvaluationSetup& setup, const LoadedRun& run,
                   const SegmentationScores& s, int64_t images, int64_t height, int64_t width) {
  const auto& names = data::class_names();
  std::ostringstream js;
  js << "{\n  \"miou\": " << json_number(s.miou) << ",\n  \"pixel_acc\": "
     << json_number(s.pixel_accuracy) << ",\n  \"per_class_iou\": {";
  for (size_t k = 0; k < names.size(); ++k)
    js << (k ? ", " : "") << json_string(names[k]) << ": " << json_number(s.per_class_iou[k]);
  js << "},\n  \"images\": " << images << ",\n  \"split\": " << json_string(setup.split)
     << ",\n  \"resolution\": [" << height << ", " << width << "],\n  \"step\": " << run.step
     << ",\n  \"total_steps\": " << run.total_steps << "\n}\n";

  std::ostringstream md;
  md << "# Segmentation evaluation\n\n" << images << " images of split `" << setup.split
     << "` at " << height << "x" << width << ", " << run.method << " step " << run.step << " of "
     << run.total_steps << ".\n\n| metric | value |\n|---|---|\n"
     << "| mIoU | " << std::fixed << std::setprecision(4) << s.miou << " |\n| pixel accuracy | "
     << s.pixel_accuracy << " |\n\n| class | IoU |\n|---|---|\n";
  for (size_t k = 0; k < names.size(); ++k)
    md << "| " << names[k] << " | "
       << (std::isnan(s.per_class_iou[k]) ? std::string("n/a") : json_number(s.per_class_iou[k]))
       << " |\n";

  // All three are written before any replaces its old file: a failure (a full disk) leaves the
  // previous results as they were, never a mix.
  AtomicFile json(files.json), text(files.md), table(files.h5);
  json.write_text(js.str());
  text.write_text(md.str());
  {
    auto h = h5::File::create(table.temp_path());
    h5::write_tensor(h, "/eval/confusion", s.confusion);
    h5::write_tensor(h, "/eval/per_class_iou", at::tensor(s.per_class_iou, at::kDouble));
    h5::write_strings(h, "/eval/class_names", names);
    h5::set_attr(h, "/eval", "miou", s.miou);
    h5::set_attr(h, "/eval", "pixel_acc", s.pixel_accuracy);
    h5::set_attr(h, "/eval", "images", images);
    h5::set_attr(h, "/eval", "split", setup.split);
    h5::set_attr(h, "/eval", "data", setup.data);
    h5::set_attr(h, "/eval", "step", run.step);
    h.close();
  }
  json.commit();
  text.commit();
  table.commit();
}

}  // namespace

SegmentationScores run_evaluation(const EvaluationSetup& setup) {
  if (setup.batch_size < 1) bad_input("evaluate: batch size must be at least 1, got ", setup.batch_size);
  const auto& world = dist::world();
  models::HeadSet heads;
  heads.segmentation = true;
  LoadedRun run = load_run(setup.model_run, heads, setup.device);
  check_cache_matches_run(run, setup.data);
  data::Cache cache(setup.data);
  const int64_t n = cache.size(setup.split);
  if (n == 0) bad_input(setup.data, ": split '", setup.split, "' holds no image to evaluate");
  // Before any image is decoded: where the results go, and that they can be written there.
  const fs::path run_dir = results_folder(setup.model_run, run.checkpoint);
  const ResultFiles files(run_dir, setup.split);
  dist::on_root_collectively(*dist::cpu_communicator(), [&] {
    for (const auto& path : {files.json, files.md, files.h5}) check_output_file(path, "result file");
  });
  if (run.step < run.total_steps && world.rank == 0)
    log::warn(setup.model_run, " stopped at step ", run.step, " of ", run.total_steps,
              ": evaluating an unfinished run (eval.json records the step)");
  std::unique_ptr<data::Cache> full;
  if (!setup.full_res_labels.empty()) {
    full = std::make_unique<data::Cache>(setup.full_res_labels);
    // Labels at least as fine as the images the model sees (the run's training size: the
    // cache was checked against it above), of the same shape: predictions are upsampled to the
    // labels, never the labels downsampled.
    const int64_t fh = full->height(), fw = full->width(), h = cache.height(), w = cache.width();
    if (fh < h || fw < w)
      bad_input("--full-res-labels ", setup.full_res_labels, ": holds ", fh, "x", fw,
                " labels, below the ", h, "x", w, " of ", setup.data,
                " (the run's training size); pass a cache prepared at full resolution");
    if (fh * w != fw * h)
      bad_input("--full-res-labels ", setup.full_res_labels, ": holds ", fh, "x", fw,
                " labels, another aspect ratio than the ", h, "x", w, " of ", setup.data);
    if (full->size(setup.split) != n || full->names(setup.split) != cache.names(setup.split))
      bad_input("--full-res-labels ", setup.full_res_labels, ": split '", setup.split,
                "' does not hold the same images as ", setup.data);
  }
  const int64_t C = run.network->config().segmentation_classes;
  at::Tensor confusion = at::zeros({C, C}, at::kLong);

  // Rank r takes images r, r + N, r + 2N, ...: every image once, no collective inside the loop.
  std::vector<int64_t> mine;
  for (int64_t i = world.rank; i < n; i += world.size) mine.push_back(i);
  Progress progress("evaluate", int64_t(mine.size()), "img");
  torch::NoGradGuard no_grad;
  for (size_t start = 0; start < mine.size(); start += size_t(setup.batch_size)) {
    std::vector<int64_t> idx(mine.begin() + start,
                             mine.begin() + std::min(mine.size(), start + size_t(setup.batch_size)));
    data::Batch batch = cache.read(setup.split, idx);
    auto x = data::normalize(data::to_unit_float(batch.images.to(setup.device)));
    auto logits = run.network->segmentation->forward(run.network->encoder->forward(x));
    at::Tensor labels = batch.labels;
    if (full) {
      labels = full->read(setup.split, idx).labels;
      logits = torch::nn::functional::interpolate(
          logits, torch::nn::functional::InterpolateFuncOptions()
                      .size(std::vector<int64_t>{labels.size(1), labels.size(2)})
                      .mode(torch::kBilinear)
                      .align_corners(false));
    }
    confusion += confusion_matrix(logits.argmax(1).cpu(), labels, C);
    progress.advance(int64_t(idx.size()));
  }
  progress.finish();
  dist::cpu_communicator()->all_reduce(confusion, dist::ReduceOp::Sum);
  SegmentationScores scores = scores_from_confusion(confusion);
  if (world.rank == 0) {
    const int64_t h = full ? full->height() : cache.height(), w = full ? full->width() : cache.width();
    write_results(files, setup, run, scores, n, h, w);
    log::info("mIoU ", scores.miou, ", pixel accuracy ", scores.pixel_accuracy, " over ", n,
              " images (", run.method, " step ", run.step, ") -> ", files.json);
  }
  return scores;
}

}  // namespace loce::train
