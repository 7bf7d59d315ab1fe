// `loce analyze` and `loce report` end to end, and their handling of bad input files.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include <hdf5.h>

#include "analysis/loce_analysis.h"
#include "analysis/loce_set.h"
#include "analysis/synthetic_loces.h"
#include "analysis/table1_report.h"
#include "core/error.h"
#include "core/hdf5.h"
#include "support/test_support.h"

using namespace loce;
namespace fs = std::filesystem;

namespace {

std::string write_synthetic(const std::string& dir, const std::string& method, double separation) {
  auto s = analysis::make_synthetic_loces(200, 16, 5, 1, separation);
  std::string path = dir + "/" + method + "_loce.h5";
  analysis::write_loce_set(path, s.vectors, s.train_ids, s.concept_names, method);
  return path;
}

test::RunResult analyze(const std::string& in, const std::string& out, const std::string& extra = "") {
  // A coarse decision grid unless the test sets its own (an option given twice is an error).
  const std::string grid = extra.find("--grid") == std::string::npos ? " --grid 32 " : " ";
  return test::run_command(test::loce_binary() + " --threads 1 --log-level warn analyze --in " + in +
                           " --out " + out + " --umap-epochs 30" + grid + extra);
}

}  // namespace

TEST(AnalyzeCli, WritesResultsAndPrintsTable1Json) {
  std::string dir = test::temp_dir("analyze");
  std::string in = write_synthetic(dir, "dae", 8.0), out = dir + "/dae/analysis.h5";
  auto r = analyze(in, out, "--json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* key : {"\"intra_road\"", "\"intra_person\"", "\"inter_mean\"", "\"separability_ratio\"",
                          "\"silhouette\"", "\"homogeneity\"", "\"completeness\"", "\"v_measure\"",
                          "\"ari\"", "\"nmi\"", "\"error_rate\""})
    EXPECT_NE(r.output.find(key), std::string::npos) << key << " missing in " << r.output;
  // Separated concepts: the GMM recovers them.
  EXPECT_NE(r.output.find("\"ari\": 1,"), std::string::npos) << r.output;
  h5::File f = h5::File::open(out);
  EXPECT_EQ(h5::attr_string(f, "/analysis", "method"), "dae");
  EXPECT_EQ(h5::shape(f, "/analysis/gmm/means"), (std::vector<int64_t>{5, 16}));
  EXPECT_EQ(h5::shape(f, "/analysis/gmm/covariances"), (std::vector<int64_t>{5, 16, 16}));
  EXPECT_EQ(h5::shape(f, "/analysis/gmm/assignment"), (std::vector<int64_t>{200}));
  EXPECT_EQ(h5::shape(f, "/analysis/projection/pca"), (std::vector<int64_t>{200, 2}));
  EXPECT_EQ(h5::shape(f, "/analysis/projection/umap"), (std::vector<int64_t>{200, 2}));
  EXPECT_EQ(h5::shape(f, "/analysis/decision_grid/umap/concept"), (std::vector<int64_t>{32, 32}));
  EXPECT_DOUBLE_EQ(h5::attr_double(f, "/analysis/metrics", "ari"), 1.0);

  // report: a run folder with eval.json and a results file given directly.
  std::ofstream(dir + "/dae/eval.json") << "{\"miou\": 0.45, \"pixel_acc\": 0.87}";
  std::string in2 = write_synthetic(dir, "rpl", 1.0), out2 = dir + "/rpl.h5";
  ASSERT_EQ(analyze(in2, out2, "--no-projections").exit_code, 0);
  auto rep = test::run_command(test::loce_binary() + " --log-level warn report " + dir + "/dae " +
                               out2 + " --out " + dir + "/report");
  ASSERT_EQ(rep.exit_code, 0) << rep.output;
  EXPECT_TRUE(fs::exists(dir + "/report/table1.md"));
  EXPECT_TRUE(fs::exists(dir + "/report/table1.csv"));
  EXPECT_NE(rep.output.find("| dae (ours) | dae (paper) |"), std::string::npos) << rep.output;
  EXPECT_NE(rep.output.find("| separability_ratio |"), std::string::npos);
  EXPECT_NE(rep.output.find("0.4500"), std::string::npos);  // mIoU from eval.json
  EXPECT_NE(rep.output.find("5.3500"), std::string::npos);  // the paper's DAE separability
}

TEST(AnalyzeCli, BadInputFailsClearlyWithoutOutput) {
  std::string dir = test::temp_dir("analyze_bad");
  auto s = analysis::make_synthetic_loces(40, 4, 3, 2);
  struct Case {
    std::string name, path, extra, expect;
  };
  std::vector<Case> cases;
  // An empty file.
  std::ofstream(dir + "/empty.h5").close();
  cases.push_back({"empty", dir + "/empty.h5", "", "empty"});
  // A concept with one point.
  at::Tensor ids = s.train_ids.clone();
  ids[0] = 18;
  analysis::write_loce_set(dir + "/single.h5", s.vectors, ids, s.concept_names, "x");
  cases.push_back({"single", dir + "/single.h5", "", "only 1 LoCE"});
  // NaN in a vector.
  at::Tensor v = s.vectors.clone();
  v[7][2] = std::nanf("");
  analysis::write_loce_set(dir + "/nan.h5", v, s.train_ids, s.concept_names, "x");
  cases.push_back({"nan", dir + "/nan.h5", "", "NaN"});
  // k larger than N.
  analysis::write_loce_set(dir + "/ok.h5", s.vectors, s.train_ids, s.concept_names, "x");
  cases.push_back({"k", dir + "/ok.h5", "--k 41", "larger than the number"});
  // A decision grid of one cell per axis: refused by the option parser, not after the analysis.
  cases.push_back({"grid", dir + "/ok.h5", "--grid 1", "--grid: must be a whole number of at least 2"});
  // One concept: no inter-concept distance, degenerate scores.
  analysis::write_loce_set(dir + "/one_concept.h5", s.vectors, torch::zeros_like(s.train_ids),
                           s.concept_names, "x");
  cases.push_back({"one_concept", dir + "/one_concept.h5", "", "only one concept (road)"});
  // Vectors of no channels.
  analysis::write_loce_set(dir + "/no_channels.h5", s.vectors.narrow(1, 0, 0), s.train_ids,
                           s.concept_names, "x");
  cases.push_back({"no_channels", dir + "/no_channels.h5", "", "has no channels"});
  // One channel: no 2-D projection, found before the GMM (PCA used to fail at the end).
  analysis::write_loce_set(dir + "/one_channel.h5", s.vectors.narrow(1, 0, 1), s.train_ids,
                           s.concept_names, "x");
  cases.push_back({"one_channel", dir + "/one_channel.h5", "", "(use --no-projections)"});
  for (const auto& c : cases) {
    std::string out = dir + "/out_" + c.name + ".h5";
    auto r = analyze(c.path, out, c.extra);
    EXPECT_NE(r.exit_code, 0) << c.name << ": " << r.output;
    EXPECT_NE(r.output.find(c.expect), std::string::npos) << c.name << ": " << r.output;
    EXPECT_FALSE(fs::exists(out)) << c.name;
    for (const auto& e : fs::directory_iterator(dir))
      EXPECT_EQ(e.path().filename().string().find(".out_"), std::string::npos) << "temp file left";
  }
}

TEST(LoceSet, ReadsConceptsInTheAttributeOrder) {
  std::string dir = test::temp_dir("loce_set");
  auto s = analysis::make_synthetic_loces(50, 4, 5, 3);
  analysis::write_loce_set(dir + "/a.h5", s.vectors, s.train_ids, s.concept_names, "barlow");
  analysis::LoceSet set = analysis::read_loce_set(dir + "/a.h5");
  EXPECT_EQ(set.concept_names, (std::vector<std::string>{"road", "building", "vegetation", "car", "person"}));
  EXPECT_EQ(set.concept_train_ids, (std::vector<int64_t>{0, 2, 8, 13, 11}));
  EXPECT_EQ(set.method, "barlow");
  // Concept index i <-> trainId concept_train_ids[i].
  at::Tensor back = torch::tensor(set.concept_train_ids).index_select(0, set.concept_index);
  EXPECT_TRUE(back.equal(s.train_ids.to(torch::kInt64)));
}

TEST(LoceSet, WarnsAboutNamedConceptsWithoutLoces) {
  const std::string file = test::temp_dir("loce_set_missing") + "/a.h5";
  auto s = analysis::make_synthetic_loces(30, 4, 3, 3);  // road, building, vegetation
  std::vector<std::string> named = s.concept_names;
  named.insert(named.begin() + 1, "person");  // a Cityscapes class without LoCEs
  named.push_back("sky_scraper");             // no Cityscapes class
  analysis::write_loce_set(file, s.vectors, s.train_ids, named, "x");
  testing::internal::CaptureStderr();
  analysis::LoceSet set = analysis::read_loce_set(file);
  const std::string log = testing::internal::GetCapturedStderr();
  EXPECT_EQ(set.concept_names, s.concept_names);
  const std::string no_loces =
      "warning: " + file + ": concept 'person' is in the concepts attribute but has no LoCE";
  EXPECT_NE(log.find(no_loces), std::string::npos) << log;
  EXPECT_NE(log.find("concept 'sky_scraper' in the concepts attribute is not a Cityscapes class"),
            std::string::npos) << log;
  for (const auto& present : s.concept_names)
    EXPECT_EQ(log.find("'" + present + "'"), std::string::npos) << log;
}

namespace {
analysis::MethodResults method_with(const std::string& name, double separability, double miou) {
  analysis::MethodResults m;
  m.method = name;
  m.metrics = {{"separability_ratio", separability}};
  m.miou = miou;
  return m;
}
}  // namespace

TEST(Table1Report, SpearmanUsesOnlyMethodsWithFiniteSeparabilityAndMiou) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  // barlow's NaN separability (a degenerate results file) takes no part: dae and rpl rank alike.
  auto r = analysis::make_table1_report(
      {method_with("dae", 5.0, 0.46), method_with("barlow", nan, 0.42), method_with("rpl", 3.0, 0.35)});
  EXPECT_DOUBLE_EQ(r.separability_miou_spearman, 1.0);
  EXPECT_NE(r.markdown.find("ours 1.000 (2 methods with a finite separability ratio and mIoU)"),
            std::string::npos) << r.markdown;
  // One usable method: no correlation, and the report says why.
  r = analysis::make_table1_report({method_with("dae", 5.0, 0.46), method_with("barlow", nan, 0.42)});
  EXPECT_TRUE(std::isnan(r.separability_miou_spearman));
  EXPECT_NE(r.markdown.find("ours - (needs at least 2 methods with a finite separability ratio and "
                            "mIoU, 1 here)"),
            std::string::npos) << r.markdown;
  EXPECT_TRUE(std::isnan(analysis::spearman_correlation({1.0, nan, 3.0}, {0.1, 0.2, 0.3})));
}

TEST(AnalyzeCli, AnUnusableOutIsRefusedBeforeAnyWork) {
  // The results file is written only at the end: each of these used to cost the whole GMM and
  // UMAP first (or, --out being the input, destroyed the LoCEs).
  const std::string dir = test::temp_dir("analyze_out");
  auto s = analysis::make_synthetic_loces(40, 4, 3, 2);
  const std::string in = dir + "/in.h5";
  analysis::write_loce_set(in, s.vectors, s.train_ids, s.concept_names, "x");
  fs::create_directories(dir + "/folder");
  fs::create_symlink(in, dir + "/link.h5");
  ASSERT_EQ(test::run_command("mkfifo " + dir + "/fifo.h5").exit_code, 0);
  ASSERT_EQ(test::run_command("touch " + dir + "/readonly.h5 && chmod a-w " + dir + "/readonly.h5")
                .exit_code,
            0);
  struct Case {
    std::string out, expect;
  };
  const std::vector<Case> cases = {
      {in, "results file: --out " + in + " is the input file"},
      {dir + "/folder/../in.h5", "is the input file"},
      {dir + "/link.h5", "is the input file"},
      {"''", "results file: --out is empty"},
      {dir + "/folder", "results file: --out " + dir + "/folder exists and is a folder"},
      {dir + "/fifo.h5", "exists and is a named pipe, not a regular file"},
      {dir + "/readonly.h5", "exists and is read-only"},
      {in + "/sub/out.h5", "cannot create folder"},
  };
  for (const auto& c : cases) {
    auto r = test::run_command(test::loce_binary() + " --threads 1 --log-level info analyze --in " +
                               in + " --out " + c.out + " --no-projections");
    EXPECT_NE(r.exit_code, 0) << c.out << ": " << r.output;
    EXPECT_NE(r.output.find(c.expect), std::string::npos) << c.out << ": " << r.output;
    EXPECT_EQ(r.output.find("GMM:"), std::string::npos) << c.out << ": work done first\n" << r.output;
  }
  EXPECT_TRUE(fs::is_fifo(dir + "/fifo.h5"));
  EXPECT_TRUE(fs::is_directory(dir + "/folder"));
  h5::File f = h5::File::open(in);
  EXPECT_TRUE(h5::exists(f, "/loce/vectors"));
  EXPECT_FALSE(h5::exists(f, "/analysis"));
}

TEST(AnalyzeCli, ConceptIdsAndSizesOutsideTheSchemaAreOneLineErrors) {
  const std::string dir = test::temp_dir("analyze_ids");
  auto s = analysis::make_synthetic_loces(40, 4, 3, 2);
  struct Case {
    std::string name;
    at::Tensor ids;
    std::string extra, expect;
  };
  auto with = [&](int64_t row, int64_t id) {
    at::Tensor t = s.train_ids.to(torch::kInt64).clone();
    t[row] = id;
    return t;
  };
  std::vector<Case> cases = {
      // A sparse id used to size a dense table: 2e9 ids -> 16 GB.
      {"huge", with(5, 2000000000), "", ":/loce/concept row 5 is 2000000000; concepts must be "
                                        "Cityscapes trainIds 0..18 or -1 (unknown) (1 such rows)"},
      {"255", with(3, 255), "", "row 3 is 255"},
      {"minus7", with(0, -7), "", "row 0 is -7"},
      // Truncated onto real classes (0.7 -> road, 2.7 -> building) without a word.
      {"float", s.train_ids.to(torch::kFloat32) + 0.7, "", "must hold integer trainIds, not 32-bit floating point"},
      {"grid", s.train_ids, "--grid 100000", "--grid must lie in 2..2000"},
      // Like --k: a neighbour count no point can have.
      {"knn", s.train_ids, "--knn 1000 --no-projections", "--knn 1000 is larger than the number of other LoCEs (39)"},
  };
  for (const auto& c : cases) {
    const std::string in = dir + "/" + c.name + ".h5";
    h5::File f = h5::File::create(in);
    h5::write_tensor(f, "/loce/vectors", s.vectors);
    h5::write_tensor(f, "/loce/concept", c.ids);
    f.close();
    const std::string out = dir + "/out_" + c.name + ".h5";
    auto r = analyze(in, out, c.extra);
    EXPECT_NE(r.exit_code, 0) << c.name << ": " << r.output;
    EXPECT_NE(r.output.find(c.expect), std::string::npos) << c.name << ": " << r.output;
    EXPECT_EQ(r.output.find('\n'), r.output.size() - 1) << c.name << ": not one line\n" << r.output;
    EXPECT_FALSE(fs::exists(out)) << c.name;
  }
  // --knn n - 1 is the largest that is accepted.
  analysis::write_loce_set(dir + "/ok.h5", s.vectors, s.train_ids, s.concept_names, "x");
  auto r = analyze(dir + "/ok.h5", dir + "/knn39.h5", "--knn 39 --no-projections");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  // The default (5) on 4 LoCEs is lowered to 3, and the log says so.
  analysis::write_loce_set(dir + "/four.h5", s.vectors.narrow(0, 0, 4), torch::tensor({0, 0, 2, 2}),
                           {"road", "building"}, "x");
  r = analyze(dir + "/four.h5", dir + "/four_out.h5", "--no-projections");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("kNN accuracy over 3 neighbours (the default --knn 5"), std::string::npos)
      << r.output;
}

TEST(AnalyzeCli, LibTorchErrorsAreOneLine) {
  // A LibTorch exception (here: a 4 EiB allocation for a huge, unwritten /loce/vectors) is
  // printed without its C++ stack trace.
  const std::string dir = test::temp_dir("analyze_c10");
  const std::string in = dir + "/huge.h5";
  {
    hid_t file = H5Fcreate(in.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hid_t group = H5Gcreate2(file, "loce", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    hsize_t dims[2] = {hsize_t(1) << 40, hsize_t(1) << 20}, chunk[2] = {1, 1024};
    hid_t space = H5Screate_simple(2, dims, nullptr);
    hid_t plist = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(plist, 2, chunk);
    hid_t ds = H5Dcreate2(group, "vectors", H5T_NATIVE_FLOAT, space, H5P_DEFAULT, plist, H5P_DEFAULT);
    ASSERT_GE(ds, 0);
    H5Dclose(ds);
    H5Pclose(plist);
    H5Sclose(space);
    hsize_t n = 4;
    space = H5Screate_simple(1, &n, nullptr);
    int ids[4] = {0, 0, 1, 1};
    ds = H5Dcreate2(group, "concept", H5T_NATIVE_INT, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite(ds, H5T_NATIVE_INT, H5S_ALL, H5S_ALL, H5P_DEFAULT, ids);
    H5Dclose(ds);
    H5Sclose(space);
    H5Gclose(group);
    H5Fclose(file);
  }
  auto r = analyze(in, dir + "/out.h5", "--no-projections");
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("error: "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("allocate"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("frame #"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find('\n'), r.output.size() - 1) << "not one line:\n" << r.output;
}

TEST(AnalyzeCli, InfiniteMetricsAreStringsInJsonNotNull) {
  // LoCEs identical within each concept give intra 0 and separability +inf: JSON has no
  // infinity, and null is what an undefined (NaN) metric is written as. Inf is the string "inf".
  analysis::AnalysisResult r;
  r.method = "dae";
  r.separation.separability_ratio = std::numeric_limits<double>::infinity();
  r.separation.inter_mean = std::numeric_limits<double>::quiet_NaN();
  r.silhouette = -std::numeric_limits<double>::infinity();
  r.unknown_left_out = 2;
  const std::string json = analysis::metrics_json(r);
  EXPECT_NE(json.find("\"separability_ratio\": \"inf\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"silhouette\": \"-inf\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"inter_mean\": null"), std::string::npos) << json;
  EXPECT_NE(json.find("\"unknown_left_out\": 2"), std::string::npos) << json;
}

TEST(LoceSet, UnknownConceptIsLeftOutAndCounted) {
  // embed writes pairs of unknown concept as trainId -1, named "unknown": not a third concept.
  const std::string file = test::temp_dir("loce_set_unknown") + "/a.h5";
  auto s = analysis::make_synthetic_loces(30, 4, 2, 3);  // road, building
  at::Tensor ids = s.train_ids.to(torch::kInt64).clone();
  ids[0] = ids[7] = ids[29] = -1;
  std::vector<std::string> named = s.concept_names;
  named.push_back("unknown");
  analysis::write_loce_set(file, s.vectors, ids, named, "x");
  testing::internal::CaptureStderr();
  analysis::LoceSet set = analysis::read_loce_set(file);
  const std::string log = testing::internal::GetCapturedStderr();
  EXPECT_EQ(set.concept_names, s.concept_names);
  EXPECT_EQ(set.size(), 27);
  EXPECT_EQ(set.unknown_left_out, 3);
  EXPECT_NE(log.find("3 of 30 LoCEs are of unknown concept (trainId -1) and are left out"),
            std::string::npos) << log;
  EXPECT_EQ(log.find("not a Cityscapes class"), std::string::npos) << log;
  // The rows kept, and the columns that go with them.
  at::Tensor keep = ids.ne(-1).nonzero().flatten();
  EXPECT_TRUE(set.rows.equal(keep));
  EXPECT_TRUE(set.vectors.equal(s.vectors.index_select(0, keep)));
  EXPECT_TRUE(set.image.to(torch::kInt64).equal(keep));
  at::Tensor back = torch::tensor(set.concept_train_ids).index_select(0, set.concept_index);
  EXPECT_TRUE(back.equal(ids.index_select(0, keep)));
  // Only unknown LoCEs: nothing to analyse.
  analysis::write_loce_set(file, s.vectors, torch::full({30}, -1, torch::kInt64), {"unknown"}, "x");
  EXPECT_THROW(analysis::read_loce_set(file), InputError);
}

namespace {
// A minimal results file of `loce analyze` (what the report reads), in a run folder.
std::string results_run(const std::string& dir, const std::string& method, double separability) {
  fs::create_directories(dir);
  h5::File f = h5::File::create(dir + "/analysis.h5");
  h5::set_attr(f, "/analysis", "method", method);
  h5::set_attr(f, "/analysis", "concepts", std::vector<std::string>{"road", "car"});
  h5::set_attr(f, "/analysis/metrics", "separability_ratio", separability);
  f.close();
  return dir;
}
}  // namespace

TEST(Table1Report, ReadsTopLevelEvalKeysOfStrictJson) {
  const std::string run = results_run(test::temp_dir("report_eval") + "/dae", "dae", 5.0);
  // Only the top-level "miou" counts, not one inside per_class_iou; null is "-".
  std::ofstream(run + "/eval.json")
      << "{\"per_class_iou\": {\"miou\": 0.99, \"x\": [1, {\"pixel_acc\": 2}]}, \"miou\": 0.5,\n"
         " \"pixel_acc\": null, \"split\": \"val\\\"x\", \"resolution\": [64, 128]}";
  analysis::MethodResults m = analysis::read_method_results(run);
  ASSERT_TRUE(m.miou.has_value());
  EXPECT_DOUBLE_EQ(*m.miou, 0.5);
  EXPECT_FALSE(m.pixel_acc.has_value());

  // A damaged eval.json is an error naming it, not a silent "-".
  for (const char* bad : {"{\"miou\": \"abc\", garbage", "{\"miou\": 0.5, \"pixel_acc\": NaN}",
                                "{\"miou\": 0.5,}", "{\"miou\": 0.5} x", "[0.5]", "",
                                "{\"miou\": 0.5, \"miou\": 0.6}", "{\"miou\": 01}"}) {
    std::ofstream(run + "/eval.json") << bad;
    try {
      analysis::read_method_results(run);
      ADD_FAILURE() << bad << ": accepted";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(run + "/eval.json: not valid JSON at byte"),
                std::string::npos) << bad << ": " << e.what();
    }
  }
  std::ofstream(run + "/eval.json") << "{\"miou\": \"0.5\", \"pixel_acc\": 0.8}";
  EXPECT_THROW(analysis::read_method_results(run), InputError);
  auto rep = test::run_command(test::loce_binary() + " --log-level warn report " + run + " --out " +
                               run + "/report");
  EXPECT_NE(rep.exit_code, 0);
  EXPECT_NE(rep.output.find(run + "/eval.json: \"miou\" must be a number or null"),
            std::string::npos) << rep.output;
  EXPECT_EQ(rep.output.find('\n'), rep.output.size() - 1) << rep.output;

  // Scores are fractions; an escaped key is the key it spells.
  for (const char* bad : {"{\"miou\": -5, \"pixel_acc\": 0.8}", "{\"miou\": 1e999}",
                          "{\"miou\": 0.5, \"pixel_acc\": 7}"})
    EXPECT_NE(test::input_error([&] {
                std::ofstream(run + "/eval.json") << bad;
                analysis::read_method_results(run);
              }).find("not a fraction in [0, 1]"),
              std::string::npos) << bad;
  std::ofstream(run + "/eval.json") << "{\"mi\\u006fu\": 0.25, \"pixel_acc\": 0.5}";
  m = analysis::read_method_results(run);
  ASSERT_TRUE(m.miou.has_value());
  EXPECT_DOUBLE_EQ(*m.miou, 0.25);
  // A results file given instead of its folder finds the eval.json beside it.
  m = analysis::read_method_results(run + "/analysis.h5");
  ASSERT_TRUE(m.miou.has_value());
  EXPECT_DOUBLE_EQ(*m.miou, 0.25);

  // A missing one stays "-", and the report says so once.
  fs::remove(run + "/eval.json");
  testing::internal::CaptureStderr();
  m = analysis::read_method_results(run);
  const std::string log = testing::internal::GetCapturedStderr();
  EXPECT_FALSE(m.miou.has_value());
  EXPECT_NE(log.find(run + ": no eval.json"), std::string::npos) << log;
  EXPECT_EQ(log.find('\n'), log.size() - 1) << log;
}

TEST(Table1Report, ARunOrMethodGivenTwiceIsRefused) {
  const std::string dir = test::temp_dir("report_twice");
  const std::string dae = results_run(dir + "/dae", "dae", 5.0);
  results_run(dir + "/dae2", "denoising_ae", 4.0);  // the same method by another spelling
  std::ofstream(dae + "/eval.json") << "{\"miou\": 0.45, \"pixel_acc\": 0.87}";
  auto twice = [&](const std::vector<std::string>& runs) {
    std::vector<analysis::MethodResults> m;
    for (const auto& r : runs) m.push_back(analysis::read_method_results(r));
    try {
      analysis::make_table1_report(m);
      return std::string("accepted");
    } catch (const InputError& e) {
      return std::string(e.what());
    }
  };
  EXPECT_NE(twice({dae, dae}).find("is given twice"), std::string::npos) << twice({dae, dae});
  EXPECT_NE(twice({dae, dae + "/"}).find("is given twice"), std::string::npos);
  EXPECT_NE(twice({dae, dir + "/./dae/analysis.h5"}).find("is given twice"), std::string::npos);
  EXPECT_NE(twice({dae, dir + "/dae2"}).find("two results of method 'dae'"), std::string::npos)
      << twice({dae, dir + "/dae2"});
  auto rep = test::run_command(test::loce_binary() + " --log-level warn report " + dae + " " + dae +
                               " --out " + dir + "/report");
  EXPECT_NE(rep.exit_code, 0);
  EXPECT_NE(rep.output.find("is given twice"), std::string::npos) << rep.output;
  EXPECT_FALSE(fs::exists(dir + "/report/table1.md"));
}

TEST(Table1Report, MethodNamesAreQuotedInCsvAndEscapedInMarkdown) {
  // The method comes from a file attribute: a comma, quote or '|' must not add columns.
  auto r = analysis::make_table1_report(
      {method_with("dae, v2|x", 5.0, 0.46), method_with("say \"hi\"", 3.0, 0.35)});
  const std::string header = r.csv.substr(0, r.csv.find('\n'));
  EXPECT_EQ(header, "metric,\"dae, v2|x_ours\",\"dae, v2|x_paper\",\"say \"\"hi\"\"_ours\","
                    "\"say \"\"hi\"\"_paper\"");
  const std::string md_header = r.markdown.substr(0, r.markdown.find('\n'));
  EXPECT_EQ(md_header, "| metric | dae, v2\\|x (ours) | dae, v2\\|x (paper) | say \"hi\" (ours) | "
                       "say \"hi\" (paper) |");
  // Every Markdown row has as many unescaped '|' as the header.
  auto bars = [](const std::string& line) {
    int n = 0;
    for (size_t i = 0; i < line.size(); ++i) n += line[i] == '|' && (i == 0 || line[i - 1] != '\\');
    return n;
  };
  std::istringstream md(r.markdown);
  std::string line;
  std::getline(md, line);
  const int columns = bars(line);
  while (std::getline(md, line) && !line.empty()) EXPECT_EQ(bars(line), columns) << line;
}
