#pragma once
// Subcommands register themselves: each cmd_*.cpp defines one static CommandRegistration, so
// adding a subcommand never touches main.cpp.
#include <CLI/CLI.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <c10/core/Device.h>

#include "dist/world.h"

namespace loce::app {

// Options every subcommand understands (set before the subcommand name, or in the config file).
struct GlobalOptions {
  std::string config;
  uint64_t seed = 0;
  int threads = 0;  // 0 = the cores available to this rank
  std::string device = "auto";
  std::string log_level = "info";
};

// What a subcommand's run function gets once the world is up.
struct Context {
  GlobalOptions global;
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
