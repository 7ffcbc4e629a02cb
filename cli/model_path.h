// Where subcommands look for the model when --model is not given.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "engine/translator.h"

namespace dolmetsch::cli {

// $DOLMETSCH_MODEL, else models/opus-mt-de-en (where `dolmetsch fetch-model` puts the default model).
std::string DefaultModelDir();
// `flag` when non-empty, else DefaultModelDir().
std::string ResolveModelDir(const std::string& flag);

// Loads the model from ResolveModelDir(flag); on failure prints a message that says how to get a model
// (prefixed with `who`) to stderr and returns nullptr.
std::unique_ptr<engine::Translator> LoadTranslatorOrExplain(const std::string& flag, const std::string& who,
                                                            const engine::LoadOptions& options = {});

// Adds --compute-type float32|int8|auto (environment: DOLMETSCH_COMPUTE_TYPE; default float32) to `cmd`.
// The value is checked by LoadOptionsFor, not by CLI11: CLI11 validates environment values for every
// subcommand, so a bad DOLMETSCH_COMPUTE_TYPE would break commands that load no model.
void AddComputeTypeOption(CLI::App* cmd, std::string* value);
// InvalidArgument naming the accepted values for anything but float32, int8, auto.
StatusOr<engine::LoadOptions> LoadOptionsFor(const std::string& compute_type);

}  // namespace dolmetsch::cli
