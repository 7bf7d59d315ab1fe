#include "app/command.h"

namespace loce::app {

std::vector<RegisteredCommand>& registered_commands() {
  static std::vector<RegisteredCommand> commands;
  return commands;
}

CLI::App& subcommand_group(CLI::App& cli, const std::string& name, const std::string& help) {
  for (CLI::App* sub : cli.get_subcommands({}))
    if (sub->get_name() == name) return *sub;
  CLI::App* group = cli.add_subcommand(name, help);
  group->require_subcommand(1);
  return *group;
}

CommandRegistration::CommandRegistration(std::string name, SetupFn setup) {
  registered_commands().push_back({std::move(name), std::move(setup)});
}

}  // namespace loce::app
