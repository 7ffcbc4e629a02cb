#include <iostream>

#include "cli/commands.h"

namespace dolmetsch::cli {

// Placeholder until this subcommand's component lands: says so and fails, never pretends.
void AddSegmentCommand(CLI::App& app, int* exit_code) {
  CLI::App* cmd = app.add_subcommand("segment", "(not available yet)");
  cmd->allow_extras();
  cmd->callback([exit_code] {
    std::cerr << "dolmetsch segment: not implemented yet\n";
    *exit_code = 2;
  });
}

}  // namespace dolmetsch::cli
