#pragma once
// The whole command line of `loce`: global options plus every registered subcommand. main parses
// argv with it; the experiment runner builds a fresh one per stage and parses the stage's
// arguments, so that a stage run by `loce run` is exactly the command a user could type.
#include <memory>
#include <string>
#include <vector>

#include "app/command.h"

namespace loce::app {

class Cli {
 public:
  Cli();
  CLI::App& app() { return *app_; }
  const GlobalOptions& global() const { return global_; }

  // Parses arguments (without the program name). Throws CLI::ParseError.
  void parse(const std::vector<std::string>& args);
  void parse(int argc, char** argv);  // main's: argv[0] is the program
  // The global options given on the command line itself (not by a config file), as arguments
  // repeating their values: `loce run` passes them on to each step, where they override the
  // step's config as they would when typed (--seed aside: every step has its own).
  std::vector<std::string> command_line_globals() const;
  // The subcommand the parse selected ("bench loce" for nested ones) and its run function.
  std::string selected_name() const;
  int run_selected(const Context& ctx) const;
  // One line for a config file CLI11 refused: which file, which key (CLI11's own text says "INI"
  // and names an unknown section "section.++").
  std::string describe(const CLI::ConfigError& e) const;
  // One line for any other refused command line. A bad value that came from the config file
  // (not typed) names the file and key: CLI11's own text names only the option.
  std::string describe(const CLI::ParseError& e) const;

 private:
  bool typed(const std::string& option) const;  // on the command line, as "--x" or "--x=..."

  std::unique_ptr<CLI::App> app_;
  GlobalOptions global_;
  std::vector<std::string> tokens_;  // the arguments parsed
  std::vector<std::pair<CLI::App*, RunFn>> commands_;
};

// Applies the global options that can change per stage (log level, threads, seeding).
void apply_global_options(const GlobalOptions& g, const dist::WorldInfo& world);

}  // namespace loce::app
