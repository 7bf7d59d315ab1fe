#include "data/stats.h"

#include <torch/torch.h>

#include <cstdio>
#include <sstream>

#include "core/json.h"
#include "core/progress.h"
#include "data/cache.h"
#include "data/cityscapes.h"

namespace loce::data {
namespace {

// Accumulates one trainId label map into the statistics (image `row` of the split).
void count_image(const at::Tensor& train_ids, int64_t row, SplitStats& s,
                 std::vector<int64_t>& present_flat) {
  at::Tensor ids = train_ids.to(torch::kLong).flatten();
  ids = torch::where(ids == kIgnore, torch::full_like(ids, kNumClasses), ids);
  at::Tensor counts = torch::bincount(ids, {}, kNumClasses + 1);
  auto c = counts.accessor<int64_t, 1>();
  for (int k = 0; k <= kNumClasses; ++k) s.pixels[k] += c[k];
  for (size_t j = 0; j < s.concepts.size(); ++j)
    present_flat[row * s.concepts.size() + j] = c[class_id(s.concepts[j])] > 0 ? 1 : 0;
}

// Shares the work: rank r handles rows r, r + W, ...; sums and presence are reduced.
template <class LoadFn>
void collect(SplitStats& s, int64_t n, dist::Communicator& comm, LoadFn load) {
  s.images = n;
  s.concepts = default_concepts();
  std::vector<int64_t> present(n * s.concepts.size(), 0);
  Progress progress("stats", n, "img");
  for (int64_t i = comm.rank(); i < n; i += comm.size()) {
    count_image(load(i), i, s, present);
    progress.advance(comm.size());
  }
  progress.finish();
  at::Tensor pixels = torch::from_blob(s.pixels.data(), {kNumClasses + 1}, torch::kLong).clone();
  at::Tensor flags = torch::from_blob(present.data(), {int64_t(present.size())}, torch::kLong).clone();
  comm.all_reduce(pixels);
  comm.all_reduce(flags);
  for (int k = 0; k <= kNumClasses; ++k) s.pixels[k] = pixels[k].item<int64_t>();
  s.present.assign(n, std::vector<bool>(s.concepts.size()));
  auto f = flags.accessor<int64_t, 1>();
  for (int64_t i = 0; i < n; ++i)
    for (size_t j = 0; j < s.concepts.size(); ++j) s.present[i][j] = f[i * s.concepts.size() + j] != 0;
}

}  // namespace

SplitStats stats_from_cityscapes(const std::string& root, const std::string& split,
                                 dist::Communicator& comm) {
  SplitStats s;
  s.source = root;
  s.split = split;
  auto frames = scan_cityscapes(root, split);
  for (const auto& f : frames) s.names.push_back(f.name);
  collect(s, int64_t(frames.size()), comm, [&](int64_t i) { return load_frame(frames[i]).labels; });
  return s;
}

SplitStats stats_from_cache(const std::string& path, const std::string& split,
                            dist::Communicator& comm) {
  SplitStats s;
  s.source = path;
  s.split = split;
  Cache cache(path);
  s.names = cache.names(split);
  collect(s, cache.size(split), comm, [&](int64_t i) { return cache.read_range(split, i, 1).labels[0]; });
  return s;
}

std::string stats_to_json(const SplitStats& s) {
  int64_t total = 0;
  for (auto p : s.pixels) total += p;
  std::ostringstream o;
  o.precision(8);
  o << "{\"source\": " << json_string(s.source) << ", \"split\": " << json_string(s.split)
    << ", \"images\": " << s.images << ", \"pixels\": {";
  const auto& names = class_names();
  for (int k = 0; k <= kNumClasses; ++k)
    o << (k ? ", " : "") << "\"" << (k < kNumClasses ? names[k] : "ignore") << "\": " << s.pixels[k];
  o << "}, \"fractions\": {";
  for (int k = 0; k <= kNumClasses; ++k)
    o << (k ? ", " : "") << "\"" << (k < kNumClasses ? names[k] : "ignore")
      << "\": " << (total ? double(s.pixels[k]) / total : 0.0);
  o << "}, \"presence\": {";
  for (size_t j = 0; j < s.concepts.size(); ++j) {
    int64_t n = 0;
    for (const auto& row : s.present) n += row[j];
    o << (j ? ", " : "") << json_string(s.concepts[j]) << ": " << n;
  }
  o << "}, \"per_image\": [";
  for (size_t i = 0; i < s.present.size(); ++i) {
    o << (i ? ", " : "") << "{\"name\": " << json_string(s.names[i]) << ", \"concepts\": [";
    bool first = true;
    for (size_t j = 0; j < s.concepts.size(); ++j)
      if (s.present[i][j])
        o << (first ? "" : ", ") << json_string(s.concepts[j]), first = false;
    o << "]}";
  }
  o << "]}";
  return o.str();
}

std::string stats_to_text(const SplitStats& s, bool per_image) {
  int64_t total = 0;
  for (auto p : s.pixels) total += p;
  std::ostringstream o;
  char line[128];
  o << s.source << " [" << s.split << "]: " << s.images << " images, " << total << " pixels\n";
  o << "  trainId  class            pixels        fraction\n";
  const auto& names = class_names();
  for (int k = 0; k <= kNumClasses; ++k) {
    std::snprintf(line, sizeof line, "  %7s  %-15s %13lld  %8.4f%%\n",
                  k < kNumClasses ? std::to_string(k).c_str() : "255",
                  k < kNumClasses ? names[k].c_str() : "(ignore)", (long long)s.pixels[k],
                  total ? 100.0 * s.pixels[k] / total : 0.0);
    o << line;
  }
  o << "  concept presence (images showing it):";
  for (size_t j = 0; j < s.concepts.size(); ++j) {
    int64_t n = 0;
    for (const auto& row : s.present) n += row[j];
    o << (j ? "," : "") << " " << s.concepts[j] << " " << n << "/" << s.images;
  }
  o << "\n";
  if (per_image) {
    o << "  concepts per image:\n";
    for (size_t i = 0; i < s.present.size(); ++i) {
      o << "    " << s.names[i] << ":";
      for (size_t j = 0; j < s.concepts.size(); ++j)
        if (s.present[i][j]) o << " " << s.concepts[j];
      o << "\n";
    }
  }
  return o.str();
}

}  // namespace loce::data
