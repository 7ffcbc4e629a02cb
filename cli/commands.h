// The subcommands of `dolmetsch`. Each Add*Command registers one CLI11 subcommand whose callback stores
// the process exit code in *exit_code. The commands only parse options and wire components together.
#pragma once

#include <CLI/CLI.hpp>

namespace dolmetsch::cli {

void AddTranslateCommand(CLI::App& app, int* exit_code);
void AddSegmentCommand(CLI::App& app, int* exit_code);
void AddFetchModelCommand(CLI::App& app, int* exit_code);
void AddMakeRandomModelCommand(CLI::App& app, int* exit_code);
void AddTranslatorCommand(CLI::App& app, int* exit_code);
void AddWebCommand(CLI::App& app, int* exit_code);
void AddServeCommand(CLI::App& app, int* exit_code);
void AddBenchCommand(CLI::App& app, int* exit_code);

}  // namespace dolmetsch::cli
