#include "ssl/task.h"

#include "core/error.h"

namespace loce::ssl {

const std::vector<std::string>& pretext_methods() {
  static const std::vector<std::string> methods{"barlow", "dae", "rpl", "baseline"};
  return methods;
}

std::unique_ptr<Task> make_pretext_task(const std::string& method, const TaskOptions& options) {
  if (method == "barlow") return make_barlow_task(options);
  if (method == "dae") return make_dae_task(options);
  if (method == "rpl") return make_rpl_task(options);
  if (method == "baseline") return make_baseline_task();
  bad_input("unknown pretraining method '", method, "' (expected barlow, dae, rpl or baseline)");
}

}  // namespace loce::ssl
