#include "train/config.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <sstream>

#include "core/error.h"
#include "train/sha256.h"

namespace loce::train {

namespace {
template <class T>
std::string str(const T& v) {
  std::ostringstream os;
  os.precision(17);
  os << v;
  return os.str();
}
}  // namespace

std::vector<int64_t> parse_sizes(const std::string& text, const std::string& key) {
  std::vector<int64_t> out;
  std::stringstream ss(text);
  std::string part;
  while (std::getline(ss, part, '-')) {
    try {
      size_t used = 0;
      int64_t v = std::stoll(part, &used);
      if (used != part.size() || v <= 0) throw std::invalid_argument(part);
      out.push_back(v);
    } catch (const std::exception&) {
      bad_input(key, ": expected sizes like 2048-2048-2048, got '", text, "'");
    }
  }
  if (out.empty()) bad_input(key, ": expected sizes like 2048-2048-2048, got '", text, "'");
  return out;
}

models::NetworkConfig TrainConfig::network_config() const {
  models::NetworkConfig c;
  c.unet.base_width = base_width;
  c.unet.depth = depth;
  c.unet.bilinear = bilinear;
  c.projector_sizes = parse_sizes(projector, "projector");
  c.classifier_hidden = classifier_hidden;
  c.grid_cells = task.rpl_grid * task.rpl_grid;
  return c;
}

ConfigEntries TrainConfig::entries() const {
  ConfigEntries e{{"method", method},
                  {"data", data},
                  {"split", split},
                  {"encoder_run", encoder_run},
                  {"seed", str(seed)},
                  {"base_width", str(base_width)},
                  {"depth", str(depth)},
                  {"bilinear", str(bilinear)},
                  {"projector", projector},
                  {"classifier_hidden", str(classifier_hidden)},
                  {"batch_size", str(batch_size)},
                  {"steps", str(steps)},
                  {"epochs", str(epochs)},
                  {"optimizer", optimizer},
                  {"lr", str(lr)},
                  {"weight_decay", str(weight_decay)},
                  {"momentum", str(momentum)},
                  {"lars_eta", str(lars_eta)},
                  {"warmup_steps", str(warmup_steps)},
                  {"final_lr_fraction", str(final_lr_fraction)},
                  {"clip_grad_norm", str(clip_grad_norm)},
                  {"bf16", str(bf16)},
                  {"channels_last", str(channels_last)},
                  {"barlow_lambda", str(task.barlow_lambda)},
                  {"dae_sigma", str(task.dae_sigma)},
                  {"rpl_grid", str(task.rpl_grid)},
                  {"rpl_grayscale_p", str(task.rpl_grayscale_p)},
                  {"rpl_flip_p", str(task.rpl_flip_p)},
                  {"log_every", str(log_every)},
                  {"checkpoint_every", str(checkpoint_every)},
                  {"keep_checkpoints", str(keep_checkpoints)},
                  {"prefetch", str(prefetch)},
                  {"world_size", str(world_size)},
                  {"dataset_size", str(dataset_size)},
                  {"image_height", str(image_height)},
                  {"image_width", str(image_width)}};
  if (!encoder_digest.empty()) e.push_back({"encoder_digest", encoder_digest});
  if (!data_fingerprint.empty()) e.push_back({"data_fingerprint", data_fingerprint});
  if (threads > 0) e.push_back({"threads", str(threads)});
  return e;
}

void TrainConfig::validate() const {
  // Every number is checked whether or not this method uses it: a bad value in a shared config
  // file fails the first run that reads it, not only the method it was meant for.
  auto at_least = [](const char* key, int64_t v, int64_t min) {
    if (v < min) bad_input(key, " must be at least ", min, ", got ", v);
  };
  constexpr double kInf = std::numeric_limits<double>::infinity();
  auto in_range = [&](const char* key, double v, double lo, double hi, bool lo_open = false) {
    if (std::isfinite(v) && v >= lo && v <= hi && !(lo_open && v == lo)) return;
    if (hi == kInf)
      bad_input(key, " must be a finite number ", lo_open ? "> " : ">= ", lo, ", got ", v);
    bad_input(key, " must lie in [", lo, ", ", hi, "], got ", v);
  };
  at_least("batch_size", batch_size, 1);
  at_least("steps", steps, 0);
  at_least("epochs", epochs, 0);
  at_least("warmup_steps", warmup_steps, 0);
  at_least("depth", depth, 1);
  at_least("base_width", base_width, 1);
  at_least("classifier_hidden", classifier_hidden, 1);
  at_least("rpl_grid", task.rpl_grid, 2);
  at_least("log_every", log_every, 1);
  at_least("checkpoint_every", checkpoint_every, 1);
  at_least("keep_checkpoints", keep_checkpoints, 1);
  at_least("prefetch", prefetch, 0);
  if (optimizer != "adamw" && optimizer != "sgd" && optimizer != "lars")
    bad_input("optimizer: expected adamw, sgd or lars, got '", optimizer, "'");
  in_range("lr", lr, 0, kInf, /*lo_open=*/true);
  in_range("weight_decay", weight_decay, 0, kInf);
  in_range("momentum", momentum, 0, 1);
  in_range("lars_eta", lars_eta, 0, kInf, /*lo_open=*/true);
  in_range("final_lr_fraction", final_lr_fraction, 0, 1);
  in_range("clip_grad_norm", clip_grad_norm, 0, kInf);
  in_range("barlow_lambda", task.barlow_lambda, 0, kInf);
  in_range("dae_sigma", task.dae_sigma, 0, kInf);
  in_range("rpl_grayscale_p", task.rpl_grayscale_p, 0, 1);
  in_range("rpl_flip_p", task.rpl_flip_p, 0, 1);
  parse_sizes(projector, "projector");
}

bool is_bookkeeping_key(const std::string& key) {
  static const std::set<std::string> keys{"data", "log_every", "checkpoint_every",
                                          "keep_checkpoints", "prefetch", "encoder_run",
                                          "threads"};
  return keys.count(key) > 0;
}

bool is_later_key(const std::string& key) { return key == "data_fingerprint"; }

std::string config_hash(const ConfigEntries& entries) {
  Sha256 h;
  for (const auto& [k, v] : entries) {
    if (is_bookkeeping_key(k)) continue;
    h.update(k + "=" + v + "\n");
  }
  return h.hex_digest();
}

void check_resumable(const ConfigEntries& saved, const ConfigEntries& now) {
  for (const auto& [key, value] : now) {
    if (is_bookkeeping_key(key)) continue;
    auto it = std::find_if(saved.begin(), saved.end(), [&](const auto& e) { return e.first == key; });
    if (it == saved.end() && is_later_key(key)) continue;  // an older checkpoint
    if (it == saved.end())
      bad_input("cannot resume: the checkpoint's config has no key '", key, "'");
    if (it->second != value && key == "data_fingerprint")
      bad_input("cannot resume: config key 'data_fingerprint' changed from ", it->second, " to ",
                value, ": the cache holds other data than the run was trained on (start a new "
                "run folder, or pass the cache the run began with)");
    if (it->second != value)
      bad_input("cannot resume: config key '", key, "' changed from ", it->second, " to ", value,
                " (start a new run folder, or restore the old value)");
  }
}

std::string format_entries(const ConfigEntries& entries) {
  std::string out;
  for (const auto& [k, v] : entries) out += k + " = " + v + "\n";
  return out;
}

}  // namespace loce::train
