#include <iostream>

#include "cli/commands.h"

namespace dolmetsch::cli {

// Placeholder until this subcommand's component lands: says so and fails, never pretends.
void AddServeCommand(CLI::App& app, int* exit_code) {
  CLI::App* cmd = app.add_subcommand("serve", "(not available yet)");
  cmd->allow_extras();
  cmd->callback([exit_code] {
    std::cerr << "dolmetsch serve: not implemented yet\n";
    *exit_code = 2;
  });
}

}  // namespace dolmetsch::cli
