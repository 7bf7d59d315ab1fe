#include "data/cache.h"

#include <torch/torch.h>

#include <algorithm>

#include "core/error.h"
#include "data/labels.h"

namespace loce::data {

Cache::Cache(const std::string& path, int expect_height, int expect_width)
    : path_(path), file_(h5::File::open(path)) {
  if (!h5::has_attr(file_, "/", "format") || h5::attr_string(file_, "/", "format") != kCacheFormat)
    bad_input(path, ": not a loce dataset cache (run `loce prepare` to make one)");
  int64_t version = h5::attr_int(file_, "/", "format_version");
  if (version != kCacheFormatVersion)
    bad_input(path, ": cache format version ", version, " but this loce reads version ",
              kCacheFormatVersion, "; re-run `loce prepare`");
  height_ = int(h5::attr_int(file_, "/", "height"));
  width_ = int(h5::attr_int(file_, "/", "width"));
  if ((expect_height > 0 && expect_height != height_) || (expect_width > 0 && expect_width != width_))
    bad_input(path, ": cache holds ", height_, "x", width_, " images but ", expect_height, "x",
              expect_width, " were asked for; prepare a cache at that size");
  splits_ = h5::attr_strings(file_, "/", "splits");
  for (const auto& s : splits_) {
    auto img = h5::shape(file_, "/" + s + "/images");
    auto lab = h5::shape(file_, "/" + s + "/labels");
    if (img.size() != 4 || img[1] != 3 || img[2] != height_ || img[3] != width_ ||
        lab.size() != 3 || lab[0] != img[0] || lab[1] != height_ || lab[2] != width_)
      bad_input(path, ": split '", s, "' has inconsistent dataset shapes (corrupt cache?)");
    // Bytes, as prepare writes them: HDF5 would convert floats in [0, 1] (or int16) to bytes
    // on reading without a word, and every score would be wrong.
    for (const char* data : {"images", "labels"}) {
      const at::ScalarType t = h5::stored_type(file_, "/" + s + "/" + data);
      if (t != at::kByte)
        bad_input(path, ": split '", s, "' stores ", data, " as ", h5::numpy_name(t),
                  ", not uint8 (not written by `loce prepare`; re-run it)");
    }
    // One name and one city per image: readers index them by image.
    for (const char* list : {"names", "cities"}) {
      auto len = h5::shape(file_, "/" + s + "/" + list);
      if (len.size() != 1 || len[0] != img[0])
        bad_input(path, ": split '", s, "' has ", img[0], " images but ",
                  len.size() == 1 ? len[0] : -1, " ", list, " (corrupt cache?)");
    }
  }
}

void Cache::check_labels(const std::string& split, const at::Tensor& labels,
                         const std::vector<int64_t>& rows) const {
  // trainIds are 0..kNumClasses-1 or kIgnore; anything else would be counted as some class (or
  // dropped) without a word. One pass over bytes already in memory.
  const at::Tensor bad = labels.ge(kNumClasses).logical_and_(labels.ne(kIgnore));
  if (!bad.any().item<bool>()) return;
  const int64_t flat = bad.flatten().nonzero()[0][0].item<int64_t>();
  const int64_t plane = int64_t(height_) * width_;
  const int64_t i = flat / plane, y = flat % plane / width_, x = flat % width_;
  const int value = labels.flatten()[flat].item<int>();
  const int64_t row = rows[size_t(i)];
  auto all = names(split);
  bad_input(path_, ": split '", split, "' image ", row, " (",
            row < int64_t(all.size()) ? all[size_t(row)] : "?", "): label value ", value,
            " at pixel (y ", y, ", x ", x, ") is not a trainId (0..", kNumClasses - 1, " or ",
            int(kIgnore), " = ignore); corrupt cache? re-run `loce prepare`");
}

bool Cache::has_split(const std::string& split) const {
  return std::find(splits_.begin(), splits_.end(), split) != splits_.end();
}

int64_t Cache::size(const std::string& split) const {
  if (!has_split(split)) {
    std::string all;
    for (const auto& s : splits_) all += (all.empty() ? "" : ", ") + s;
    bad_input(path_, ": no split '", split, "' in this cache (it has: ", all, ")");
  }
  return h5::shape(file_, "/" + split + "/images")[0];
}

std::vector<std::string> Cache::names(const std::string& split) const {
  size(split);
  return h5::read_strings(file_, "/" + split + "/names");
}

std::vector<std::string> Cache::cities(const std::string& split) const {
  size(split);
  return h5::read_strings(file_, "/" + split + "/cities");
}

Batch Cache::read_range(const std::string& split, int64_t first, int64_t count) const {
  int64_t n = size(split);
  if (first < 0 || count < 0 || first + count > n)
    bad_input(path_, ": rows [", first, ", ", first + count, ") outside split '", split,
              "' of ", n, " images");
  Batch b;
  b.images = h5::read_rows(file_, "/" + split + "/images", first, count);
  b.labels = h5::read_rows(file_, "/" + split + "/labels", first, count);
  for (int64_t i = 0; i < count; ++i) b.indices.push_back(first + i);
  check_labels(split, b.labels, b.indices);
  return b;
}

Batch Cache::read(const std::string& split, const std::vector<int64_t>& indices,
                  bool pinned) const {
  int64_t n = size(split);
  Batch b;
  const auto u8 = torch::TensorOptions().dtype(torch::kByte).pinned_memory(pinned);
  b.images = torch::empty({int64_t(indices.size()), 3, height_, width_}, u8);
  b.labels = torch::empty({int64_t(indices.size()), height_, width_}, u8);
  for (size_t i = 0; i < indices.size(); ++i) {
    int64_t row = indices[i];
    if (row < 0 || row >= n) bad_input(path_, ": image ", row, " outside split '", split, "'");
    b.images[i].copy_(h5::read_rows(file_, "/" + split + "/images", row, 1)[0]);
    b.labels[i].copy_(h5::read_rows(file_, "/" + split + "/labels", row, 1)[0]);
  }
  b.indices = indices;
  check_labels(split, b.labels, b.indices);
  return b;
}

}  // namespace loce::data
