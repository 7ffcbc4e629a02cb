#include "engine/model_config.h"

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace dolmetsch::engine {
namespace {

using nlohmann::json;

// Reads a whole small text file; NotFound when absent.
StatusOr<std::string> ReadTextFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound(path + ": cannot open file");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return Status::IoError(path + ": read failed");
  return ss.str();
}

// Typed field access with errors that name the file and the field.
class Fields {
 public:
  Fields(const json& j, std::string file) : j_(j), file_(std::move(file)) {}

  bool Has(const char* key) const { return j_.contains(key) && !j_.at(key).is_null(); }

  // An integer in [min_value, max_value]; a value above max_value is one no real model has.
  Status Int(const char* key, int* out, int min_value = 0, int max_value = 1 << 30) const {
    if (!Has(key)) return Status::Ok();
    const json& v = j_.at(key);
    // 1e7 is how JSON writers may print a large integer: say what it is rather than "not an integer".
    if (v.is_number_float() && v.get<double>() == std::floor(v.get<double>()) &&
        v.get<double>() > max_value) {
      return Error(key, "is " + v.dump() + "; at most " + std::to_string(max_value) +
                            " is accepted (no real model has more)");
    }
    if (!v.is_number_integer()) return Error(key, "must be an integer, got " + v.dump());
    // Unsigned values above INT64_MAX would wrap in get<long long>().
    if (v.is_number_unsigned() && v.get<unsigned long long>() > static_cast<unsigned long long>(max_value)) {
      return Error(key, "is " + v.dump() + "; at most " + std::to_string(max_value) +
                            " is accepted (no real model has more)");
    }
    long long x = v.get<long long>();
    if (x < min_value)
      return Error(key, "out of range: " + v.dump() + " (at least " + std::to_string(min_value) + ")");
    if (x > max_value) {
      return Error(key, "is " + v.dump() + "; at most " + std::to_string(max_value) +
                            " is accepted (no real model has more)");
    }
    *out = static_cast<int>(x);
    return Status::Ok();
  }
  Status Float(const char* key, float* out) const {
    if (!Has(key)) return Status::Ok();
    const json& v = j_.at(key);
    if (!v.is_number()) return Error(key, "must be a number, got " + v.dump());
    *out = v.get<float>();
    return Status::Ok();
  }
  Status Bool(const char* key, bool* out) const {
    if (!Has(key)) return Status::Ok();
    const json& v = j_.at(key);
    if (!v.is_boolean()) return Error(key, "must be true or false, got " + v.dump());
    *out = v.get<bool>();
    return Status::Ok();
  }
  Status String(const char* key, std::string* out) const {
    if (!Has(key)) return Status::Ok();
    const json& v = j_.at(key);
    if (!v.is_string()) return Error(key, "must be a string, got " + v.dump());
    *out = v.get<std::string>();
    return Status::Ok();
  }
  Status IdLists(const char* key, std::vector<std::vector<int>>* out) const {
    if (!Has(key)) return Status::Ok();
    const json& v = j_.at(key);
    if (!v.is_array()) return Error(key, "must be a list of lists of token ids");
    out->clear();
    for (const json& seq : v) {
      if (!seq.is_array() || seq.empty()) return Error(key, "must be a list of non-empty lists of token ids");
      std::vector<int> ids;
      for (const json& id : seq) {
        if (!id.is_number_integer() || id.get<long long>() < 0)
          return Error(key, "token ids must be non-negative integers, got " + id.dump());
        ids.push_back(id.get<int>());
      }
      out->push_back(std::move(ids));
    }
    return Status::Ok();
  }
  Status Error(const char* key, const std::string& what) const {
    return Status::InvalidArgument(file_ + ": field \"" + key + "\" " + what);
  }

 private:
  const json& j_;
  std::string file_;
};

Status ParseGenerationFields(const Fields& f, GenerationConfig* g, const json& j, const std::string& file) {
  using L = ModelLimits;
  DOLMETSCH_RETURN_IF_ERROR(f.Int("num_beams", &g->num_beams, 1, L::kMaxBeams));
  DOLMETSCH_RETURN_IF_ERROR(f.Float("length_penalty", &g->length_penalty));
  DOLMETSCH_RETURN_IF_ERROR(f.Int("max_length", &g->max_length, 1, L::kMaxLength));
  if (f.Has("max_new_tokens")) {
    int n = 0;
    DOLMETSCH_RETURN_IF_ERROR(f.Int("max_new_tokens", &n, 1, L::kMaxLength));
    g->max_new_tokens = n;
  }
  DOLMETSCH_RETURN_IF_ERROR(f.IdLists("bad_words_ids", &g->bad_words_ids));
  if (f.Has("forced_eos_token_id")) {
    const json& v = j.at("forced_eos_token_id");
    if (v.is_array()) {
      if (v.size() != 1 || !v[0].is_number_integer())
        return Status::Unsupported(file + ": field \"forced_eos_token_id\": only a single id is supported");
      g->forced_eos_token_id = v[0].get<int>();
    } else {
      int id = 0;
      DOLMETSCH_RETURN_IF_ERROR(f.Int("forced_eos_token_id", &id));
      g->forced_eos_token_id = id;
    }
  }
  DOLMETSCH_RETURN_IF_ERROR(f.Bool("renormalize_logits", &g->renormalize_logits));
  DOLMETSCH_RETURN_IF_ERROR(f.Int("num_return_sequences", &g->num_return_sequences, 1, L::kMaxBeams));
  if (f.Has("early_stopping")) {
    const json& v = j.at("early_stopping");
    if (v.is_boolean()) {
      g->early_stopping = v.get<bool>() ? GenerationConfig::EarlyStopping::kWhenDone
                                        : GenerationConfig::EarlyStopping::kHeuristic;
    } else if (v.is_string() && v.get<std::string>() == "never") {
      g->early_stopping = GenerationConfig::EarlyStopping::kNever;
    } else {
      return f.Error("early_stopping", "must be true, false or \"never\", got " + v.dump());
    }
  }
  // Settings that would change the search in ways we do not implement: refuse rather than differ.
  bool do_sample = false;
  DOLMETSCH_RETURN_IF_ERROR(f.Bool("do_sample", &do_sample));
  if (do_sample) return Status::Unsupported(file + ": \"do_sample\": true (sampling) is not supported");
  int min_length = 0, no_repeat = 0, groups = 1;
  float repetition_penalty = 1.0f;
  DOLMETSCH_RETURN_IF_ERROR(f.Int("min_length", &min_length));
  DOLMETSCH_RETURN_IF_ERROR(f.Int("no_repeat_ngram_size", &no_repeat));
  DOLMETSCH_RETURN_IF_ERROR(f.Int("num_beam_groups", &groups, 1));
  DOLMETSCH_RETURN_IF_ERROR(f.Float("repetition_penalty", &repetition_penalty));
  if (min_length > 0) return Status::Unsupported(file + ": \"min_length\" > 0 is not supported");
  if (no_repeat > 0) return Status::Unsupported(file + ": \"no_repeat_ngram_size\" is not supported");
  if (groups > 1) return Status::Unsupported(file + ": \"num_beam_groups\" > 1 is not supported");
  if (repetition_penalty != 1.0f)
    return Status::Unsupported(file + ": \"repetition_penalty\" is not supported");
  return Status::Ok();
}

}  // namespace

StatusOr<ModelConfig> ModelConfig::Parse(const std::string& config_json, const std::string& generation_json) {
  const std::string file = "config.json";
  json j = json::parse(config_json, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return Status::InvalidArgument(file + ": not a JSON object");
  Fields f(j, file);
  // Start from MarianConfig's defaults (transformers 4.36), so a field left out means what it means there.
  ModelConfig c;
  c.vocab_size = 58101;
  c.d_model = 1024;
  c.encoder_layers = c.decoder_layers = 12;
  c.encoder_ffn_dim = c.decoder_ffn_dim = 4096;
  c.encoder_attention_heads = c.decoder_attention_heads = 16;
  c.max_position_embeddings = 1024;
  c.scale_embedding = false;
  c.share_encoder_decoder_embeddings = true;
  c.tie_word_embeddings = true;
  c.pad_token_id = 58100;
  c.eos_token_id = 0;

  std::string model_type;
  DOLMETSCH_RETURN_IF_ERROR(f.String("model_type", &model_type));
  if (model_type != "marian") {
    return Status::Unsupported(file + ": \"model_type\" is \"" + model_type +
                               "\"; dolmetsch runs Marian (opus-mt-*) models only");
  }
  using L = ModelLimits;
  DOLMETSCH_RETURN_IF_ERROR(f.Int("d_model", &c.d_model, 1, L::kMaxDModel));
  DOLMETSCH_RETURN_IF_ERROR(f.Int("encoder_layers", &c.encoder_layers, 0, L::kMaxLayers));
  DOLMETSCH_RETURN_IF_ERROR(f.Int("decoder_layers", &c.decoder_layers, 1, L::kMaxLayers));
  DOLMETSCH_RETURN_IF_ERROR(f.Int("encoder_attention_heads", &c.encoder_attention_heads, 1, L::kMaxHeads));
  DOLMETSCH_RETURN_IF_ERROR(f.Int("decoder_attention_heads", &c.decoder_attention_heads, 1, L::kMaxHeads));
  DOLMETSCH_RETURN_IF_ERROR(f.Int("encoder_ffn_dim", &c.encoder_ffn_dim, 1, L::kMaxFfnDim));
  DOLMETSCH_RETURN_IF_ERROR(f.Int("decoder_ffn_dim", &c.decoder_ffn_dim, 1, L::kMaxFfnDim));
  DOLMETSCH_RETURN_IF_ERROR(f.Bool("scale_embedding", &c.scale_embedding));
  DOLMETSCH_RETURN_IF_ERROR(f.Bool("share_encoder_decoder_embeddings", &c.share_encoder_decoder_embeddings));
  DOLMETSCH_RETURN_IF_ERROR(f.Bool("tie_word_embeddings", &c.tie_word_embeddings));
  DOLMETSCH_RETURN_IF_ERROR(f.Int("vocab_size", &c.vocab_size, 1, L::kMaxVocabSize));
  c.decoder_vocab_size = c.vocab_size;  // MarianConfig: decoder_vocab_size defaults to vocab_size
  DOLMETSCH_RETURN_IF_ERROR(f.Int("decoder_vocab_size", &c.decoder_vocab_size, 1, L::kMaxVocabSize));
  DOLMETSCH_RETURN_IF_ERROR(
      f.Int("max_position_embeddings", &c.max_position_embeddings, 1, L::kMaxPositions));
  DOLMETSCH_RETURN_IF_ERROR(f.Int("pad_token_id", &c.pad_token_id));
  DOLMETSCH_RETURN_IF_ERROR(f.Int("eos_token_id", &c.eos_token_id));
  c.decoder_start_token_id = c.pad_token_id;
  DOLMETSCH_RETURN_IF_ERROR(f.Int("decoder_start_token_id", &c.decoder_start_token_id));

  std::string act = "gelu";  // MarianConfig's default
  DOLMETSCH_RETURN_IF_ERROR(f.String("activation_function", &act));
  if (act == "swish" || act == "silu") {
    c.activation = Activation::kSwish;
  } else if (act == "gelu") {
    c.activation = Activation::kGelu;
  } else if (act == "gelu_new") {
    c.activation = Activation::kGeluNew;
  } else if (act == "relu") {
    c.activation = Activation::kRelu;
  } else {
    return Status::Unsupported(file + ": \"activation_function\" \"" + act +
                               "\" is not supported (swish, silu, gelu, gelu_new, relu are)");
  }

  if (c.d_model % c.encoder_attention_heads != 0 || c.d_model % c.decoder_attention_heads != 0) {
    return Status::InvalidArgument(file + ": \"d_model\" must be divisible by the number of attention heads");
  }
  if (c.share_encoder_decoder_embeddings && c.decoder_vocab_size != c.vocab_size) {
    return Status::InvalidArgument(file +
                                   ": shared embeddings need \"decoder_vocab_size\" == \"vocab_size\"");
  }
  for (int id : {c.pad_token_id, c.eos_token_id, c.decoder_start_token_id}) {
    if (id >= c.decoder_vocab_size) {
      return Status::InvalidArgument(file + ": special token id " + std::to_string(id) +
                                     " is outside the target vocabulary of " +
                                     std::to_string(c.decoder_vocab_size));
    }
  }

  // Generation settings: generation_config.json when present (what from_pretrained + generate() use);
  // otherwise GenerationConfig.from_model_config(config), i.e. the config's own generation fields.
  if (generation_json.empty()) {
    DOLMETSCH_RETURN_IF_ERROR(ParseGenerationFields(f, &c.generation, j, file));
  } else {
    const std::string gfile = "generation_config.json";
    json g = json::parse(generation_json, nullptr, false);
    if (g.is_discarded() || !g.is_object()) return Status::InvalidArgument(gfile + ": not a JSON object");
    Fields gf(g, gfile);
    DOLMETSCH_RETURN_IF_ERROR(ParseGenerationFields(gf, &c.generation, g, gfile));
    // Token ids in generation_config.json take precedence for generate().
    DOLMETSCH_RETURN_IF_ERROR(gf.Int("decoder_start_token_id", &c.decoder_start_token_id));
    DOLMETSCH_RETURN_IF_ERROR(gf.Int("eos_token_id", &c.eos_token_id));
    DOLMETSCH_RETURN_IF_ERROR(gf.Int("pad_token_id", &c.pad_token_id));
  }
  const std::string generation_file = generation_json.empty() ? file : "generation_config.json";
  for (const auto& seq : c.generation.bad_words_ids) {
    for (int id : seq) {
      if (id >= c.decoder_vocab_size)
        return Status::InvalidArgument(generation_file + ": field \"bad_words_ids\": id " +
                                       std::to_string(id) + " is outside the vocabulary");
    }
  }
  if (c.generation.forced_eos_token_id && *c.generation.forced_eos_token_id >= c.decoder_vocab_size) {
    return Status::InvalidArgument(generation_file +
                                   ": field \"forced_eos_token_id\" is outside the vocabulary");
  }
  return c;
}

StatusOr<ModelConfig> ModelConfig::Load(const std::string& model_dir) {
  auto config = ReadTextFile(model_dir + "/config.json");
  if (!config.ok()) {
    return Status::NotFound(model_dir + "/config.json: missing; is \"" + model_dir +
                            "\" a Hugging Face model folder? (get one with `dolmetsch fetch-model`)");
  }
  std::string generation;
  auto g = ReadTextFile(model_dir + "/generation_config.json");
  if (g.ok()) {
    generation = std::move(g).value();
    if (generation.find_first_not_of(" \t\r\n") == std::string::npos) {
      return Status::InvalidArgument(model_dir + "/generation_config.json: file is empty");
    }
  } else if (g.status().code() != Status::Code::kNotFound) {
    return g.status();
  }
  auto parsed = Parse(*config, generation);
  if (!parsed.ok()) return parsed.status().WithContext(model_dir);
  return parsed;
}

}  // namespace dolmetsch::engine
