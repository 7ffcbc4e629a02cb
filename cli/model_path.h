// Where subcommands look for the model when --model is not given.
#pragma once

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
std::unique_ptr<engine::Translator> LoadTranslatorOrExplain(const std::string& flag, const std::string& who);

}  // namespace dolmetsch::cli
