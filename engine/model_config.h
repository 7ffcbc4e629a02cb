// MarianConfig and GenerationConfig: the fields of config.json / generation_config.json that shape the
// network and the search.
//
// Contract: Load reads config.json and, when present, generation_config.json (else the config's own
// generation fields, as transformers does). Unknown architectures, activation functions or settings we do
// not implement give an Unsupported status naming the file and field; wrongly typed fields give
// InvalidArgument. Every size is bounded (ModelLimits: more than any real Marian-style model has) before
// anything is allocated for it, so a hostile or corrupt config.json fails fast with a message naming the
// file and field; MarianModel then checks the sizes against the tensors in the weights file.
// Thread-safety: plain values.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "util/status.h"

namespace dolmetsch::engine {

enum class Activation { kSwish, kGelu, kGeluNew, kRelu };

struct GenerationConfig {
  int num_beams = 1;
  float length_penalty = 1.0f;
  // transformers' early_stopping: false (heuristic), true (stop when num_beams hypotheses are done),
  // "never" (stop only when no better hypothesis is possible).
  enum class EarlyStopping { kHeuristic, kWhenDone, kNever };
  EarlyStopping early_stopping = EarlyStopping::kHeuristic;
  int max_length = 20;                // counts the decoder start token, as in transformers
  std::optional<int> max_new_tokens;  // overrides max_length when set
  std::vector<std::vector<int>> bad_words_ids;
  std::optional<int> forced_eos_token_id;
  bool renormalize_logits = false;
  int num_return_sequences = 1;

  // The max_length generate() uses: max_new_tokens + 1 (the start token) when set, else max_length.
  int EffectiveMaxLength() const { return max_new_tokens ? *max_new_tokens + 1 : max_length; }
};

// Largest sizes accepted from config.json / generation_config.json (docs/engine.md, "Model limits"). The
// largest OPUS-MT / Marian models have 12 + 12 layers, d_model 1024, 16 heads, FFN 4096, 250k entries,
// 1024 positions; these bounds leave room for every real model and refuse what only a broken file says.
struct ModelLimits {
  static constexpr int kMaxLayers = 64;
  static constexpr int kMaxDModel = 8192;
  static constexpr int kMaxHeads = 256;
  static constexpr int kMaxFfnDim = 65536;
  static constexpr int kMaxVocabSize = 1 << 20;
  static constexpr int kMaxPositions = 16384;
  static constexpr int kMaxBeams = 64;
  static constexpr int kMaxLength = 1 << 20;  // generation max_length / max_new_tokens
};

struct ModelConfig {
  int d_model = 512;
  int encoder_layers = 6;
  int decoder_layers = 6;
  int encoder_attention_heads = 8;
  int decoder_attention_heads = 8;
  int encoder_ffn_dim = 2048;
  int decoder_ffn_dim = 2048;
  Activation activation = Activation::kSwish;
  bool scale_embedding = true;
  bool share_encoder_decoder_embeddings = true;
  bool tie_word_embeddings = true;
  int vocab_size = 0;          // source (and shared) vocabulary
  int decoder_vocab_size = 0;  // target vocabulary = number of output logits
  int max_position_embeddings = 512;
  int pad_token_id = 0;
  int eos_token_id = 0;
  int decoder_start_token_id = 0;
  GenerationConfig generation;

  static StatusOr<ModelConfig> Load(const std::string& model_dir);
  // Parses the JSON text of config.json and (may be empty) generation_config.json; names are for errors.
  static StatusOr<ModelConfig> Parse(const std::string& config_json, const std::string& generation_json);
};

}  // namespace dolmetsch::engine
