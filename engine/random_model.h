// Random MarianMT model folders in Hugging Face layout, for benchmarks and tests without real weights.
//
// Contract: WriteRandomModel writes config.json, generation_config.json, tokenizer_config.json,
// special_tokens_map.json, model.safetensors (float32; weights ~N(0, 0.02), LayerNorm weights 1, biases
// small, the pad row of the shared embedding 0, final_logits_bias 0), source.spm / target.spm copied from
// options.spm_from and a joint vocab.json (`</s>`=0, `<unk>`=1, the pieces of both spm models, filler
// strings, `<pad>` last). The same shape and seed give the same files. Errors name the file or option.
// Thread-safety: free functions without shared state.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/io/weights.h"
#include "util/status.h"

namespace dolmetsch::engine {

struct RandomModelShape {
  std::string name;
  int d_model = 512;
  int encoder_layers = 6;
  int decoder_layers = 6;
  int attention_heads = 8;
  int ffn_dim = 2048;
  int vocab_size = 58101;  // pad = decoder_start = vocab_size - 1, eos = 0
  int max_position_embeddings = 512;
  int num_beams = 4;

  // "opus-mt-de-en" (d_model 512, 6+6 layers, 8 heads, FFN 2048, vocabulary 58101) or "tiny" (the shape
  // of tests/fixtures/tiny-de-en: 32, 2+2, 4, 64, 1512). InvalidArgument lists the names otherwise.
  static StatusOr<RandomModelShape> Like(std::string_view name);
  int pad_token_id() const { return vocab_size - 1; }
};

// The tensors of a Marian model with tied, shared embeddings, named as transformers saves them to
// safetensors (model.shared.weight, final_logits_bias, model.{encoder,decoder}.layers.N.*).
WeightMap MakeRandomMarianWeights(const RandomModelShape& shape, uint64_t seed);

// config.json / generation_config.json contents as transformers 4.36 writes them for OPUS-MT models.
std::string MarianConfigJson(const RandomModelShape& shape);
std::string MarianGenerationConfigJson(const RandomModelShape& shape);

// vocab.json entries in id order: "</s>", "<unk>", the target tokens (">>fra<<", for a multilingual
// model), pieces of each spm model (in order, without duplicates or control pieces), fillers, "<pad>".
// Pieces beyond vocab_size - 1 are dropped.
StatusOr<std::vector<std::string>> MakeJointVocabulary(const std::vector<std::string>& spm_paths,
                                                       int vocab_size,
                                                       const std::vector<std::string>& target_tokens = {});

struct RandomModelOptions {
  std::string like = "opus-mt-de-en";
  std::string out_dir;
  uint64_t seed = 1;
  std::string spm_from;  // folder with source.spm and target.spm
  // Language codes of a multilingual model's targets ("fra", "spa"): the vocabulary gets ">>fra<<" etc.
  std::vector<std::string> target_languages = {};
};

struct RandomModelSummary {
  int64_t parameters = 0;
  int vocabulary_pieces = 0;  // entries taken from the spm models (the rest are fillers and specials)
};

StatusOr<RandomModelSummary> WriteRandomModel(const RandomModelOptions& options);

}  // namespace dolmetsch::engine
