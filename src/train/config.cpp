#include "train/config.h"

#include <algorithm>
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
  return {{"method", method},
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
}

void TrainConfig::validate() const {
  if (batch_size < 1) bad_input("batch_size must be at least 1, got ", batch_size);
  if (steps < 0 || epochs < 0) bad_input("steps and epochs must not be negative");
  if (lr <= 0) bad_input("lr must be positive, got ", lr);
  if (optimizer != "adamw" && optimizer != "sgd" && optimizer != "lars")
    bad_input("optimizer: expected adamw, sgd or lars, got '", optimizer, "'");
  if (log_every < 1 || checkpoint_every < 1 || keep_checkpoints < 1)
    bad_input("log_every, checkpoint_every and keep_checkpoints must be at least 1");
  if (prefetch < 0) bad_input("prefetch must not be negative, got ", prefetch);
  if (depth < 1 || base_width < 1) bad_input("depth and base_width must be at least 1");
  parse_sizes(projector, "projector");
}

bool is_bookkeeping_key(const std::string& key) {
  static const std::set<std::string> keys{"data", "log_every", "checkpoint_every",
                                          "keep_checkpoints", "prefetch", "encoder_run"};
  return keys.count(key) > 0;
}

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
    if (it == saved.end())
      bad_input("cannot resume: the checkpoint's config has no key '", key, "'");
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
