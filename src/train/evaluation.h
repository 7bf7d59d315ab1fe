#pragma once
// Semantic segmentation evaluation with the official Cityscapes definitions: a 19 x 19 confusion
// matrix over trainIds (rows: ground truth, columns: prediction; 255 ignored), summed over ranks;
// IoU_c = TP / (TP + FP + FN), NaN for a class with no ground truth and no prediction, mIoU the
// mean over the classes that are not NaN; pixel accuracy = trace / total.
#include <string>
#include <vector>

#include <ATen/Tensor.h>
#include <c10/core/Device.h>

namespace loce::train {

// int64 [C, C] counts of (label, prediction) pairs; pixels labelled `ignore` are skipped.
at::Tensor confusion_matrix(const at::Tensor& prediction, const at::Tensor& labels,
                            int64_t num_classes, int64_t ignore = 255);

struct SegmentationScores {
  at::Tensor confusion;               // int64 [C, C]
  std::vector<double> per_class_iou;  // NaN where undefined
  double miou = 0;
  double pixel_accuracy = 0;
};
SegmentationScores scores_from_confusion(const at::Tensor& confusion);

struct EvaluationSetup {
  std::string model_run;     // a fine-tuned run folder (or checkpoint)
  std::string data;          // cache
  std::string split = "val";
  // Optional: a cache of the same images at a higher resolution (e.g. 1024x2048); predictions
  // are upsampled bilinearly (logits) to its size and scored against its labels (the official
  // full-resolution protocol).
  std::string full_res_labels;
  int64_t batch_size = 8;
  c10::Device device{c10::kCPU};
};

// Evaluates on every image of the split (sharded across ranks), writes RUN_DIR/eval.json,
// eval.md and eval.h5 (rank 0; eval-<split>.* for a split other than val) and returns the
// scores on every rank. The outputs are checked before any image is decoded.
SegmentationScores run_evaluation(const EvaluationSetup& setup);

}  // namespace loce::train
