#include "cli/model_set.h"

#include <cctype>
#include <cstdlib>

namespace dolmetsch::cli {

void AddModelOptions(CLI::App* cmd, ModelFlags* flags) {
  cmd->add_option("--model", flags->models,
                  "Model to serve (repeatable): DIR named opus-mt-SRC-TGT, SRC-TGT=DIR, SRC-TGT1,TGT2=DIR "
                  "(multilingual) or SRC1,SRC2-TGT=DIR (default: models/opus-mt-de-en)")
      ->envname("DOLMETSCH_MODEL");
  cmd->add_option("--models-dir", flags->models_dir, "Serve every model folder (opus-mt-SRC-TGT) inside DIR")
      ->envname("DOLMETSCH_MODELS_DIR");
  cmd->add_flag("--preload", flags->preload,
                "Load every model at start (/ready waits for them); default: on first use")
      ->envname("DOLMETSCH_PRELOAD");
  cmd->add_option("--max-loaded-models", flags->max_loaded_models,
                  "Models kept in memory at once; the least recently used idle one is unloaded (0: no limit)")
      ->envname("DOLMETSCH_MAX_LOADED_MODELS");
  cmd->add_option("--max-loaded-mib", flags->max_loaded_mib,
                  "MiB of resident memory the loaded models may take; idle ones are unloaded (0: no limit)")
      ->envname("DOLMETSCH_MAX_LOADED_MIB")
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--no-pivot", flags->no_pivot,
                "Do not translate through English when no model serves a pair directly (DOLMETSCH_PIVOT=0)");
}

std::vector<std::string> SplitModelSpecs(const std::string& text) {
  // Whitespace separates specs; a comma does too, except inside a pair ("en-fr,es=DIR", "fr,es-en=DIR"):
  // while what was read of a spec is only letters, commas and at most one dash, a comma continues it.
  auto in_pair = [](const std::string& s) {
    if (s.empty()) return false;
    int dashes = 0;
    for (char c : s) {
      if (c == '-') {
        ++dashes;
      } else if (!std::isalpha(static_cast<unsigned char>(c)) && c != ',') {
        return false;
      }
    }
    return dashes <= 1;
  };
  std::vector<std::string> out;
  std::string current;
  auto flush = [&] {
    if (!current.empty()) out.push_back(current);
    current.clear();
  };
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      flush();
    } else if (c == ',' && !in_pair(current)) {
      flush();
    } else {
      current += c;
    }
  }
  flush();
  return out;
}

bool NoModelNamed(const ModelFlags& flags) {
  const char* models = std::getenv("DOLMETSCH_MODELS");
  return flags.models.empty() && flags.models_dir.empty() && (models == nullptr || *models == '\0');
}

StatusOr<std::unique_ptr<ModelSet>> BuildModelSet(const ModelFlags& flags, const engine::LoadOptions& load,
                                                  const std::string& default_dir) {
  auto set = std::make_unique<ModelSet>();
  std::vector<std::string> specs = flags.models;
  if (const char* env = std::getenv("DOLMETSCH_MODELS"); env != nullptr && *env != '\0') {
    for (const std::string& s : SplitModelSpecs(env)) specs.push_back(s);
  }
  std::vector<catalog::ModelSpec> parsed;
  const bool only_one = specs.size() == 1 && flags.models_dir.empty();
  for (const std::string& text : specs) {
    StatusOr<catalog::ModelSpec> spec = catalog::ParseModelSpec(text);
    if (!spec.ok() && only_one && text.find('=') == std::string::npos) {
      // One folder without a pair in its name: German -> English, as before several models were possible.
      spec = catalog::ParseModelSpec("de-en=" + text);
    }
    if (!spec.ok()) return spec.status().WithContext("--model / DOLMETSCH_MODELS");
    parsed.push_back(std::move(spec).value());
  }
  if (!flags.models_dir.empty()) {
    StatusOr<std::vector<catalog::ModelSpec>> scanned = catalog::ScanModelsDir(flags.models_dir);
    if (!scanned.ok()) return scanned.status().WithContext("--models-dir / DOLMETSCH_MODELS_DIR");
    if (scanned->empty()) {
      return Status::NotFound("--models-dir " + flags.models_dir +
                              " holds no model folder (opus-mt-SRC-TGT with a config.json); get one with "
                              "`dolmetsch fetch-model REPO --dir " +
                              flags.models_dir + "`");
    }
    for (catalog::ModelSpec& s : *scanned) parsed.push_back(std::move(s));
  }
  if (parsed.empty()) {
    StatusOr<catalog::ModelSpec> spec = catalog::ParseModelSpec(default_dir);
    if (!spec.ok()) spec = catalog::ParseModelSpec("de-en=" + default_dir);
    if (!spec.ok()) return spec.status();
    parsed.push_back(std::move(spec).value());
  }
  for (catalog::ModelSpec& spec : parsed) {
    DOLMETSCH_RETURN_IF_ERROR(catalog::InspectModel(&spec));
    DOLMETSCH_RETURN_IF_ERROR(set->catalog.Add(std::move(spec)));
  }
  catalog::RegistryOptions options;
  options.max_loaded_models = flags.max_loaded_models;
  options.max_memory_bytes = static_cast<uint64_t>(flags.max_loaded_mib * 1024 * 1024);
  options.load = load;
  set->registry = std::make_unique<catalog::ModelRegistry>(options);
  if (flags.preload || set->catalog.models().size() == 1) {
    for (const catalog::ModelSpec& m : set->catalog.models()) set->preload.push_back(&m);
  }
  const char* pivot = std::getenv("DOLMETSCH_PIVOT");
  set->allow_pivot =
      !flags.no_pivot && !(pivot != nullptr && (std::string(pivot) == "0" || std::string(pivot) == "false" ||
                                                std::string(pivot) == "off"));
  return set;
}

}  // namespace dolmetsch::cli
