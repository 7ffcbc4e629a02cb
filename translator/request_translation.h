// RequestTranslation: the texts of one HTTP request through the document pipeline (text::TranslateDocument)
// on the cross-request Scheduler, so that a request gets what `translate --document` gives a file: whitespace
// inside a sentence collapsed (hard-wrapped lines), list/heading markers and letterless segments copied,
// gaps (paragraphs, indentation) kept, long sentences split at clause boundaries, identical sentences
// translated once, and the shared LRU cache (text::TranslationCache) across requests.
//
// The pipeline waits for each of its batches, but the service wants all of a request's sentences in ONE
// scheduler Job: admitted or refused (503) as a whole, shared fairly with other requests, decoded by all
// workers at once, finished in document order for streaming. Hence two passes over each text:
//   Start     TranslateDocument with a recording SentenceTranslator: it answers nothing, it only collects
//             the distinct translation units the pipeline asks for (across all texts); units found in the
//             cache are taken from there, the others are submitted to the scheduler as one Job.
//   Assemble  TranslateDocument again, one segment per window, with a SentenceTranslator that waits for its
//             units in that Job; each segment's output (gap before it + translation; the last one also gets
//             the gap after it) goes to `on_segment` as soon as it is complete, in document order.
// Both passes see the same text, options and token counts, so the pipeline asks for the same units.
// With n_best > 1 the Job keeps n hypotheses per unit and Assemble(t, k) builds text t from hypothesis k of
// every unit (the best one where a unit has fewer); the cache is then not used (it holds best translations).
//
// Several models: each text may go its own route (a model, or two through a pivot: `TextRoute`), e.g. when
// the languages of a request's texts were detected one by one. Units are planned per route and each route's
// units go to the scheduler as one Job on that route's backend (all admitted, or none).
//
// Segment indices: both passes know the segment being worked on from the pipeline's progress reports
// (DocumentProgress::window_begin, one segment per window), so every segment is reported exactly once, with
// its own index, also when its output is empty; with skip_segments, pass 1 runs one segment per window too,
// so that the units of skipped segments are never submitted.
//
// Errors: Start fails like Scheduler::Submit (ResourceExhausted, Unavailable) or with the pipeline's
// InvalidArgument; Assemble returns the job's error, or what `poll` returned (the job is then cancelled).
// Thread-safety: one object serves one request on one thread at a time; the cache and scheduler are shared.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "text/document_translator.h"
#include "text/translation_cache.h"
#include "translator/backend.h"
#include "translator/scheduler.h"
#include "util/status.h"

namespace dolmetsch::translator {

struct RequestOptions {
  SentenceOptions search;
  text::DocumentOptions document;           // segmenter bound, token cap per piece
  text::TranslationCache* cache = nullptr;  // shared; used only when search.n_best == 1
  std::string cache_key;                    // the model (and server-wide caps); search options are added
  // Segments (over all texts) before this index are neither translated nor reported: a client resuming a
  // text it has the first segments of already (translation jobs, jobs/job_runner.h). Their output is
  // left out of what Assemble returns.
  size_t skip_segments = 0;
};

struct RequestStats {
  size_t segments = 0;        // over all texts (translated or copied)
  size_t units = 0;           // translation units the pipeline asked for (after splitting long sentences)
  size_t duplicates = 0;      // units served by an identical unit of the same request
  size_t cache_hits = 0;      // units served by the cache
  size_t decoded = 0;         // units submitted to the scheduler
  size_t split_segments = 0;  // sentences over the token cap, split into pieces
};

// One finished segment of a text during Assemble.
struct SegmentOutput {
  size_t text_index = 0;
  size_t index = 0;         // over all texts of the request
  size_t total = 0;         // segments of all texts
  std::string piece;        // output to append: gap before the segment + its translation (+ trailing gap)
  std::string translation;  // piece without surrounding whitespace
};

// Where some of a request's texts go: a backend (must outlive the request), the part of the cache key that
// names it ("opus-mt-de-en:float32", added to RequestOptions::cache_key), and its metrics label ("de-en").
struct TextRoute {
  BatchBackend* backend = nullptr;
  std::string cache_key;
  std::string model;
};

class RequestTranslation {
 public:
  // Every text through `backend` (the scheduler's own when it has one). `scheduler` and `backend` must
  // outlive the object.
  static StatusOr<std::unique_ptr<RequestTranslation>> Start(Scheduler& scheduler,
                                                             const BatchBackend& backend,
                                                             std::vector<std::string> texts,
                                                             const RequestOptions& options);
  // Text t through routes[route_of_text[t]].
  static StatusOr<std::unique_ptr<RequestTranslation>> Start(Scheduler& scheduler,
                                                             std::vector<TextRoute> routes,
                                                             std::vector<size_t> route_of_text,
                                                             std::vector<std::string> texts,
                                                             const RequestOptions& options);
  ~RequestTranslation();

  // Builds text `text_index` from hypothesis `hypothesis` of its units, waiting for them as needed.
  // `poll` (may be null) is called about every 100 ms while waiting; a non-ok result stops: the job is
  // cancelled and that status returned. `on_segment` (may be null) gets each segment as it is complete.
  StatusOr<std::string> Assemble(size_t text_index, size_t hypothesis, const std::function<Status()>& poll,
                                 const std::function<void(const SegmentOutput&)>& on_segment = nullptr);

  // Non-blocking Assemble of hypothesis 0 for the event-driven server: reports to `on_segment` the segments
  // of text `text_index` from `*next_segment` on whose translations are there (advancing *next_segment), and
  // returns the whole text once every segment is; nullopt while some are still being translated (call again
  // when progress() moved). It replays the text from its start on each call, so call it on progress only.
  StatusOr<std::optional<std::string>> AssembleReady(
      size_t text_index, size_t* next_segment, const std::function<void(const SegmentOutput&)>& on_segment);
  // Leading translation units that are finished (grows while the job runs), and whether the job ended
  // (done, failed or cancelled; also true when nothing needed decoding). Neither blocks.
  size_t progress() const;
  bool ended() const;
  // Job::OnChange of the job (called at once when nothing needed decoding); nullptr removes the callback.
  void OnChange(std::function<void()> fn);

  // Drops the job's work not yet in a batch (a client went away). Safe to call more than once.
  void Cancel();

  size_t texts() const { return texts_.size(); }
  const RequestStats& stats() const { return stats_; }
  // Tokens of the decoded units (read after Assemble succeeded for every text).
  long long source_tokens() const;
  long long target_tokens() const;

 private:
  struct Unit {
    long job_index = -1;    // -1: from the cache
    std::string cached;     // the cached translation
    bool inserted = false;  // put into the cache after decoding
  };
  class Recorder;
  class Replayer;

  RequestTranslation(std::vector<TextRoute> routes, std::vector<size_t> route_of_text,
                     std::vector<std::string> texts, const RequestOptions& options);
  text::DocumentOptions AssembleOptions() const;
  // Assembles text `text_index` with `replayer`, reporting segments from *next_segment on (advancing it).
  StatusOr<std::string> Replay(size_t text_index, text::SentenceTranslator& replayer, size_t* next_segment,
                               const std::function<void(const SegmentOutput&)>& on_segment);

  const std::vector<TextRoute> routes_;
  const std::vector<size_t> route_of_text_;
  const std::vector<std::string> texts_;
  RequestOptions options_;
  bool use_cache_ = false;
  std::vector<std::string> cache_prefix_;                     // per route
  std::vector<std::unordered_map<std::string, Unit>> units_;  // per route
  std::vector<std::shared_ptr<Job>> jobs_;                    // per route; null when nothing needed decoding
  RequestStats stats_;
  std::vector<size_t> first_segment_;  // per text: index of its first segment over all texts
  size_t segment_ = 0;                 // during a pass: the segment (over all texts) being planned/assembled
  bool Skipping() const { return segment_ < options_.skip_segments; }
};

}  // namespace dolmetsch::translator
