#pragma once
// Subcommands register themselves: each cmd_<name>.cpp defines one static CommandRegistration,
// named register_<name> (unique, as unity builds compile several cmd_*.cpp files as one), so
// adding a subcommand never touches main.cpp.
#include <CLI/CLI.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <c10/core/Device.h>

#include "core/seed_text.h"
#include "dist/world.h"

namespace loce::app {

// Validator for counts and sizes ("--batch-size: must be a whole number of at least 1, got
// '0'"; CLI11's own PositiveNumber prints the whole double range).
inline CLI::Validator at_least(long long min) {
  return CLI::Validator(
      [min](std::string& value) -> std::string {
        try {
          size_t used = 0;
          const long long v = std::stoll(value, &used);
          if (used == value.size() && v >= min) return "";
        } catch (const std::exception&) {
        }
        return "must be a whole number of at least " + std::to_string(min) + ", got '" + value + "'";
      },
      "INT>=" + std::to_string(min));
}
inline CLI::Validator at_least_one() { return at_least(1); }

// Validator for a finite number in [lo, hi] (CLI::Range lets NaN through).
inline CLI::Validator finite_in(double lo, double hi) {
  return CLI::Validator(
      [lo, hi](std::string& value) -> std::string {
        try {
          size_t used = 0;
          const double v = std::stod(value, &used);
          if (used == value.size() && v >= lo && v <= hi) return "";
        } catch (const std::exception&) {
        }
        std::ostringstream msg;
        msg << "must be a number in [" << lo << ", " << hi << "], got '" << value << "'";
        return msg.str();
      },
      "NUMBER");
}

// Validator for seeds (uint64; core/seed_text.h).
inline CLI::Validator seed_value() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        if (parse_seed(value)) return "";
        return "must be a whole number from 0 to 2^64-1, got '" + value + "'";
      },
      "SEED");
}

// Options every subcommand understands (set before the subcommand name, or in the config file).
struct GlobalOptions {
  std::string config;
  uint64_t seed = 0;
  int threads = 0;  // 0 = the cores available to this rank
  std::string device = "auto";
  std::string log_level = "info";
  bool cudnn_benchmark = true;  // CUDA: cuDNN times conv algorithms per shape, keeps the fastest
};

// What a subcommand's run function gets once the world is up.
struct Context {
  GlobalOptions global;
  std::vector<std::string> command_line_globals;  // Cli::command_line_globals() of main's parse
  dist::WorldInfo world;
  c10::Device device{c10::kCPU};
};

using RunFn = std::function<int(const Context&)>;

// Adds the subcommand to `parent` and returns the function that runs it after parsing.
using SetupFn = std::function<RunFn(CLI::App& parent)>;

// Subcommands that live under a shared parent (e.g. `loce bench allreduce`, `loce bench loce`)
// get the parent through this function, which creates it on first use.
CLI::App& subcommand_group(CLI::App& cli, const std::string& name, const std::string& help);

struct CommandRegistration {
  CommandRegistration(std::string name, SetupFn setup);
};

struct RegisteredCommand {
  std::string name;
  SetupFn setup;
};
std::vector<RegisteredCommand>& registered_commands();

}  // namespace loce::app
