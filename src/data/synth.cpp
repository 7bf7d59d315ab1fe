// Options, file layout and the parallel writer of the synthetic Cityscapes stand-in; the scene
// itself is painted in synth_scene.cpp.
#include "data/synth.h"

#include <torch/torch.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <mutex>
#include <thread>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/log.h"
#include "core/progress.h"
#include "core/seed.h"
#include "data/labels.h"
#include "data/png.h"

namespace fs = std::filesystem;

namespace loce::data {

namespace {

constexpr int kMinSide = 16;
constexpr int kMaxSide = 8192;
constexpr int64_t kMaxImagesPerSplit = 1000000;  // keeps <seq> within six digits per city
// Every synthetic frame is number 19 of its sequence, as in most of Cityscapes' train split.
constexpr int kFrameNumber = 19;

uint64_t split_stream(const std::string& split) {
  if (split == "train") return 1;
  if (split == "val") return 2;
  bad_input("synth: unknown split '", split, "' (expected train or val)");
}

// Removes the half-built dataset unless generation got to the end.
struct TempFolder {
  fs::path path;
  bool keep = false;
  ~TempFolder() {
    std::error_code ec;
    if (!keep) fs::remove_all(path, ec);
  }
};

struct Job {
  std::string split;
  int64_t index;
};

void write_frame(const fs::path& root, const SynthOptions& o, const Job& job,
                 const std::array<uint8_t, 256>& to_train) {
  SynthFrameName name = synth_frame_name(job.split, job.index);
  SynthScene scene = render_synthetic_scene(synth_scene_seed(o.seed, job.split, job.index),
                                            o.height, o.width);
  const int64_t h = scene.height, w = scene.width;
  fs::path image_dir = root / "leftImg8bit" / job.split / name.city;
  fs::path label_dir = root / "gtFine" / job.split / name.city;
  std::vector<uint8_t> train_ids(scene.label_ids.size());
  std::transform(scene.label_ids.begin(), scene.label_ids.end(), train_ids.begin(),
                 [&](uint8_t v) { return to_train[v]; });
  auto u8 = at::TensorOptions().dtype(at::kByte);
  write_png((image_dir / (name.stem + "_leftImg8bit.png")).string(),
            at::from_blob(scene.rgb.data(), {h, w, 3}, u8));
  write_png((label_dir / (name.stem + "_gtFine_labelIds.png")).string(),
            at::from_blob(scene.label_ids.data(), {h, w}, u8));
  write_png((label_dir / (name.stem + "_gtFine_labelTrainIds.png")).string(),
            at::from_blob(train_ids.data(), {h, w}, u8));
  write_png((label_dir / (name.stem + "_gtFine_instanceIds.png")).string(),
            at::from_blob(scene.instance_ids.data(), {h, w}, at::TensorOptions().dtype(at::kInt)));
}

}  // namespace

const std::vector<std::string>& synth_cities(const std::string& split) {
  // Made-up names, so a synthetic frame is never mistaken for a real one.
  static const std::vector<std::string> train = {"ashbury", "brookhaven", "coldwater", "dunmore",
                                                 "eastwick", "fairport"};
  static const std::vector<std::string> val = {"frankwald", "lindenau", "munsterfeld"};
  if (split == "train") return train;
  if (split == "val") return val;
  bad_input("synth: unknown split '", split, "' (expected train or val)");
}

SynthFrameName synth_frame_name(const std::string& split, int64_t index) {
  const auto& cities = synth_cities(split);
  if (index < 0) bad_input("synth: negative image index ", index);
  const std::string& city = cities[size_t(index % int64_t(cities.size()))];
  int64_t seq = index / int64_t(cities.size());
  char buf[64];
  std::snprintf(buf, sizeof buf, "_%06lld_%06d", (long long)seq, kFrameNumber);
  return {city, city + buf};
}

uint64_t synth_scene_seed(uint64_t seed, const std::string& split, int64_t index) {
  return derive_seed(seed, split_stream(split), uint64_t(index));
}

void validate_synth_options(const SynthOptions& o) {
  if (o.out.empty()) bad_input("synth: --out is required (the dataset root to create)");
  if (o.train < 0) bad_input("synth: --train must be >= 0, got ", o.train);
  if (o.val < 0) bad_input("synth: --val must be >= 0, got ", o.val);
  if (o.train + o.val == 0) bad_input("synth: --train and --val are both 0: nothing to generate");
  if (o.train > kMaxImagesPerSplit || o.val > kMaxImagesPerSplit)
    bad_input("synth: at most ", kMaxImagesPerSplit, " images per split, got --train ", o.train,
              " --val ", o.val);
  if (o.height < kMinSide || o.width < kMinSide || o.height > kMaxSide || o.width > kMaxSide)
    bad_input("synth: --height and --width must be in ", kMinSide, "..", kMaxSide, ", got ",
              o.height, "x", o.width);
  if (o.threads < 0) bad_input("synth: threads must be >= 0, got ", o.threads);
  std::error_code ec;
  fs::path out(o.out);
  if (fs::exists(out, ec)) {
    if (!fs::is_directory(out, ec)) bad_input("synth: --out ", o.out, " exists and is not a folder");
    if (!fs::is_empty(out, ec) && !o.force)
      bad_input("synth: --out ", o.out, " exists and is not empty (use --force to replace it)");
  }
}

void generate_synthetic_cityscapes(const SynthOptions& o) {
  validate_synth_options(o);
  fs::path out = fs::absolute(fs::path(o.out)).lexically_normal();
  if (out.filename().empty()) out = out.parent_path();  // "dir/" -> "dir"
  ensure_parent_dir(out.string());
  // Built beside the destination (same file system, so the final rename is atomic) under a
  // name no reader looks for: ".<name>.synth.<host>.<pid>". A run that was killed leaves it
  // behind; the next run into the same --out removes those of dead processes of this host.
  remove_stale_temps(out.string(), ".synth.");
  fs::path tmp = out.parent_path() / cat(".", out.filename().string(), ".synth.", temp_owner_tag());
  std::error_code ec;
  fs::remove_all(tmp, ec);
  TempFolder guard{tmp};

  std::vector<Job> jobs;
  for (const std::string split : {"train", "val"}) {
    int64_t n = split == "train" ? o.train : o.val;
    for (int64_t i = 0; i < std::min<int64_t>(n, int64_t(synth_cities(split).size())); ++i) {
      SynthFrameName name = synth_frame_name(split, i);
      for (const char* tree : {"leftImg8bit", "gtFine"}) {
        fs::create_directories(tmp / tree / split / name.city, ec);
        if (ec)
          bad_input("synth: cannot create a folder under ", out.parent_path().string(), " (for --out ",
                    o.out, "): ", ec.message());
      }
    }
    for (int64_t i = 0; i < n; ++i) jobs.push_back({split, i});
  }

  int threads = o.threads > 0 ? o.threads : int(std::max(1u, std::thread::hardware_concurrency()));
  threads = int(std::min<int64_t>(threads, int64_t(jobs.size())));
  log::info("synth: generating ", o.train, " train + ", o.val, " val images of ", o.height, "x",
            o.width, " (seed ", o.seed, ", ", threads, " thread(s)) into ", out.string());

  const auto& to_train = label_to_train_lut();
  Progress progress("synth", int64_t(jobs.size()), "img");
  std::mutex mutex;  // guards progress and the first error
  std::exception_ptr error;
  std::atomic<size_t> next{0};
  std::atomic<bool> stop{false};
  auto worker = [&] {
    for (size_t j; !stop && (j = next++) < jobs.size();) {
      try {
        write_frame(tmp, o, jobs[j], to_train);
        std::lock_guard<std::mutex> lock(mutex);
        progress.advance();
      } catch (...) {
        std::lock_guard<std::mutex> lock(mutex);
        if (!error) error = std::current_exception();
        stop = true;
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);
  progress.finish();

  if (fs::exists(out, ec)) fs::remove_all(out);  // empty, or --force
  fs::rename(tmp, out, ec);
  if (ec) bad_input("synth: cannot move the new dataset into ", out.string(), ": ", ec.message());
  guard.keep = true;
  log::info("synth: wrote ", jobs.size(), " frames to ", out.string(), " in ",
            format_duration(progress.elapsed_seconds()));
}

}  // namespace loce::data
