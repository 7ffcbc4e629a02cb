// libFuzzer target for config.json + generation_config.json: the input is split at its first NUL byte into
// the two files (no NUL: no generation_config.json) and parsed by ModelConfig::Parse; a config that parses
// is then checked against the fixture model's weights by MarianModel::FromWeights, as Translator::Load does.
// Run from the repo root (or set DOLMETSCH_FUZZ_MODEL_DIR): build/fuzz/engine/model_config_fuzz
// tests/fuzz/model_config (scripts/fuzz does).
// Checks what holds for every input: no crash, no allocation beyond the limits scripts/fuzz sets
// (-rss_limit_mb / -malloc_limit_mb: what config.json claims is never allocated before the weights file
// confirms it), every accepted size within ModelLimits, every error naming its file.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "engine/io/weights.h"
#include "engine/marian_model.h"
#include "engine/model_config.h"

namespace {

dolmetsch::engine::WeightMap* fixture_weights = nullptr;

bool WithinLimits(const dolmetsch::engine::ModelConfig& c) {
  using L = dolmetsch::engine::ModelLimits;
  return c.d_model <= L::kMaxDModel && c.encoder_layers <= L::kMaxLayers &&
         c.decoder_layers <= L::kMaxLayers && c.encoder_attention_heads <= L::kMaxHeads &&
         c.decoder_attention_heads <= L::kMaxHeads && c.encoder_ffn_dim <= L::kMaxFfnDim &&
         c.decoder_ffn_dim <= L::kMaxFfnDim && c.vocab_size <= L::kMaxVocabSize &&
         c.decoder_vocab_size <= L::kMaxVocabSize && c.max_position_embeddings <= L::kMaxPositions &&
         c.generation.num_beams <= L::kMaxBeams;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const char* env = std::getenv("DOLMETSCH_FUZZ_MODEL_DIR");
  const std::string model_dir = env ? env : "tests/fixtures/tiny-de-en";
  auto weights = dolmetsch::engine::ReadSafetensorsFile(model_dir + "/model.safetensors");
  if (!weights.ok()) {
    std::fprintf(stderr, "model_config_fuzz: %s\n", weights.status().ToString().c_str());
    std::abort();
  }
  fixture_weights = new dolmetsch::engine::WeightMap(std::move(weights).value());
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const size_t nul = input.find('\0');
  const std::string config = input.substr(0, nul);
  const std::string generation = nul == std::string::npos ? std::string() : input.substr(nul + 1);
  auto parsed = dolmetsch::engine::ModelConfig::Parse(config, generation);
  if (!parsed.ok()) {
    // Every error names its file (config.json or generation_config.json).
    if (parsed.status().message().find("config.json") == std::string::npos) std::abort();
    return 0;
  }
  if (!WithinLimits(*parsed)) std::abort();
  // Only what the file holds may be allocated: FromWeights checks every tensor against the config first.
  for (auto type : {dolmetsch::engine::ComputeType::kFloat32, dolmetsch::engine::ComputeType::kInt8}) {
    auto model =
        dolmetsch::engine::MarianModel::FromWeights(*fixture_weights, *parsed, "model.safetensors", type);
    (void)model;
  }
  return 0;
}
