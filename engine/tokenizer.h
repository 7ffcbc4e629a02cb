// MarianTokenizer: text <-> token ids exactly as Hugging Face transformers' MarianTokenizer (4.36) does it.
//
// Encode: split on the special-token literals (</s>, <unk>, <pad>); in each chunk keep a leading >>xx<<
// language code as one token and delete every >>..<< match; sentencepiece (source.spm) turns the rest into
// piece strings; pieces are looked up by string in vocab.json (missing -> <unk>); </s> is appended.
// Decode: target-side ids -> pieces (target_vocab.json with separate vocabularies, else vocab.json), joined
// through target.spm, specials optionally skipped, clean-up of spaces before punctuation.
// docs/marian-conventions.md has every rule with its source.
// Thread-safety: after Load, all const methods may be called from several threads at once.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace dolmetsch::engine {

class MarianTokenizer {
 public:
  // Reads source.spm, target.spm, vocab.json, tokenizer_config.json (optional) and, when it says
  // "separate_vocabs": true, target_vocab.json from `model_dir`.
  static StatusOr<std::unique_ptr<MarianTokenizer>> Load(const std::string& model_dir);
  // Checks the text of a vocab.json as Load does (a flat object, a bijection between pieces and 0..N-1, the
  // special tokens present); returns N. `name` is used in errors. For the fuzzer and diagnostics.
  static StatusOr<int> CheckVocabularyJson(const std::string& text, const std::string& name);
  virtual ~MarianTokenizer() = default;

  // tokenizer.tokenize(text): pieces before vocabulary lookup.
  virtual std::vector<std::string> Tokenize(std::string_view text) const = 0;
  // tokenizer([text])["input_ids"][0]: ids with </s> appended.
  virtual std::vector<int> Encode(std::string_view text) const = 0;
  // tokenizer.decode(ids, skip_special_tokens, clean_up_tokenization_spaces).
  virtual std::string Decode(const std::vector<int>& target_ids, bool skip_special_tokens = true,
                             bool clean_up_tokenization_spaces = true) const = 0;
  // The target-side vocabulary string of `id` ("<unk>" when out of range).
  virtual std::string TargetPiece(int id) const = 0;

  virtual int eos_id() const = 0;
  virtual int unk_id() const = 0;
  virtual int pad_id() const = 0;
  virtual int source_vocab_size() const = 0;
  virtual int target_vocab_size() const = 0;
};

}  // namespace dolmetsch::engine
