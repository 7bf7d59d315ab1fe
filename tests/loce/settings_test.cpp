// The LoCE optimiser's settings: every value out of range (NaN and infinities included) is an
// InputError that says which setting, before any pair is optimised.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "loce/settings.h"

using namespace loce;
using namespace loce::embedding;

TEST(Settings, EveryValueOutOfRangeIsAnErrorNamingIt) {
  const double nan = std::nan(""), inf = std::numeric_limits<double>::infinity();
  const std::vector<std::pair<std::string, std::function<void(OptimizerSettings&)>>> cases = {
      {"iterations", [](OptimizerSettings& s) { s.iterations = 0; }},
      {"learning rate", [](OptimizerSettings& s) { s.lr = 0; }},
      {"learning rate", [&](OptimizerSettings& s) { s.lr = nan; }},
      {"learning rate", [&](OptimizerSettings& s) { s.lr = inf; }},
      {"betas", [](OptimizerSettings& s) { s.beta1 = 1; }},
      {"betas", [&](OptimizerSettings& s) { s.beta2 = nan; }},
      {"eps", [](OptimizerSettings& s) { s.eps = 0; }},
      {"eps", [&](OptimizerSettings& s) { s.eps = inf; }},
      {"weight decay", [](OptimizerSettings& s) { s.weight_decay = -0.01; }},
      {"weight decay", [&](OptimizerSettings& s) { s.weight_decay = inf; }},
      {"grid", [](OptimizerSettings& s) { s.grid_w = 0; }},
      {"reference batch", [](OptimizerSettings& s) { s.reference_batch = 0; }},
      {"min-area", [&](OptimizerSettings& s) { s.min_area = nan; }},
      {"min-area", [](OptimizerSettings& s) { s.min_area = 1.5; }},
      {"memory budget", [](OptimizerSettings& s) { s.memory_budget_bytes = 1000; }},
  };
  for (const auto& [name, spoil] : cases) {
    OptimizerSettings s;
    spoil(s);
    try {
      s.validate();
      ADD_FAILURE() << name << ": accepted";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
    }
  }
  EXPECT_NO_THROW(OptimizerSettings{}.validate());
}
