// ModelCatalog: which language pairs the model folders given to a service serve, and how a request for
// SRC -> TGT is routed through them (one model, or two through English).
//
// A model is named on the command line (or in DOLMETSCH_MODELS) as
//   DIR                   the pair from the folder name opus-mt-SRC-TGT, as fetch-model writes it
//   SRC-TGT=DIR           any folder
//   SRC-TGT1,TGT2=DIR     a multilingual model whose target is chosen with a token (">>fra<<")
//   SRC1,SRC2-TGT=DIR     a model that reads several sources
// and --models-dir DIR adds every sub-folder that holds a config.json, named opus-mt-SRC-TGT.
// Language codes are lower-case ISO 639-1 ("de") or 639-3 ("deu") as OPUS-MT uses them, compared as given
// after a 639-3 -> 639-1 mapping of the common languages (deu -> de, fra -> fr, ...).
//
// Multilingual targets: a folder whose target part is a group (upper case, e.g. opus-mt-de-ROMANCE, or
// "mul") or whose pair names several targets has target tokens in its vocabulary: every vocab.json key
// of the form >>xxx<< is a target the model can produce, and the token to prepend to the source (as
// Hugging Face's Marian tokenizer expects it) is that key. When the spec names targets, each must have a
// token; when the folder name has a group, the targets are all tokens of the vocabulary.
//
// Routing: Route(src, tgt) prefers a direct model; otherwise, when pivoting is allowed, SRC -> en -> TGT
// through two models. Two models serving the same pair are a configuration error (the catalog says which).
// Thread-safety: build it once (Add*), then the const methods may be called from any thread.
#pragma once

#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace dolmetsch::catalog {

struct ModelSpec {
  std::string dir;
  std::string name;                  // the folder's base name, e.g. "opus-mt-de-en" (for logs and metrics)
  std::vector<std::string> sources;  // at least one
  std::vector<std::string> targets;  // at least one
  // For multilingual models: target code -> the token that selects it (">>fra<<"); empty otherwise.
  std::map<std::string, std::string> target_tokens;
};

// One hop of a route: translate with `model`, prepending `target_token` to the source when not empty.
struct Hop {
  const ModelSpec* model = nullptr;
  std::string source;
  std::string target;
  std::string target_token;
};

// "DIR" or "PAIR=DIR" as above. Only parses; Inspect reads the folder.
StatusOr<ModelSpec> ParseModelSpec(std::string_view spec);

// Checks that spec.dir is a model folder (config.json) and fills target tokens from its vocab.json for
// multilingual models; errors name the folder and what is missing.
Status InspectModel(ModelSpec* spec);

// The specs of every sub-folder of `dir` holding a config.json (sorted by name), parsed from their names.
StatusOr<std::vector<ModelSpec>> ScanModelsDir(const std::string& dir);

// "deu" -> "de" for the languages OPUS-MT names with 639-3 codes; other codes unchanged, lower-cased.
std::string NormalizeLanguage(std::string_view code);

class ModelCatalog {
 public:
  // Adds an inspected model. kInvalidArgument when one of its pairs is served already.
  Status Add(ModelSpec spec);

  bool empty() const { return models_.empty(); }
  const std::deque<ModelSpec>& models() const { return models_; }

  // Every source language, sorted; and the targets reachable from `source` (pivots included when
  // `allow_pivot`), sorted, without `source` itself.
  std::vector<std::string> Sources() const;
  std::vector<std::string> Targets(std::string_view source, bool allow_pivot) const;
  // Every code that is a source or a target of some served pair (LibreTranslate lists these).
  std::vector<std::string> Languages(bool allow_pivot) const;

  // The hops for source -> target, or kNotFound with a message that names the pairs served.
  StatusOr<std::vector<Hop>> Route(std::string_view source, std::string_view target, bool allow_pivot) const;

  // "de-en, en-de, en-fr" (for error messages).
  std::string DescribePairs() const;

 private:
  std::optional<Hop> Direct(const std::string& source, const std::string& target) const;

  std::deque<ModelSpec> models_;  // deque: Hop pointers stay valid while models are added
};

}  // namespace dolmetsch::catalog
