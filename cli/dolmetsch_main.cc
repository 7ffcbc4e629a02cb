// dolmetsch: German -> English translation without a length limit. This file only wires subcommands.
#include <CLI/CLI.hpp>

#include "cli/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"dolmetsch: self-hosted German->English translation without a length limit"};
  app.require_subcommand(1);
  int exit_code = 0;
  dolmetsch::cli::AddTranslateCommand(app, &exit_code);
  dolmetsch::cli::AddSegmentCommand(app, &exit_code);
  dolmetsch::cli::AddFetchModelCommand(app, &exit_code);
  dolmetsch::cli::AddMakeRandomModelCommand(app, &exit_code);
  dolmetsch::cli::AddTranslatorCommand(app, &exit_code);
  dolmetsch::cli::AddWebCommand(app, &exit_code);
  dolmetsch::cli::AddServeCommand(app, &exit_code);
  dolmetsch::cli::AddBenchCommand(app, &exit_code);
  CLI11_PARSE(app, argc, argv);
  return exit_code;
}
