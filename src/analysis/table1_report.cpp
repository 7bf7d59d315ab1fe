#include "analysis/table1_report.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <map>
#include <regex>
#include <sstream>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/hdf5.h"

namespace fs = std::filesystem;

namespace loce::analysis {
namespace {

// The paper's Table 1 and segmentation results, as printed (shared/reference/paper_table1.tsv).
// Columns: baseline, barlow, dae, rpl; NaN where the paper prints none.
struct PaperRow {
  const char* metric;
  double values[4];
};
const double kNone = std::numeric_limits<double>::quiet_NaN();
const PaperRow kPaperTable1[] = {
    {"intra_car", {1.67, 5.57, 4.825, 5.42}},
    {"intra_person", {1.83, 5.54, 3.35, 5.58}},
    {"intra_road", {2.17, 4.83, 5.768, 3.78}},
    {"intra_vegetation", {2.16, 8.89, 4.470, 6.66}},
    {"intra_building", {2.05, 5.35, 4.47, 4.56}},
    {"inter_mean", {4.99, 17.8, 24.51, 14.99}},
    {"separability_ratio", {2.52, 2.95, 5.35, 2.88}},
    {"silhouette", {0.43, 0.54, 0.73, 0.53}},
    {"homogeneity", {0.45, 0.73, 1, 0.64}},
    {"completeness", {0.49, 0.74, 1, 0.64}},
    {"v_measure", {0.47, 0.74, 1, 0.64}},
    {"ari", {0.27, 0.71, 1, 0.6}},
    {"nmi", {0.47, 0.73, 1, 0.64}},
    {"error_rate", {0.51, 0.15, 0, 0.24}},
    {"miou", {kNone, 0.4214, 0.4573, 0.3485}},
    {"pixel_acc", {kNone, 0.8639, 0.8712, 0.8203}},
};
const char* kPaperMethods[] = {"baseline", "barlow", "dae", "rpl"};

std::optional<double> json_number(const std::string& text, const std::string& key) {
  std::smatch m;
  std::regex re("\"" + key + "\"\\s*:\\s*([-+0-9.eE]+|null|NaN)");
  if (!std::regex_search(text, m, re)) return std::nullopt;
  std::string v = m[1];
  if (v == "null" || v == "NaN") return std::nullopt;
  try {
    return std::stod(v);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::string fmt(std::optional<double> v, int precision = 4) {
  if (!v || !std::isfinite(*v)) return "-";
  std::ostringstream os;
  os << std::fixed << std::setprecision(precision) << *v;
  return os.str();
}

std::vector<double> ranks(const std::vector<double>& v) {
  std::vector<size_t> idx(v.size());
  for (size_t i = 0; i < idx.size(); ++i) idx[i] = i;
  std::sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return v[a] < v[b]; });
  std::vector<double> r(v.size());
  for (size_t i = 0; i < idx.size();) {
    size_t j = i;
    while (j + 1 < idx.size() && v[idx[j + 1]] == v[idx[i]]) ++j;
    for (size_t t = i; t <= j; ++t) r[idx[t]] = (double(i) + double(j)) / 2.0 + 1.0;
    i = j + 1;
  }
  return r;
}

}  // namespace

std::optional<double> MethodResults::get(const std::string& name) const {
  if (name == "miou") return miou;
  if (name == "pixel_acc") return pixel_acc;
  for (const auto& [k, v] : metrics)
    if (k == name) return v;
  return std::nullopt;
}

std::string canonical_method(const std::string& name) {
  std::string s = name;
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  if (s == "barlow_twins" || s == "barlowtwins" || s == "barlow-twins") return "barlow";
  if (s == "denoising_ae" || s == "denoising_autoencoder" || s == "denoising-ae") return "dae";
  if (s == "random" || s == "none") return "baseline";
  return s;
}

std::optional<double> paper_value(const std::string& method, const std::string& metric) {
  std::string m = canonical_method(method);
  for (int c = 0; c < 4; ++c) {
    if (m != kPaperMethods[c]) continue;
    for (const auto& row : kPaperTable1)
      if (metric == row.metric || (metric == "seg_miou" && std::string(row.metric) == "miou") ||
          (metric == "seg_pixel_acc" && std::string(row.metric) == "pixel_acc"))
        return std::isfinite(row.values[c]) ? std::optional<double>(row.values[c]) : std::nullopt;
  }
  return std::nullopt;
}

MethodResults read_method_results(const std::string& path) {
  MethodResults r;
  std::string h5_path = path, eval_path;
  if (fs::is_directory(path)) {
    h5_path = (fs::path(path) / "analysis.h5").string();
    // A `loce run` combination folder keeps the evaluation in its fine-tuned run.
    eval_path = (fs::path(path) / "eval.json").string();
    if (!fs::exists(eval_path) && fs::exists(fs::path(path) / "finetune" / "eval.json"))
      eval_path = (fs::path(path) / "finetune" / "eval.json").string();
    if (!fs::exists(h5_path)) bad_input(path, ": run folder has no analysis.h5 (run `loce analyze` first)");
  } else if (!fs::is_regular_file(path)) {
    bad_input(path, ": no such run folder or results file");
  }
  r.source = h5_path;
  h5::File f = h5::File::open(h5_path);
  if (!h5::exists(f, "/analysis/metrics")) bad_input(h5_path, ": no /analysis/metrics (not a results file)");
  std::string method = h5::has_attr(f, "/analysis", "method") ? h5::attr_string(f, "/analysis", "method") : "";
  if (method.empty()) method = fs::path(path).filename().string();
  r.method = canonical_method(method);
  std::vector<std::string> concepts = h5::attr_strings(f, "/analysis", "concepts");
  std::vector<std::string> names;
  for (const auto& c : concepts) names.push_back("intra_" + c);
  for (const char* n : {"inter_mean", "separability_ratio", "silhouette", "homogeneity",
                        "completeness", "v_measure", "ari", "nmi", "error_rate", "purity",
                        "knn_accuracy"})
    names.push_back(n);
  for (const auto& n : names)
    if (h5::has_attr(f, "/analysis/metrics", n))
      r.metrics.emplace_back(n, h5::attr_double(f, "/analysis/metrics", n));
  if (!eval_path.empty() && fs::exists(eval_path)) {
    std::ifstream in(eval_path);
    std::stringstream ss;
    ss << in.rdbuf();
    r.miou = json_number(ss.str(), "miou");
    r.pixel_acc = json_number(ss.str(), "pixel_acc");
  }
  return r;
}

double spearman_correlation(const std::vector<double>& x, const std::vector<double>& y) {
  LOCE_CHECK(x.size() == y.size(), "spearman: series of different lengths");
  const double nan = std::numeric_limits<double>::quiet_NaN();
  if (x.size() < 2) return nan;
  // A NaN would break the strict weak order that ranks() sorts by.
  auto finite = [](double v) { return std::isfinite(v); };
  if (!std::all_of(x.begin(), x.end(), finite) || !std::all_of(y.begin(), y.end(), finite)) return nan;
  std::vector<double> rx = ranks(x), ry = ranks(y);
  double mx = 0, my = 0;
  for (size_t i = 0; i < x.size(); ++i) { mx += rx[i]; my += ry[i]; }
  mx /= double(x.size());
  my /= double(x.size());
  double sxy = 0, sxx = 0, syy = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    sxy += (rx[i] - mx) * (ry[i] - my);
    sxx += (rx[i] - mx) * (rx[i] - mx);
    syy += (ry[i] - my) * (ry[i] - my);
  }
  if (sxx == 0 || syy == 0) return nan;
  return sxy / std::sqrt(sxx * syy);
}

Table1Report make_table1_report(const std::vector<MethodResults>& methods) {
  if (methods.empty()) bad_input("report: no results given");
  // Rows: the paper's, then any other metric some method has (other concepts, supplements).
  std::vector<std::string> rows;
  for (const auto& row : kPaperTable1) rows.push_back(row.metric);
  for (const auto& m : methods)
    for (const auto& [name, v] : m.metrics)
      if (std::find(rows.begin(), rows.end(), name) == rows.end()) rows.push_back(name);

  std::ostringstream md, csv;
  md << "| metric |";
  csv << "metric";
  for (const auto& m : methods) {
    md << " " << m.method << " (ours) | " << m.method << " (paper) |";
    csv << "," << m.method << "_ours," << m.method << "_paper";
  }
  md << "\n|---|";
  for (size_t i = 0; i < methods.size(); ++i) md << "---:|---:|";
  md << "\n";
  csv << "\n";
  for (const auto& row : rows) {
    md << "| " << row << " |";
    csv << row;
    for (const auto& m : methods) {
      auto ours = m.get(row);
      auto paper = paper_value(m.method, row);
      md << " " << fmt(ours) << " | " << fmt(paper) << " |";
      csv << "," << (ours && std::isfinite(*ours) ? fmt(ours, 8) : "") << ","
          << (paper ? fmt(paper, 8) : "");
    }
    md << "\n";
    csv << "\n";
  }

  Table1Report r;
  // Only methods with a finite separability ratio and mIoU take part (a results file may hold
  // a NaN separability, written as null).
  std::vector<double> sep, miou, psep, pmiou;
  auto add_pair = [](std::optional<double> s, std::optional<double> mi, std::vector<double>& ss,
                     std::vector<double>& ms) {
    if (s && mi && std::isfinite(*s) && std::isfinite(*mi)) { ss.push_back(*s); ms.push_back(*mi); }
  };
  for (const auto& m : methods) add_pair(m.get("separability_ratio"), m.miou, sep, miou);
  for (const char* pm : kPaperMethods)
    add_pair(paper_value(pm, "separability_ratio"), paper_value(pm, "miou"), psep, pmiou);
  r.separability_miou_spearman = spearman_correlation(sep, miou);
  r.paper_separability_miou_spearman = spearman_correlation(psep, pmiou);
  md << "\nSpearman rank correlation of separability ratio and mIoU across methods: ours ";
  if (sep.size() < 2)
    md << "- (needs at least 2 methods with a finite separability ratio and mIoU, " << sep.size()
       << " here)";
  else
    md << fmt(r.separability_miou_spearman, 3) << " (" << sep.size()
       << " methods with a finite separability ratio and mIoU)";
  md << ", paper " << fmt(r.paper_separability_miou_spearman, 3) << " (" << psep.size()
     << " methods).\n";
  csv << "spearman_separability_miou," << fmt(r.separability_miou_spearman, 8) << ","
      << fmt(r.paper_separability_miou_spearman, 8) << "\n";
  r.markdown = md.str();
  r.csv = csv.str();
  return r;
}

void write_table1_report(const Table1Report& report, const std::string& out_dir) {
  for (const auto& [name, text] : {std::pair<std::string, std::string>{"table1.md", report.markdown},
                                   {"table1.csv", report.csv}}) {
    AtomicFile out((fs::path(out_dir) / name).string());
    {
      std::ofstream f(out.temp_path());
      f << text;
      f.close();
      if (!f) fail("cannot write ", out.temp_path());
    }
    out.commit();
  }
}

}  // namespace loce::analysis
