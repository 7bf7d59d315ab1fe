#pragma once
// Table 1 of the paper next to ours (the `loce report` subcommand): one column pair per
// method (ours, paper), the segmentation rows (mIoU, pixel accuracy) where an evaluation is
// available, and Spearman's rank correlation between separability and mIoU across methods.
#include <optional>
#include <string>
#include <vector>

#include "analysis/loce_analysis.h"

namespace loce::analysis {

// One method's results: from a run folder (RUN_DIR/analysis.h5 and, optionally,
// RUN_DIR/eval.json with keys miou and pixel_acc) or from a results file directly.
struct MethodResults {
  std::string method;  // canonical: baseline | barlow | dae | rpl (others kept as they are)
  std::string source;
  std::vector<Metric> metrics;  // as stored in /analysis/metrics
  std::optional<double> miou, pixel_acc;
  std::optional<double> get(const std::string& name) const;
};

MethodResults read_method_results(const std::string& run_dir_or_file);

// baseline | barlow | dae | rpl from the paper's and common spellings (barlow_twins,
// denoising_ae, ...); other names are returned unchanged.
std::string canonical_method(const std::string& name);

// The paper's Table 1 and segmentation results (shared/reference/paper_table1.tsv), for a
// canonical method name; nullopt when the paper has no value (or no such method).
std::optional<double> paper_value(const std::string& method, const std::string& metric);

// Spearman's rank correlation (average ranks for ties); NaN for fewer than 2 pairs, a constant
// series or a value that is not finite.
double spearman_correlation(const std::vector<double>& x, const std::vector<double>& y);

struct Table1Report {
  std::string markdown, csv;
  // Ours, over the methods whose separability ratio and mIoU are both finite (NaN when fewer
  // than two are).
  double separability_miou_spearman;
  double paper_separability_miou_spearman;
};

Table1Report make_table1_report(const std::vector<MethodResults>& methods);

// Writes DIR/table1.md and DIR/table1.csv atomically.
void write_table1_report(const Table1Report& report, const std::string& out_dir);

}  // namespace loce::analysis
