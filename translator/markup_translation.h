// MarkupTranslation: the texts of one request in a markup format (HTML, Markdown, subtitles, office packages:
// markup/formats.h) on the cross-request Scheduler, with the engine's word alignment, so that inline spans
// (bold, links, code) follow the words they were on and a sentence is never cut at a tag.
//
// markup::TranslateFormatted asks a callback for its sentences and waits for them; the service wants no
// thread waiting for a decode and all of a request's sentences in one scheduler Job. Hence two passes, as in
// RequestTranslation:
//   Start     TranslateFormatted on every text with a recording callback that answers each sentence with
//             itself: it parses (a malformed or oversized text fails here, InvalidArgument naming the text
//             and what is wrong) and collects the distinct sentences of each route. Sentences within the
//             route's token cap (min of options.document.max_segment_tokens and the model's longest source)
//             go to the scheduler as one Job per route with SentenceOptions::alignment on; longer ones go
//             through RequestTranslation (the document pipeline splits them at clauses; they get no
//             alignment, so their spans are placed proportionally, markup/translate_blocks.h).
//   Assemble  TranslateFormatted again with a callback that reads the results. Call it once ended().
// Blocks (MarkupOptions::track_blocks, for /v1/translate_file's per-block progress): pass 1 also keeps
// each translatable block (one that has a sentence for the model; markup::ExtractBlocks names the same ones)
// with its sentences. ReportBlocks hands out, in document order, the blocks whose sentences are all
// translated, each as plain text (markup::PlainBlockText of the block translated alone, spans projected as
// in the file). A sentence of a route's job is there once the job's finished prefix passed it (sentences
// are submitted in document order); a block with a long sentence waits until the long ones all ended.
// Parsing is deterministic, so both passes ask for the same sentences. The sentence cache is not used (it
// holds translations without alignments).
// Errors: Start fails with the parser's error (as InvalidArgument: the text is at fault) or like
// Scheduler::Submit (ResourceExhausted, Unavailable: all of the request's jobs admitted or none); Assemble
// returns a job's error.
// Thread-safety: one object serves one request on one thread at a time; ended() and OnChange may be called
// from any thread; the scheduler is shared.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "markup/formats.h"
#include "translator/request_translation.h"
#include "translator/scheduler.h"
#include "util/status.h"

namespace dolmetsch::translator {

struct MarkupOptions {
  SentenceOptions search;                     // alignment is turned on
  text::DocumentOptions document;             // segmenter bound and token cap (for the long sentences)
  markup::DocumentTranslationOptions markup;  // limits, PDF output
  // Names the texts in errors: "q" gives "q: ..." for one text and "q[2]: ..." for an array's.
  std::string field = "q";
  bool texts_is_array = false;
  bool track_blocks = false;  // keep the blocks for ReportBlocks
};

// A translated block during ReportBlocks.
struct BlockOutput {
  size_t index = 0;  // among the text's translatable blocks, in document order
  size_t total = 0;  // translatable blocks of the text
  std::string text;  // its translation as plain text (markup::PlainBlockText)
};

struct MarkupStats {
  size_t sentences = 0;       // distinct sentences sent to the model, over all routes
  size_t long_sentences = 0;  // of them, over the token cap (document pipeline, no alignment)
  size_t blocks = 0;
};

class MarkupTranslation {
 public:
  // Text t (in `format`) through routes[route_of_text[t]]. `scheduler` and the routes' backends must
  // outlive the object.
  static StatusOr<std::unique_ptr<MarkupTranslation>> Start(
      Scheduler& scheduler, std::vector<TextRoute> routes, std::vector<size_t> route_of_text,
      std::vector<std::string> texts, markup::Format format, const MarkupOptions& options);
  ~MarkupTranslation();

  // The translated text (for a package format: the package's bytes). Only after ended().
  StatusOr<std::string> Assemble(size_t text_index);

  // With track_blocks: the translatable blocks of text `text_index`, and a non-blocking report of those
  // from *next_block on whose sentences are all translated, in order (advancing *next_block). Errors: a
  // job's error (Cancelled when cancelled). Call it when progress() moved.
  size_t blocks(size_t text_index) const;
  Status ReportBlocks(size_t text_index, size_t* next_block,
                      const std::function<void(const BlockOutput&)>& on_block);
  // Finished sentences over all jobs (grows while they run; never blocks).
  size_t progress() const;

  bool ended() const;
  // Called when any of the jobs made progress or ended (Job::OnChange: only hand off); nullptr removes it.
  void OnChange(std::function<void()> fn);
  void Cancel();

  size_t texts() const { return texts_.size(); }
  const MarkupStats& stats() const { return stats_; }
  // Tokens of the decoded sentences (after ended()).
  long long source_tokens() const;
  long long target_tokens() const;

 private:
  struct Where {
    bool is_long = false;
    size_t index = 0;  // into the route's job, or into long_texts_
  };
  MarkupTranslation(std::vector<TextRoute> routes, std::vector<size_t> route_of_text,
                    std::vector<std::string> texts, markup::Format format, const MarkupOptions& options);
  // A translatable block kept for ReportBlocks: it is complete once its route's job finished `prefix`
  // sentences and, when `long_sentence`, the long sentences ended.
  struct TrackedBlock {
    markup::Block block;
    std::vector<std::string> sentences;
    size_t prefix = 0;
    bool long_sentence = false;
  };
  std::string TextName(size_t t) const;
  // `streaming`: the caller knows the sentence is finished (within its job's prefix) though the job runs on.
  StatusOr<markup::SentenceTranslation> Result(size_t route, const std::string& sentence,
                                               bool streaming = false);

  const std::vector<TextRoute> routes_;
  const std::vector<size_t> route_of_text_;
  const std::vector<std::string> texts_;
  const markup::Format format_;
  MarkupOptions options_;
  std::vector<std::unordered_map<std::string, Where>> where_;  // per route: each distinct sentence
  std::vector<std::shared_ptr<Job>> jobs_;                     // per route; null when it had no sentence
  std::unique_ptr<RequestTranslation> long_;                   // the long sentences; null when none
  std::vector<std::string> long_results_;                      // filled on the first Assemble
  bool long_assembled_ = false;
  MarkupStats stats_;
  std::vector<std::vector<TrackedBlock>> blocks_;  // per text, with track_blocks
};

}  // namespace dolmetsch::translator
