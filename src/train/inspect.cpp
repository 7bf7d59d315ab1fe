#include "train/inspect.h"

#include <torch/torch.h>

#include <sstream>

#include "core/json.h"
#include "models/network.h"
#include "ssl/task.h"
#include "train/checkpoint.h"
#include "train/run_dir.h"
#include "train/sha256.h"

namespace loce::train {

std::string state_digest(const torch::nn::Module& module) {
  Sha256 h;
  for (const auto& [name, tensor] : models::named_state(module)) {
    auto t = tensor.detach().cpu().contiguous();
    std::ostringstream head;
    head << name << '|' << c10::toString(t.scalar_type()) << '|' << t.sizes() << '\n';
    h.update(head.str());
    h.update(t.data_ptr(), size_t(t.nbytes()));
  }
  return h.hex_digest();
}

CheckpointSummary summarize_checkpoint(const std::string& run_dir_or_checkpoint) {
  CheckpointSummary s;
  s.path = resolve_checkpoint(run_dir_or_checkpoint);
  RunState st = read_checkpoint(s.path);
  s.kind = st.kind;
  s.method = st.method;
  s.config_hash = st.config_hash;
  s.git_revision = st.git_revision;
  s.format_version = st.format_version;
  s.checksum = st.checksum_verified ? "verified" : "none (format 1)";
  s.step = st.step;
  s.total_steps = st.total_steps;
  s.epoch = st.epoch;
  s.batch_in_epoch = st.batch_in_epoch;
  s.world_size = st.world_size;
  s.config = st.config;
  models::HeadSet heads;
  if (st.method == "finetune") heads.segmentation = true;
  else heads = ssl::make_pretext_task(st.method, {})->heads();
  LoadedRun run = load_run(st, s.path, heads, c10::Device(c10::kCPU));  // no second read
  s.digest = state_digest(*run.network);
  for (const auto& p : run.network->parameters()) s.parameters += p.numel();
  return s;
}

std::string summary_text(const CheckpointSummary& s) {
  std::ostringstream os;
  os << "checkpoint      " << s.path << "\nkind            " << s.kind << "\nmethod          "
     << s.method << "\nstep            " << s.step << " / " << s.total_steps
     << "\nepoch           " << s.epoch << " (next batch " << s.batch_in_epoch << ")"
     << "\nworld size      " << s.world_size << "\nformat version  " << s.format_version
     << "\nchecksum        " << s.checksum
     << "\ngit revision    " << s.git_revision << "\nparameters      " << s.parameters
     << "\nconfig hash     " << s.config_hash << "\nstate sha256    " << s.digest << "\nconfig\n";
  for (const auto& [k, v] : s.config) os << "  " << k << " = " << v << "\n";
  return os.str();
}

std::string summary_json(const CheckpointSummary& s) {
  std::ostringstream os;
  os << "{\"checkpoint\": " << json_string(s.path) << ", \"kind\": " << json_string(s.kind) << ", \"method\": "
     << json_string(s.method) << ", \"step\": " << s.step << ", \"total_steps\": " << s.total_steps
     << ", \"epoch\": " << s.epoch << ", \"batch_in_epoch\": " << s.batch_in_epoch
     << ", \"world_size\": " << s.world_size << ", \"format_version\": " << s.format_version
     << ", \"checksum\": " << json_string(s.checksum)
     << ", \"git_revision\": " << json_string(s.git_revision) << ", \"parameters\": " << s.parameters
     << ", \"config_hash\": " << json_string(s.config_hash) << ", \"sha256\": " << json_string(s.digest)
     << ", \"config\": {";
  for (size_t i = 0; i < s.config.size(); ++i)
    os << (i ? ", " : "") << json_string(s.config[i].first) << ": " << json_string(s.config[i].second);
  os << "}}\n";
  return os.str();
}

}  // namespace loce::train
