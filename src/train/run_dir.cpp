#include "train/run_dir.h"

#include <torch/torch.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <regex>
#include <sstream>

#include "core/error.h"
#include "core/seed_text.h"
#include "data/cache.h"
#include "train/checkpoint.h"

namespace fs = std::filesystem;

namespace loce::train {

std::string checkpoints_dir(const std::string& run_dir) {
  return (fs::path(run_dir) / "checkpoints").string();
}

std::string checkpoint_path(const std::string& run_dir, int64_t step) {
  char name[64];
  std::snprintf(name, sizeof(name), "ckpt-%08lld.bin", static_cast<long long>(step));
  return (fs::path(checkpoints_dir(run_dir)) / name).string();
}

std::string curves_path(const std::string& run_dir) { return (fs::path(run_dir) / "train.h5").string(); }
std::string run_info_path(const std::string& run_dir) { return (fs::path(run_dir) / "run.json").string(); }
std::string lock_path(const std::string& run_dir) { return (fs::path(run_dir) / "train.lock").string(); }

std::vector<std::string> list_checkpoints(const std::string& run_dir) {
  std::vector<std::string> out;
  std::error_code ec;
  if (!fs::is_directory(checkpoints_dir(run_dir), ec)) return out;
  static const std::regex pattern(R"(ckpt-\d{8}\.bin)");
  for (const auto& entry : fs::directory_iterator(checkpoints_dir(run_dir), ec))
    if (entry.is_regular_file() && std::regex_match(entry.path().filename().string(), pattern))
      out.push_back(entry.path().string());
  std::sort(out.begin(), out.end());  // zero-padded steps sort by name
  return out;
}

std::string newest_checkpoint(const std::string& run_dir) {
  auto all = list_checkpoints(run_dir);
  if (all.empty()) bad_input("no checkpoint in ", checkpoints_dir(run_dir));
  return all.back();
}

std::string resolve_checkpoint(const std::string& path) {
  std::error_code ec;
  if (fs::is_regular_file(path, ec)) return path;
  if (fs::is_directory(path, ec)) return newest_checkpoint(path);
  bad_input("no run folder or checkpoint at ", path);
}

TrainConfig config_from_entries(const ConfigEntries& entries) {
  TrainConfig c;
  for (const auto& [key, value] : entries) {
    auto as_int = [&, &key = key, &value = value]() -> int64_t {
      try { return std::stoll(value); } catch (...) { bad_input("config key ", key, ": bad integer '", value, "'"); }
    };
    auto as_seed = [&, &value = value]() -> uint64_t {
      if (auto seed = parse_seed(value)) return *seed;
      bad_input("config key seed: bad seed '", value, "'");
    };
    auto as_double = [&, &key = key, &value = value]() -> double {
      try { return std::stod(value); } catch (...) { bad_input("config key ", key, ": bad number '", value, "'"); }
    };
    if (key == "method") c.method = value;
    else if (key == "data") c.data = value;
    else if (key == "split") c.split = value;
    else if (key == "encoder_run") c.encoder_run = value;
    else if (key == "seed") c.seed = as_seed();
    else if (key == "base_width") c.base_width = as_int();
    else if (key == "depth") c.depth = as_int();
    else if (key == "bilinear") c.bilinear = value == "1";
    else if (key == "projector") c.projector = value;
    else if (key == "classifier_hidden") c.classifier_hidden = as_int();
    else if (key == "batch_size") c.batch_size = as_int();
    else if (key == "steps") c.steps = as_int();
    else if (key == "epochs") c.epochs = as_int();
    else if (key == "optimizer") c.optimizer = value;
    else if (key == "lr") c.lr = as_double();
    else if (key == "weight_decay") c.weight_decay = as_double();
    else if (key == "rpl_grid") c.task.rpl_grid = as_int();
    else if (key == "image_height") c.image_height = as_int();
    else if (key == "image_width") c.image_width = as_int();
    else if (key == "data_fingerprint") c.data_fingerprint = value;
    else if (key == "threads") c.threads = as_int();
  }
  return c;
}

LoadedRun load_run(const std::string& run_dir_or_checkpoint, const models::HeadSet& heads,
                   const c10::Device& device) {
  const std::string checkpoint = resolve_checkpoint(run_dir_or_checkpoint);
  return load_run(read_checkpoint(checkpoint), checkpoint, heads, device);
}

LoadedRun load_run(const RunState& state, const std::string& checkpoint,
                   const models::HeadSet& heads, const c10::Device& device) {
  LoadedRun run;
  run.checkpoint = checkpoint;
  run.method = state.method;
  run.kind = state.kind;
  run.step = state.step;
  run.total_steps = state.total_steps;
  run.entries = state.config;
  run.config = config_from_entries(state.config);
  // The usual slip, said plainly rather than as LibTorch's missing-submodule message.
  if (heads.segmentation && state.kind == "pretrain")
    bad_input(checkpoint, " is from a ", state.kind, " run (", state.method,
              "), which has no segmentation head: give a fine-tuned run (`loce finetune`)");
  run.network = models::Network(run.config.network_config(), heads);
  std::istringstream bytes(state.model);
  try {
    torch::load(run.network, bytes, device);  // not back onto the GPU that saved it
  } catch (const c10::Error& e) {
    bad_input("checkpoint ", run.checkpoint, " (method ", state.method,
              ") lacks a part the caller needs: ", e.what_without_backtrace());
  }
  run.network->to(device);
  run.network->eval();
  for (auto& p : run.network->parameters()) p.set_requires_grad(false);
  return run;
}

models::UNetEncoder load_encoder(const std::string& run_dir_or_checkpoint,
                                 const c10::Device& device) {
  return load_run(run_dir_or_checkpoint, models::HeadSet{}, device).network->encoder;
}

void check_cache_matches_run(const LoadedRun& run, const std::string& cache_path) {
  const int h = int(run.config.image_height), w = int(run.config.image_width);
  if (h <= 0 || w <= 0) return;  // a run written before the size was recorded
  data::Cache cache(cache_path);
  if (cache.height() != h || cache.width() != w)
    bad_input(cache_path, ": cache holds ", cache.height(), "x", cache.width(), " images but the run ",
              run.checkpoint, " was trained on ", h, "x", w, "; use a cache prepared at ", h, "x", w);
}

}  // namespace loce::train
