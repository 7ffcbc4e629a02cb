#include "cli/model_path.h"

#include <cstdlib>
#include <filesystem>
#include <iostream>

namespace dolmetsch::cli {

std::string DefaultModelDir() {
  const char* env = std::getenv("DOLMETSCH_MODEL");
  return env && *env ? env : "models/opus-mt-de-en";
}

std::string ResolveModelDir(const std::string& flag) { return flag.empty() ? DefaultModelDir() : flag; }

}  // namespace dolmetsch::cli

namespace dolmetsch::cli {

std::unique_ptr<engine::Translator> LoadTranslatorOrExplain(const std::string& flag, const std::string& who,
                                                            const engine::LoadOptions& options) {
  const std::string dir = ResolveModelDir(flag);
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    std::cerr
        << who << ": no model at " << dir << "\n"
        << "  download the default model:  dolmetsch fetch-model Helsinki-NLP/opus-mt-de-en --dir models\n"
        << "  or use a local model folder: --model DIR (or DOLMETSCH_MODEL=DIR)\n";
    return nullptr;
  }
  auto translator = engine::Translator::Load(dir, options);
  if (!translator.ok()) {
    std::cerr << who << ": cannot load the model: " << translator.status().ToString() << "\n";
    return nullptr;
  }
  return std::move(translator).value();
}

void AddComputeTypeOption(CLI::App* cmd, std::string* value) {
  if (value->empty()) *value = "float32";
  cmd->add_option(
         "--compute-type", *value,
         "float32 (outputs equal transformers'), int8 (quantized weights: faster, less memory) or auto "
         "(int8 where the CPU has an int8 kernel)")
      ->envname("DOLMETSCH_COMPUTE_TYPE");
}

StatusOr<engine::LoadOptions> LoadOptionsFor(const std::string& compute_type) {
  DOLMETSCH_ASSIGN_OR_RETURN(engine::ComputeType parsed, engine::ParseComputeType(compute_type));
  engine::LoadOptions options;
  options.compute_type = parsed;
  return options;
}

}  // namespace dolmetsch::cli
