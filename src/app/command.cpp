#include "app/command.h"

namespace loce::app {

std::vector<RegisteredCommand>& registered_commands() {
  static std::vector<RegisteredCommand> commands;
  return commands;
}

CommandRegistration::CommandRegistration(std::string name, SetupFn setup) {
  registered_commands().push_back({std::move(name), std::move(setup)});
}

}  // namespace loce::app
