// The document pipeline: a whole text in, its translation out, with the text's structure kept.
//
// TranslateDocument splits the text into sentences (SegmentSentences) and copies every gap between them
// (spaces, line breaks, blank lines, indentation, CR LF) to the output unchanged. A sentence is translated
// with its inner whitespace collapsed to single spaces; a line break inside it is then either put back
// into the translation (blocks that keep their lines: verse, addresses, letter closings) or left a space
// (hard-wrapped blocks), as line_breaks.h decides. A list or heading marker that opens a sentence ("• ",
// "1. ", "## ") is copied, and a segment without any letter (numbers, symbols, emoji) is copied as it is.
// Every byte of the input is either translated or copied. docs/text.md states the rule with examples.
//
// Limits: a sentence longer than min(max_segment_tokens, the model's max_source_tokens) source tokens is
// split at clause boundaries (SplitLongSpan), else at whitespace, else between characters; the pieces are
// translated separately and joined with one space. Each sentence may generate at most
// ceil(max_output_factor * its own source tokens) + output_slack_tokens (at most the model's limit), so a
// decoder that never emits EOS stops; the bound is the sentence's own, so its translation does not depend on
// the batch it lands in.
//
// Throughput: the text is processed in windows of `window_sentences` sentences (memory stays bounded on long
// texts; the output of a window is handed to `on_output` when it is done). Within a window identical
// sentences are translated once, the cache (optional, shared, LRU) serves repeats across windows and
// requests, and the rest is sorted by token length and cut into batches of at most `batch_token_budget`
// padded tokens (longest * count) and `max_batch_sentences` sentences. `on_progress` reports sentences
// done / total after every batch; `is_cancelled` is polled before every batch (-> Cancelled).
//
// Thread-safety: TranslateDocument keeps no global state; several calls may run at once if their
// SentenceTranslator allows concurrent TranslateBatch calls (EngineSentenceTranslator does).
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/translator.h"
#include "text/sentence_segmenter.h"
#include "text/translation_cache.h"
#include "util/status.h"

namespace dolmetsch::text {

struct BatchOptions {
  // Per-sentence bound on generated tokens (EOS included): ceil(output_factor x the sentence's source
  // tokens) + output_slack (engine::TranslateOptions::output_factor). output_factor 0: the model's own.
  double output_factor = 0.0;
  int output_slack = 0;
};

// What the pipeline calls to translate sentences. The default implementation runs engine::Translator; the
// translator service provides one that submits batches to its cross-request scheduler.
class SentenceTranslator {
 public:
  virtual ~SentenceTranslator() = default;
  // Source length of `sentence` in model tokens, </s> included.
  virtual int CountTokens(std::string_view sentence) const = 0;
  // The longest source the model takes, in tokens (max_position_embeddings).
  virtual int max_source_tokens() const = 0;
  // Translates non-empty sentences; returns exactly one translation per sentence, in order.
  virtual StatusOr<std::vector<std::string>> TranslateBatch(const std::vector<std::string>& sentences,
                                                            const BatchOptions& options) = 0;
  // Identifies everything that shapes the output (model, search settings) for cache keys.
  virtual std::string cache_key() const = 0;
};

// SentenceTranslator over an engine::Translator (which must outlive it). `options` are the search settings
// of every batch; BatchOptions' per-sentence bound applies within options.max_length / max_new_tokens.
class EngineSentenceTranslator : public SentenceTranslator {
 public:
  EngineSentenceTranslator(const engine::Translator* translator, engine::TranslateOptions options,
                           std::string model_id);
  int CountTokens(std::string_view sentence) const override;
  int max_source_tokens() const override;
  StatusOr<std::vector<std::string>> TranslateBatch(const std::vector<std::string>& sentences,
                                                    const BatchOptions& options) override;
  // The engine's whole results (one per sentence, best hypothesis first), with the word alignment and the
  // tokens' byte ranges when `alignment` is on (engine/alignment.h); for the markup pipeline.
  StatusOr<std::vector<engine::TranslationResult>> TranslateBatchResults(
      const std::vector<std::string>& sentences, const BatchOptions& options, bool alignment);
  std::string cache_key() const override { return cache_key_; }

 private:
  const engine::Translator* translator_;
  engine::TranslateOptions options_;
  std::string cache_key_;
};

struct DocumentOptions {
  SegmenterOptions segmenter;
  int max_segment_tokens = 256;  // cap on a translated piece, in source tokens (</s> included); >= 2
  double max_output_factor =
      2.0;  // per sentence: at most ceil(factor * its source tokens) + slack new tokens
  int output_slack_tokens = 8;
  int batch_token_budget = 4096;  // padded source tokens per batch
  int max_batch_sentences = 64;
  std::size_t window_sentences = 512;
};

struct DocumentProgress {
  std::size_t sentences_done = 0;
  std::size_t sentences_total = 0;  // segments of the text (translated or copied)
  std::size_t window_begin = 0;     // first segment of the window being translated (its output follows)
};

struct DocumentCallbacks {
  std::function<void(const DocumentProgress&)> on_progress;  // optional
  std::function<bool()> is_cancelled;                        // optional
  std::function<void(std::string_view)> on_output;           // optional: output in order, window by window
};

struct DocumentStats {
  std::size_t segments = 0;         // sentences and other segments of the text
  std::size_t copied_segments = 0;  // segments without letters, copied
  std::size_t pieces = 0;           // translation units after splitting long sentences
  std::size_t split_segments = 0;   // sentences over the token cap
  std::size_t translated = 0;       // units sent to the translator
  std::size_t duplicates = 0;       // units served by an identical unit of the same window
  std::size_t cache_hits = 0;       // units served by the cache
  std::size_t batches = 0;
  int max_piece_tokens = 0;  // longest unit sent, in source tokens
  std::size_t output_bytes = 0;
};

// Translates `text`; the output goes to `callbacks.on_output` when set, else it is appended to `*output`
// (which may then not be null). `cache` may be null.
StatusOr<DocumentStats> TranslateDocument(std::string_view text, SentenceTranslator& translator,
                                          const DocumentOptions& options, TranslationCache* cache,
                                          const DocumentCallbacks& callbacks, std::string* output);

}  // namespace dolmetsch::text
