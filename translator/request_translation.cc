#include "translator/request_translation.h"

#include <algorithm>
#include <chrono>

namespace dolmetsch::translator {
namespace {

using Clock = std::chrono::steady_clock;

// Segments per window when recording a request's units (see Start).
constexpr size_t kSubmitWindow = 32;

std::string_view TrimSpaces(std::string_view s) {
  const char* spaces = " \t\r\n\f\v";
  size_t begin = s.find_first_not_of(spaces);
  if (begin == std::string_view::npos) return {};
  size_t end = s.find_last_not_of(spaces);
  return s.substr(begin, end - begin + 1);
}

}  // namespace

// Pass 1: collects the units the pipeline asks for; answers with empty strings (the output is discarded).
class RequestTranslation::Recorder : public text::SentenceTranslator {
 public:
  Recorder(RequestTranslation& owner, size_t route, std::vector<std::string>* job_units)
      : owner_(owner), route_(route), job_units_(job_units) {}
  int CountTokens(std::string_view sentence) const override {
    return owner_.routes_[route_].backend->CountTokens(std::string(sentence));
  }
  int max_source_tokens() const override { return owner_.routes_[route_].backend->max_source_tokens(); }
  std::string cache_key() const override { return owner_.cache_prefix_[route_]; }
  StatusOr<std::vector<std::string>> TranslateBatch(const std::vector<std::string>& units,
                                                    const text::BatchOptions&) override {
    if (owner_.Skipping()) return std::vector<std::string>(units.size());
    for (const std::string& unit : units) {
      ++owner_.stats_.units;
      auto [it, inserted] = owner_.units_[route_].try_emplace(unit);
      if (!inserted) {
        ++owner_.stats_.duplicates;
        continue;
      }
      if (owner_.use_cache_) {
        if (std::optional<std::string> hit =
                owner_.options_.cache->Lookup(owner_.cache_prefix_[route_] + unit)) {
          it->second.cached = std::move(*hit);
          ++owner_.stats_.cache_hits;
          continue;
        }
      }
      it->second.job_index = static_cast<long>(job_units_->size());
      job_units_->push_back(unit);
    }
    return std::vector<std::string>(units.size());
  }

 private:
  RequestTranslation& owner_;
  const size_t route_;
  std::vector<std::string>* job_units_;
};

// Pass 2: answers each unit with hypothesis `k` of its job result (waiting for it) or the cached translation.
class RequestTranslation::Replayer : public text::SentenceTranslator {
 public:
  Replayer(RequestTranslation& owner, size_t route, size_t k, const std::function<Status()>& poll,
           bool nonblocking = false)
      : owner_(owner), route_(route), k_(k), poll_(poll), nonblocking_(nonblocking) {}
  bool would_block() const { return would_block_; }
  int CountTokens(std::string_view sentence) const override {
    return owner_.routes_[route_].backend->CountTokens(std::string(sentence));
  }
  int max_source_tokens() const override { return owner_.routes_[route_].backend->max_source_tokens(); }
  std::string cache_key() const override { return owner_.cache_prefix_[route_]; }
  StatusOr<std::vector<std::string>> TranslateBatch(const std::vector<std::string>& units,
                                                    const text::BatchOptions&) override {
    if (owner_.Skipping()) return std::vector<std::string>(units.size());
    std::vector<Unit*> found;
    found.reserve(units.size());
    size_t needed = 0;  // leading job results that must be done
    for (const std::string& unit : units) {
      auto it = owner_.units_[route_].find(unit);
      if (it == owner_.units_[route_].end()) {
        return Status::Internal("the document pipeline asked for a sentence it did not plan");
      }
      found.push_back(&it->second);
      if (it->second.job_index >= 0) needed = std::max(needed, static_cast<size_t>(it->second.job_index) + 1);
    }
    if (needed > 0) DOLMETSCH_RETURN_IF_ERROR(WaitFor(needed));
    std::vector<std::string> out;
    out.reserve(units.size());
    for (size_t i = 0; i < units.size(); ++i) {
      Unit& unit = *found[i];
      if (unit.job_index < 0) {
        out.push_back(unit.cached);
        continue;
      }
      const std::vector<std::string>& hyps =
          owner_.jobs_[route_]->result(static_cast<size_t>(unit.job_index)).hypotheses;
      out.push_back(hyps.empty() ? std::string() : k_ < hyps.size() ? hyps[k_] : hyps[0]);
      if (owner_.use_cache_ && !unit.inserted && !hyps.empty()) {
        owner_.options_.cache->Insert(owner_.cache_prefix_[route_] + units[i], hyps[0]);
        unit.inserted = true;
      }
    }
    return out;
  }

 private:
  Status WaitFor(size_t needed) {
    Job& job = *owner_.jobs_[route_];
    for (;;) {
      size_t prefix = job.WaitForProgress(
          needed - 1, nonblocking_ ? Clock::now() : Clock::now() + std::chrono::milliseconds(100));
      if (job.finished()) {
        // A job fails or is cancelled as a whole (e.g. at the end of a shutdown's grace period), even when
        // the units needed here were done.
        Status s = job.status();
        if (!s.ok()) return s;
        if (job.WaitForProgress(needed - 1, Clock::now()) >= needed) return Status::Ok();
        return Status::Internal("the translation job ended without all results");
      }
      if (prefix >= needed) return Status::Ok();
      if (nonblocking_) {
        would_block_ = true;
        return Status::Unavailable("the translation is not finished yet");
      }
      if (poll_) {
        Status s = poll_();
        if (!s.ok()) {
          job.Cancel();
          return s;
        }
      }
    }
  }

  RequestTranslation& owner_;
  const size_t route_;
  const size_t k_;
  const std::function<Status()>& poll_;
  const bool nonblocking_;
  bool would_block_ = false;
};

RequestTranslation::RequestTranslation(std::vector<TextRoute> routes, std::vector<size_t> route_of_text,
                                       std::vector<std::string> texts, const RequestOptions& options)
    : routes_(std::move(routes)),
      route_of_text_(std::move(route_of_text)),
      texts_(std::move(texts)),
      options_(options),
      units_(routes_.size()),
      jobs_(routes_.size()) {
  use_cache_ = options_.cache != nullptr && options_.cache->capacity() > 0 && options_.search.n_best <= 1;
  const SentenceOptions& s = options_.search;
  for (const TextRoute& route : routes_) {
    cache_prefix_.push_back("service:" + options_.cache_key + route.cache_key +
                            ":beam=" + std::to_string(s.beam_size) + ":n=" + std::to_string(s.n_best) +
                            ":len=" + std::to_string(s.max_length) +
                            ":new=" + std::to_string(s.max_new_tokens) +
                            ":forced=" + std::to_string(s.forced_new_tokens) + '\x1f');
  }
}

RequestTranslation::~RequestTranslation() { Cancel(); }

StatusOr<std::unique_ptr<RequestTranslation>> RequestTranslation::Start(Scheduler& scheduler,
                                                                        const BatchBackend& backend,
                                                                        std::vector<std::string> texts,
                                                                        const RequestOptions& options) {
  // The scheduler's own backend: jobs submitted without one use it (the const_cast only names it).
  TextRoute route{const_cast<BatchBackend*>(&backend), "", ""};
  std::vector<size_t> route_of_text(texts.size(), 0);
  return Start(scheduler, {route}, std::move(route_of_text), std::move(texts), options);
}

StatusOr<std::unique_ptr<RequestTranslation>> RequestTranslation::Start(Scheduler& scheduler,
                                                                        std::vector<TextRoute> routes,
                                                                        std::vector<size_t> route_of_text,
                                                                        std::vector<std::string> texts,
                                                                        const RequestOptions& options) {
  if (route_of_text.size() != texts.size()) return Status::Internal("one route per text is needed");
  for (size_t r : route_of_text) {
    if (r >= routes.size() || routes[r].backend == nullptr) return Status::Internal("a text has no route");
  }
  std::unique_ptr<RequestTranslation> request(
      new RequestTranslation(std::move(routes), std::move(route_of_text), std::move(texts), options));
  RequestTranslation& r = *request;
  std::vector<std::vector<std::string>> job_units(r.routes_.size());
  text::DocumentOptions plan = r.options_.document;
  // Pass 1 answers at once: large batches only mean fewer calls.
  plan.batch_token_budget = std::max(plan.batch_token_budget, 1 << 20);
  plan.max_batch_sentences = std::max(plan.max_batch_sentences, 1 << 16);
  // The job's units go to the scheduler in the order recorded here, and the pipeline asks for a window's
  // units shortest first: with the default window (512 segments) the first sentence of a text was done
  // only when the whole window was, so a client saw no English until the end of any text under 512
  // sentences. Windows of kSubmitWindow segments keep the length sorting (less padding) within a window
  // and let the text's beginning finish first.
  plan.window_sentences = std::min(plan.window_sentences, kSubmitWindow);
  text::DocumentCallbacks discard;
  discard.on_output = [](std::string_view) {};
  if (r.options_.skip_segments > 0) {
    plan.window_sentences = 1;  // one segment per window: the Recorder knows which segment asks
    discard.on_progress = [&r](const text::DocumentProgress& p) {
      r.segment_ = r.first_segment_.back() + p.window_begin;
    };
  }
  for (size_t t = 0; t < r.texts_.size(); ++t) {
    const size_t route = r.route_of_text_[t];
    Recorder recorder(r, route, &job_units[route]);
    r.first_segment_.push_back(r.stats_.segments);
    r.segment_ = r.stats_.segments;
    DOLMETSCH_ASSIGN_OR_RETURN(text::DocumentStats stats, text::TranslateDocument(r.texts_[t], recorder, plan,
                                                                                  nullptr, discard, nullptr));
    r.stats_.segments += stats.segments;
    r.stats_.duplicates += stats.duplicates;  // within a window the pipeline merges them before asking
    r.stats_.units += stats.duplicates;
    r.stats_.split_segments += stats.split_segments;
  }
  for (size_t route = 0; route < r.routes_.size(); ++route) {
    r.stats_.decoded += job_units[route].size();
    if (job_units[route].empty()) continue;
    auto job = scheduler.Submit(std::move(job_units[route]), r.options_.search, r.routes_[route].backend,
                                r.routes_[route].model);
    if (!job.ok()) {
      r.Cancel();  // admitted as a whole or not at all
      return job.status();
    }
    r.jobs_[route] = std::move(job).value();
  }
  return request;
}

text::DocumentOptions RequestTranslation::AssembleOptions() const {
  text::DocumentOptions o = options_.document;
  o.window_sentences = 1;  // one segment at a time: its output is handed out as soon as it is complete
  return o;
}

StatusOr<std::string> RequestTranslation::Assemble(
    size_t text_index, size_t hypothesis, const std::function<Status()>& poll,
    const std::function<void(const SegmentOutput&)>& on_segment) {
  if (text_index >= texts_.size()) return Status::InvalidArgument("no text " + std::to_string(text_index));
  Replayer replayer(*this, route_of_text_[text_index], hypothesis, poll);
  size_t next_segment = 0;
  return Replay(text_index, replayer, &next_segment, on_segment);
}

StatusOr<std::optional<std::string>> RequestTranslation::AssembleReady(
    size_t text_index, size_t* next_segment, const std::function<void(const SegmentOutput&)>& on_segment) {
  if (text_index >= texts_.size()) return Status::InvalidArgument("no text " + std::to_string(text_index));
  std::function<Status()> no_poll;
  Replayer replayer(*this, route_of_text_[text_index], 0, no_poll, /*nonblocking=*/true);
  StatusOr<std::string> text = Replay(text_index, replayer, next_segment, on_segment);
  if (!text.ok()) {
    if (replayer.would_block()) return std::optional<std::string>();
    return text.status();
  }
  return std::optional<std::string>(std::move(*text));
}

StatusOr<std::string> RequestTranslation::Replay(
    size_t text_index, text::SentenceTranslator& replayer, size_t* next_segment,
    const std::function<void(const SegmentOutput&)>& on_segment) {
  const size_t first = first_segment_[text_index];
  std::string out;      // the text's output (segments from skip_segments on when skipping)
  std::string pending;  // output of the segment being assembled
  size_t current = 0;   // the text's segment whose output is arriving
  // Segment `current` of the text is complete: hand it out (unless skipped or reported by an earlier call).
  auto finish = [&]() {
    const size_t index = first + current++;
    std::string piece = std::move(pending);
    pending.clear();
    if (index < options_.skip_segments) return;
    if (options_.skip_segments > 0) out += piece;
    if (index < *next_segment) return;
    if (on_segment) {
      SegmentOutput segment;
      segment.text_index = text_index;
      segment.index = index;
      segment.total = stats_.segments;
      segment.translation = std::string(TrimSpaces(piece));
      segment.piece = std::move(piece);
      on_segment(segment);
    }
    *next_segment = index + 1;
  };
  text::DocumentCallbacks callbacks;
  callbacks.on_output = [&](std::string_view s) {
    if (options_.skip_segments == 0) out.append(s);
    pending.append(s);
  };
  // One segment per window: when a window begins, the segments before it are complete.
  callbacks.on_progress = [&](const text::DocumentProgress& p) {
    while (current < p.window_begin) finish();
    segment_ = first + p.window_begin;
  };
  segment_ = first;
  auto stats =
      text::TranslateDocument(texts_[text_index], replayer, AssembleOptions(), nullptr, callbacks, nullptr);
  if (!stats.ok()) return stats.status();
  while (current < stats->segments) finish();  // the last one gets the gap after it
  return out;
}

size_t RequestTranslation::progress() const {
  size_t n = 0;
  for (const auto& job : jobs_) {
    if (job != nullptr) n += job->WaitForProgress(job->size(), Clock::now());
  }
  return n;
}

bool RequestTranslation::ended() const {
  for (const auto& job : jobs_) {
    if (job != nullptr && !job->finished()) return false;
  }
  return true;
}

void RequestTranslation::OnChange(std::function<void()> fn) {
  bool any = false;
  for (const auto& job : jobs_) {
    if (job == nullptr) continue;
    any = true;
    job->OnChange(fn);
  }
  if (!any && fn) fn();
}

void RequestTranslation::Cancel() {
  for (const auto& job : jobs_) {
    if (job != nullptr) job->Cancel();
  }
}

long long RequestTranslation::source_tokens() const {
  long long n = 0;
  for (const auto& job : jobs_) {
    if (job == nullptr || !job->finished()) continue;
    for (size_t i = 0; i < job->size(); ++i) n += job->result(i).source_tokens;
  }
  return n;
}

long long RequestTranslation::target_tokens() const {
  long long n = 0;
  for (const auto& job : jobs_) {
    if (job == nullptr || !job->finished()) continue;
    for (size_t i = 0; i < job->size(); ++i) n += job->result(i).target_tokens;
  }
  return n;
}

}  // namespace dolmetsch::translator
