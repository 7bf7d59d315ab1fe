#include "analysis/table1_report.h"

#include <torch/torch.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <limits>
#include <map>
#include <sstream>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/hdf5.h"
#include "core/log.h"

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

// The top-level members of a JSON object, as far as the report needs them: a number, null
// (value NaN: undefined) or anything else (`number_or_null` false). The whole text must be one
// valid JSON object (RFC 8259: no NaN, no trailing commas, no comments), so that a damaged file
// is an error instead of a silent "-", and only a top-level key counts (not a "miou" inside
// per_class_iou).
struct JsonMember {
  bool number_or_null = false;
  double value = std::numeric_limits<double>::quiet_NaN();
};

class StrictJson {
 public:
  StrictJson(const std::string& text, const std::string& where) : t_(text), where_(where) {}

  std::map<std::string, JsonMember> top_level_object() {
    std::map<std::string, JsonMember> members;
    skip_ws();
    expect('{', "a JSON object");
    skip_ws();
    if (peek() == '}') {
      ++i_;
    } else {
      for (;;) {
        skip_ws();
        std::string key = string();
        skip_ws();
        expect(':', "':'");
        skip_ws();
        JsonMember m;
        if (starts_number()) {
          m.number_or_null = true;
          m.value = number();
        } else if (t_.compare(i_, 4, "null") == 0) {
          i_ += 4;
          m.number_or_null = true;
        } else {
          value(1);
        }
        if (!members.emplace(key, m).second) error(cat("key \"", key, "\" appears twice"));
        skip_ws();
        if (peek() == ',') { ++i_; continue; }
        expect('}', "',' or '}'");
        break;
      }
    }
    skip_ws();
    if (i_ != t_.size()) error("text after the JSON object");
    return members;
  }

 private:
  [[noreturn]] void error(const std::string& what) const {
    bad_input(where_, ": not valid JSON at byte ", i_, ": ", what);
  }
  char peek() const { return i_ < t_.size() ? t_[i_] : '\0'; }
  void skip_ws() {
    while (i_ < t_.size() && (t_[i_] == ' ' || t_[i_] == '\t' || t_[i_] == '\n' || t_[i_] == '\r')) ++i_;
  }
  void expect(char c, const char* what) {
    if (peek() != c) error(cat("expected ", what));
    ++i_;
  }
  bool starts_number() const { return peek() == '-' || (peek() >= '0' && peek() <= '9'); }
  static bool digit(char c) { return c >= '0' && c <= '9'; }

  std::string string() {
    expect('"', "a string");
    std::string out;
    for (;;) {
      if (i_ >= t_.size()) error("unterminated string");
      const char c = t_[i_++];
      if (c == '"') return out;
      if (static_cast<unsigned char>(c) < 0x20) error("control character in a string");
      if (c != '\\') { out += c; continue; }
      const char e = peek();
      ++i_;
      if (e == 'u') {
        unsigned code = 0;
        for (int k = 0; k < 4; ++k, ++i_) {
          const char h = peek();
          if (!std::isxdigit(static_cast<unsigned char>(h))) error("bad \\u escape");
          code = code * 16 + unsigned(std::isdigit(static_cast<unsigned char>(h)) ? h - '0'
                                                                                 : (h | 0x20) - 'a' + 10);
        }
        // The keys the report reads are ASCII: "mi\u006fu" is "miou"; anything else only has
        // to stay apart from them.
        out += code < 0x80 ? char(code) : '?';
      } else if (std::string("\"\\/bfnrt").find(e) != std::string::npos && e != '\0') {
        out += e;
      } else {
        error("bad escape in a string");
      }
    }
  }

  double number() {
    const size_t start = i_;
    if (peek() == '-') ++i_;
    if (peek() == '0') ++i_;
    else if (digit(peek())) while (digit(peek())) ++i_;
    else error("bad number");
    if (peek() == '.') {
      ++i_;
      if (!digit(peek())) error("bad number");
      while (digit(peek())) ++i_;
    }
    if (peek() == 'e' || peek() == 'E') {
      ++i_;
      if (peek() == '+' || peek() == '-') ++i_;
      if (!digit(peek())) error("bad number");
      while (digit(peek())) ++i_;
    }
    // strtod of the checked text: 1e999 becomes inf (a number JSON allows).
    return std::strtod(t_.substr(start, i_ - start).c_str(), nullptr);
  }

  void value(int depth) {
    if (depth > 256) error("nested too deeply");
    skip_ws();
    const char c = peek();
    if (c == '"') { string(); return; }
    if (starts_number()) { number(); return; }
    for (const char* lit : {"true", "false", "null"})
      if (t_.compare(i_, std::strlen(lit), lit) == 0) { i_ += std::strlen(lit); return; }
    if (c == '[' || c == '{') {
      const bool object = c == '{';
      ++i_;
      skip_ws();
      if (peek() == (object ? '}' : ']')) { ++i_; return; }
      for (;;) {
        skip_ws();
        if (object) {
          string();
          skip_ws();
          expect(':', "':'");
        }
        value(depth + 1);
        skip_ws();
        if (peek() == ',') { ++i_; continue; }
        expect(object ? '}' : ']', object ? "',' or '}'" : "',' or ']'");
        return;
      }
    }
    error("expected a JSON value");
  }

  const std::string& t_;
  std::string where_;
  size_t i_ = 0;
};

// miou / pixel_acc of an eval.json: a top-level number, or null (undefined: "-").
std::optional<double> eval_number(const std::map<std::string, JsonMember>& members,
                                  const std::string& key, const std::string& path) {
  auto it = members.find(key);
  if (it == members.end()) {
    log::warn(path, ": no top-level \"", key, "\"; shown as '-'");
    return std::nullopt;
  }
  if (!it->second.number_or_null) bad_input(path, ": \"", key, "\" must be a number or null");
  const double v = it->second.value;
  if (std::isnan(v)) return std::nullopt;
  // A fraction: anything else (1e999, -5) is not a score `loce evaluate` wrote.
  if (!(v >= 0 && v <= 1)) bad_input(path, ": \"", key, "\" is ", v, ", not a fraction in [0, 1]");
  return v;
}

// RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled.
std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// A Markdown table cell: '|' escaped, line breaks as spaces.
std::string md_cell(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '|') out += "\\|";
    else if (c == '\n' || c == '\r') out += ' ';
    else out += c;
  }
  return out;
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
  std::string h5_path = path;
  if (fs::is_directory(path)) {
    h5_path = (fs::path(path) / "analysis.h5").string();
    if (!fs::exists(h5_path)) bad_input(path, ": run folder has no analysis.h5 (run `loce analyze` first)");
  } else if (!fs::is_regular_file(path)) {
    bad_input(path, ": no such run folder or results file");
  }
  // The evaluation beside the results, or (a `loce run` combination folder) in its fine-tuned
  // run.
  const fs::path folder = fs::is_directory(path) ? fs::path(path) : fs::path(h5_path).parent_path();
  std::string eval_path = (folder / "eval.json").string();
  if (!fs::exists(eval_path) && fs::exists(folder / "finetune" / "eval.json"))
    eval_path = (folder / "finetune" / "eval.json").string();
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
  if (fs::exists(eval_path)) {
    if (!fs::is_regular_file(eval_path)) bad_input(eval_path, ": not a file");
    std::ifstream in(eval_path);
    std::stringstream ss;
    ss << in.rdbuf();
    if (!in) bad_input(eval_path, ": cannot read");
    const std::string text = ss.str();
    const auto members = StrictJson(text, eval_path).top_level_object();
    r.miou = eval_number(members, "miou", eval_path);
    r.pixel_acc = eval_number(members, "pixel_acc", eval_path);
  } else {
    log::warn(folder.empty() ? std::string(".") : folder.string(), ": no eval.json (nor finetune/eval.json); mIoU and pixel accuracy shown as '-'");
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
  // One column pair per method: the same run twice, or two runs of one method, would count a
  // method twice in the Spearman correlation (and make the columns ambiguous).
  for (size_t i = 0; i < methods.size(); ++i)
    for (size_t j = 0; j < i; ++j) {
      std::error_code ec;
      const auto& a = methods[j];
      const auto& b = methods[i];
      if (!a.source.empty() && !b.source.empty() && fs::equivalent(a.source, b.source, ec))
        bad_input("report: ", a.source, " is given twice",
                  a.source == b.source ? std::string() : " (also as " + b.source + ")");
      if (a.method == b.method)
        bad_input("report: two results of method '", a.method, "' (", a.source, " and ", b.source,
                  "); give one run per method");
    }
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
    md << " " << md_cell(m.method) << " (ours) | " << md_cell(m.method) << " (paper) |";
    csv << "," << csv_field(m.method + "_ours") << "," << csv_field(m.method + "_paper");
  }
  md << "\n|---|";
  for (size_t i = 0; i < methods.size(); ++i) md << "---:|---:|";
  md << "\n";
  csv << "\n";
  for (const auto& row : rows) {
    md << "| " << md_cell(row) << " |";
    csv << csv_field(row);
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
  // Both targets are checked and both written before either replaces its old file.
  AtomicFile md((fs::path(out_dir) / "table1.md").string());
  AtomicFile csv((fs::path(out_dir) / "table1.csv").string());
  md.write_text(report.markdown);
  csv.write_text(report.csv);
  md.commit();
  csv.commit();
}

}  // namespace loce::analysis
