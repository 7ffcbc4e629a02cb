#include "engine/random_model.h"

#include <sentencepiece_processor.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

namespace dolmetsch::engine {
namespace {

using json = nlohmann::json;

class Filler {
 public:
  explicit Filler(uint64_t seed) : rng_(seed) {}
  std::vector<float> Normal(size_t n, float stddev) {
    std::normal_distribution<float> dist(0.0f, stddev);
    std::vector<float> v(n);
    for (float& x : v) x = dist(rng_);
    return v;
  }

 private:
  std::mt19937_64 rng_;
};

constexpr float kWeightStd = 0.02f;  // transformers' init_std for Marian
constexpr float kBiasStd = 0.002f;

void AddLinear(WeightMap* w, Filler* f, const std::string& prefix, int out, int in) {
  (*w)[prefix + ".weight"] = {{out, in}, f->Normal(static_cast<size_t>(out) * in, kWeightStd)};
  (*w)[prefix + ".bias"] = {{out}, f->Normal(out, kBiasStd)};
}

void AddLayerNorm(WeightMap* w, Filler* f, const std::string& prefix, int d) {
  (*w)[prefix + ".weight"] = {{d}, std::vector<float>(d, 1.0f)};
  (*w)[prefix + ".bias"] = {{d}, f->Normal(d, kBiasStd)};
}

void AddAttention(WeightMap* w, Filler* f, const std::string& prefix, int d) {
  for (const char* proj : {"k_proj", "v_proj", "q_proj", "out_proj"})
    AddLinear(w, f, prefix + "." + proj, d, d);
}

Status WriteText(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) return Status::IoError(path.string() + ": cannot write");
  return Status::Ok();
}

}  // namespace

StatusOr<RandomModelShape> RandomModelShape::Like(std::string_view name) {
  RandomModelShape shape;
  shape.name = std::string(name);
  if (name == "opus-mt-de-en") return shape;  // the defaults
  if (name == "tiny") {
    shape.d_model = 32;
    shape.encoder_layers = 2;
    shape.decoder_layers = 2;
    shape.attention_heads = 4;
    shape.ffn_dim = 64;
    shape.vocab_size = 1512;
    return shape;
  }
  return Status::InvalidArgument("--like '" + std::string(name) +
                                 "': unknown model shape; use opus-mt-de-en or tiny");
}

WeightMap MakeRandomMarianWeights(const RandomModelShape& s, uint64_t seed) {
  Filler f(seed);
  WeightMap w;
  const int d = s.d_model;
  w["final_logits_bias"] = {{1, s.vocab_size}, std::vector<float>(s.vocab_size, 0.0f)};
  WeightTensor shared{{s.vocab_size, d}, f.Normal(static_cast<size_t>(s.vocab_size) * d, kWeightStd)};
  // nn.Embedding(padding_idx=pad) starts with a zero row for the pad token.
  std::fill_n(shared.values.begin() + static_cast<std::ptrdiff_t>(s.pad_token_id()) * d, d, 0.0f);
  w["model.shared.weight"] = std::move(shared);
  for (int i = 0; i < s.encoder_layers; ++i) {
    const std::string p = "model.encoder.layers." + std::to_string(i);
    AddAttention(&w, &f, p + ".self_attn", d);
    AddLayerNorm(&w, &f, p + ".self_attn_layer_norm", d);
    AddLinear(&w, &f, p + ".fc1", s.ffn_dim, d);
    AddLinear(&w, &f, p + ".fc2", d, s.ffn_dim);
    AddLayerNorm(&w, &f, p + ".final_layer_norm", d);
  }
  for (int i = 0; i < s.decoder_layers; ++i) {
    const std::string p = "model.decoder.layers." + std::to_string(i);
    AddAttention(&w, &f, p + ".self_attn", d);
    AddLayerNorm(&w, &f, p + ".self_attn_layer_norm", d);
    AddAttention(&w, &f, p + ".encoder_attn", d);
    AddLayerNorm(&w, &f, p + ".encoder_attn_layer_norm", d);
    AddLinear(&w, &f, p + ".fc1", s.ffn_dim, d);
    AddLinear(&w, &f, p + ".fc2", d, s.ffn_dim);
    AddLayerNorm(&w, &f, p + ".final_layer_norm", d);
  }
  return w;
}

std::string MarianConfigJson(const RandomModelShape& s) {
  const int pad = s.pad_token_id();
  json c = {
      {"_name_or_path", s.name},
      {"_num_labels", 3},
      {"activation_dropout", 0.0},
      {"activation_function", "swish"},
      {"add_bias_logits", false},
      {"add_final_layer_norm", false},
      {"architectures", {"MarianMTModel"}},
      {"attention_dropout", 0.0},
      {"bad_words_ids", {{pad}}},
      {"bos_token_id", 0},
      {"classif_dropout", 0.0},
      {"classifier_dropout", 0.0},
      {"d_model", s.d_model},
      {"decoder_attention_heads", s.attention_heads},
      {"decoder_ffn_dim", s.ffn_dim},
      {"decoder_layerdrop", 0.0},
      {"decoder_layers", s.decoder_layers},
      {"decoder_start_token_id", pad},
      {"decoder_vocab_size", s.vocab_size},
      {"dropout", 0.1},
      {"encoder_attention_heads", s.attention_heads},
      {"encoder_ffn_dim", s.ffn_dim},
      {"encoder_layerdrop", 0.0},
      {"encoder_layers", s.encoder_layers},
      {"eos_token_id", 0},
      {"forced_eos_token_id", 0},
      {"gradient_checkpointing", false},
      {"id2label", {{"0", "LABEL_0"}, {"1", "LABEL_1"}, {"2", "LABEL_2"}}},
      {"init_std", 0.02},
      {"is_encoder_decoder", true},
      {"label2id", {{"LABEL_0", 0}, {"LABEL_1", 1}, {"LABEL_2", 2}}},
      {"max_length", 512},
      {"max_position_embeddings", s.max_position_embeddings},
      {"model_type", "marian"},
      {"normalize_before", false},
      {"normalize_embedding", false},
      {"num_beams", s.num_beams},
      {"num_hidden_layers", s.encoder_layers},
      {"pad_token_id", pad},
      {"scale_embedding", true},
      {"share_encoder_decoder_embeddings", true},
      {"static_position_embeddings", true},
      {"torch_dtype", "float32"},
      {"transformers_version", "4.36.2"},
      {"use_cache", true},
      {"vocab_size", s.vocab_size},
  };
  return c.dump(2) + "\n";
}

std::string MarianGenerationConfigJson(const RandomModelShape& s) {
  const int pad = s.pad_token_id();
  json g = {
      {"bad_words_ids", {{pad}}},      {"bos_token_id", 0},
      {"decoder_start_token_id", pad}, {"eos_token_id", 0},
      {"forced_eos_token_id", 0},      {"max_length", 512},
      {"num_beams", s.num_beams},      {"pad_token_id", pad},
      {"renormalize_logits", true},    {"transformers_version", "4.36.2"},
  };
  return g.dump(2) + "\n";
}

StatusOr<std::vector<std::string>> MakeJointVocabulary(const std::vector<std::string>& spm_paths,
                                                       int vocab_size,
                                                       const std::vector<std::string>& target_tokens) {
  if (vocab_size < 3 + static_cast<int>(target_tokens.size()))
    return Status::InvalidArgument("vocabulary size " + std::to_string(vocab_size) + " < 3 + " +
                                   std::to_string(target_tokens.size()) + " target tokens");
  std::vector<std::string> vocab = {"</s>", "<unk>"};
  std::set<std::string> seen(vocab.begin(), vocab.end());
  seen.insert("<pad>");
  for (const std::string& token : target_tokens) {
    if (seen.insert(token).second) vocab.push_back(token);
  }
  const size_t room = static_cast<size_t>(vocab_size) - 1;  // <pad> takes the last id
  for (const std::string& path : spm_paths) {
    sentencepiece::SentencePieceProcessor spm;
    const auto status = spm.Load(path);
    if (!status.ok())
      return Status::InvalidArgument(path + ": cannot load SentencePiece model: " + status.ToString());
    for (int id = 0; id < spm.GetPieceSize() && vocab.size() < room; ++id) {
      if (spm.IsControl(id) || spm.IsUnknown(id)) continue;
      const std::string piece = spm.IdToPiece(id);
      if (seen.insert(piece).second) vocab.push_back(piece);
    }
  }
  for (size_t n = 0; vocab.size() < room; ++n) {
    std::string filler = "<filler_" + std::to_string(n) + ">";
    if (seen.insert(filler).second) vocab.push_back(std::move(filler));
  }
  vocab.push_back("<pad>");
  return vocab;
}

StatusOr<RandomModelSummary> WriteRandomModel(const RandomModelOptions& options) {
  DOLMETSCH_ASSIGN_OR_RETURN(RandomModelShape shape, RandomModelShape::Like(options.like));
  if (options.out_dir.empty()) return Status::InvalidArgument("--out: an output folder is required");
  const std::filesystem::path spm_dir(options.spm_from);
  std::error_code ec;
  for (const char* name : {"source.spm", "target.spm"}) {
    if (!std::filesystem::is_regular_file(spm_dir / name, ec)) {
      return Status::NotFound("--spm-from: " + (spm_dir / name).string() +
                              " does not exist; give a folder holding source.spm and target.spm");
    }
  }
  const std::filesystem::path out(options.out_dir);
  std::filesystem::create_directories(out, ec);
  if (ec || !std::filesystem::is_directory(out)) {
    return Status::IoError("--out: cannot create folder " + out.string() + (ec ? ": " + ec.message() : ""));
  }

  std::vector<std::string> target_tokens;
  for (const std::string& code : options.target_languages) {
    const bool plain = !code.empty() && code.size() <= 8 &&
                       code.find_first_not_of("abcdefghijklmnopqrstuvwxyz_") == std::string::npos;
    if (!plain) {
      return Status::InvalidArgument("--target-languages: '" + code +
                                     "' is not a lower-case language code (e.g. fra)");
    }
    target_tokens.push_back(">>" + code + "<<");
  }
  DOLMETSCH_ASSIGN_OR_RETURN(
      std::vector<std::string> vocab,
      MakeJointVocabulary({(spm_dir / "source.spm").string(), (spm_dir / "target.spm").string()},
                          shape.vocab_size, target_tokens));
  RandomModelSummary summary;
  for (const std::string& piece : vocab) summary.vocabulary_pieces += !piece.starts_with("<filler_");
  summary.vocabulary_pieces -= 3;  // </s>, <unk>, <pad>
  // Like the converter's json.dump: no indentation, entries in id order.
  nlohmann::ordered_json vocab_json = nlohmann::ordered_json::object();
  for (size_t id = 0; id < vocab.size(); ++id) vocab_json[vocab[id]] = id;
  DOLMETSCH_RETURN_IF_ERROR(
      WriteText(out / "vocab.json", vocab_json.dump(-1, ' ', false, json::error_handler_t::replace)));

  for (const char* name : {"source.spm", "target.spm"}) {
    std::filesystem::copy_file(spm_dir / name, out / name, std::filesystem::copy_options::overwrite_existing,
                               ec);
    if (ec)
      return Status::IoError((out / name).string() + ": cannot copy from " + (spm_dir / name).string() +
                             ": " + ec.message());
  }
  DOLMETSCH_RETURN_IF_ERROR(WriteText(out / "config.json", MarianConfigJson(shape)));
  DOLMETSCH_RETURN_IF_ERROR(WriteText(out / "generation_config.json", MarianGenerationConfigJson(shape)));
  DOLMETSCH_RETURN_IF_ERROR(
      WriteText(out / "tokenizer_config.json", R"({"target_lang": "en", "source_lang": "de"})"));
  DOLMETSCH_RETURN_IF_ERROR(
      WriteText(out / "special_tokens_map.json",
                R"({"eos_token": "</s>", "unk_token": "<unk>", "pad_token": "<pad>"})"));

  WeightMap weights = MakeRandomMarianWeights(shape, options.seed);
  for (const auto& [name, tensor] : weights) summary.parameters += tensor.numel();
  DOLMETSCH_RETURN_IF_ERROR(WriteSafetensorsFile((out / "model.safetensors").string(), weights));
  return summary;
}

}  // namespace dolmetsch::engine
