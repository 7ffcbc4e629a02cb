// The models a `translator` or `serve` process serves: --model (repeatable), --models-dir, DOLMETSCH_MODELS,
// DOLMETSCH_MODELS_DIR, --preload, --max-loaded-models, --max-loaded-mib, --no-pivot (docs/languages.md).
//
// BuildModelSet reads each named folder (catalog::InspectModel), adds it to one catalog::ModelCatalog and
// makes the catalog::ModelRegistry that loads them. One model alone (the default setup) is always preloaded,
// so /ready keeps meaning "the model is loaded"; several load on first use unless --preload.
// A single --model DIR whose folder name has no pair (not opus-mt-SRC-TGT) is German -> English, as before
// several models were possible. Errors name the flag or variable and the folder.
// Thread-safety: build once at start; the ModelSet is then used by the service (see its header).
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "catalog/model_catalog.h"
#include "catalog/model_registry.h"
#include "engine/translator.h"
#include "util/status.h"

namespace dolmetsch::cli {

struct ModelFlags {
  std::vector<std::string> models;  // specs: DIR, SRC-TGT=DIR, SRC-TGT1,TGT2=DIR, SRC1,SRC2-TGT=DIR
  std::string models_dir;
  bool preload = false;
  std::size_t max_loaded_models = 0;  // 0: no limit
  double max_loaded_mib = 0;          // 0: no limit
  bool no_pivot = false;
};

// Adds the options above to `cmd` (--model's environment variable is DOLMETSCH_MODEL, one folder).
void AddModelOptions(CLI::App* cmd, ModelFlags* flags);

// True when neither flags nor the environment name a model (the caller then uses its default).
bool NoModelNamed(const ModelFlags& flags);

struct ModelSet {
  catalog::ModelCatalog catalog;
  std::unique_ptr<catalog::ModelRegistry> registry;
  std::vector<const catalog::ModelSpec*> preload;
  bool allow_pivot = true;
};

// Flags first, then DOLMETSCH_MODELS (specs separated by commas or whitespace; a comma inside a spec's pair
// stays with it) and DOLMETSCH_MODELS_DIR, then `default_dir` when nothing was named.
StatusOr<std::unique_ptr<ModelSet>> BuildModelSet(const ModelFlags& flags, const engine::LoadOptions& load,
                                                  const std::string& default_dir);

// Splits DOLMETSCH_MODELS: "de-en=/m/a, /m/opus-mt-en-de  en-fr,es=/m/b" -> three specs.
std::vector<std::string> SplitModelSpecs(const std::string& text);

}  // namespace dolmetsch::cli
