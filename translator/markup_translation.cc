#include "translator/markup_translation.h"

#include <algorithm>

namespace dolmetsch::translator {

MarkupTranslation::MarkupTranslation(std::vector<TextRoute> routes, std::vector<size_t> route_of_text,
                                     std::vector<std::string> texts, markup::Format format,
                                     const MarkupOptions& options)
    : routes_(std::move(routes)),
      route_of_text_(std::move(route_of_text)),
      texts_(std::move(texts)),
      format_(format),
      options_(options),
      where_(routes_.size()),
      jobs_(routes_.size()) {
  options_.search.alignment = true;
  options_.search.n_best = 1;
}

MarkupTranslation::~MarkupTranslation() { Cancel(); }

std::string MarkupTranslation::TextName(size_t t) const {
  return options_.texts_is_array ? options_.field + "[" + std::to_string(t) + "]" : options_.field;
}

StatusOr<std::unique_ptr<MarkupTranslation>> MarkupTranslation::Start(
    Scheduler& scheduler, std::vector<TextRoute> routes, std::vector<size_t> route_of_text,
    std::vector<std::string> texts, markup::Format format, const MarkupOptions& options) {
  if (route_of_text.size() != texts.size()) return Status::Internal("one route per text is needed");
  for (size_t r : route_of_text) {
    if (r >= routes.size() || routes[r].backend == nullptr) return Status::Internal("a text has no route");
  }
  if (format == markup::Format::kText) {
    return Status::Internal("plain text goes through RequestTranslation, not the markup pipeline");
  }
  std::unique_ptr<MarkupTranslation> request(
      new MarkupTranslation(std::move(routes), std::move(route_of_text), std::move(texts), format, options));
  MarkupTranslation& r = *request;

  // Pass 1: parse, and record the distinct sentences of each route.
  std::vector<std::vector<std::string>> job_sentences(r.routes_.size());
  std::vector<std::string> long_sentences;
  std::vector<size_t> long_routes;
  for (size_t t = 0; t < r.texts_.size(); ++t) {
    const size_t route = r.route_of_text_[t];
    BatchBackend* backend = r.routes_[route].backend;
    const int cap = std::min(r.options_.document.max_segment_tokens, backend->max_source_tokens());
    markup::TranslateFn record =
        [&](const std::vector<std::string>& sentences) -> StatusOr<std::vector<markup::SentenceTranslation>> {
      std::vector<markup::SentenceTranslation> out(sentences.size());
      for (size_t i = 0; i < sentences.size(); ++i) {
        out[i].text = sentences[i];
        auto [it, inserted] = r.where_[route].try_emplace(sentences[i]);
        if (!inserted) continue;
        if (backend->CountTokens(sentences[i]) > cap) {
          it->second = {true, long_sentences.size()};
          long_sentences.push_back(sentences[i]);
          long_routes.push_back(route);
        } else {
          it->second = {false, job_sentences[route].size()};
          job_sentences[route].push_back(sentences[i]);
        }
      }
      return out;
    };
    markup::TranslateBlocksStats blocks;
    markup::DocumentTranslationOptions planning = r.options_.markup;
    std::vector<TrackedBlock> tracked;
    if (r.options_.track_blocks) {
      planning.blocks.on_block = [&tracked](const markup::Block& block,
                                            const std::vector<std::string>& sentences) {
        if (!sentences.empty()) tracked.push_back({block, sentences, 0, false});
      };
    }
    StatusOr<std::string> parsed = markup::TranslateFormatted(r.texts_[t], format, record, planning, &blocks);
    if (!parsed.ok()) {
      // The text is at fault (malformed, over a limit): a client error, whatever the parser's code.
      return Status::InvalidArgument(r.TextName(t) + ": " + markup::FormatName(format) + ": " +
                                     parsed.status().message());
    }
    r.stats_.blocks += blocks.blocks;
    // Each block's sentences were recorded by now (on_block runs before they are asked for).
    for (TrackedBlock& b : tracked) {
      for (const std::string& sentence : b.sentences) {
        const Where& where = r.where_[route].at(sentence);
        if (where.is_long) {
          b.long_sentence = true;
        } else {
          b.prefix = std::max(b.prefix, where.index + 1);
        }
      }
    }
    r.blocks_.push_back(std::move(tracked));
  }

  // Submit: the aligned jobs, then the long sentences; all admitted or none.
  for (size_t route = 0; route < r.routes_.size(); ++route) {
    r.stats_.sentences += job_sentences[route].size();
    if (job_sentences[route].empty()) continue;
    auto job = scheduler.Submit(std::move(job_sentences[route]), r.options_.search, r.routes_[route].backend,
                                r.routes_[route].model);
    if (!job.ok()) {
      r.Cancel();
      return job.status();
    }
    r.jobs_[route] = std::move(job).value();
  }
  if (!long_sentences.empty()) {
    r.stats_.sentences += long_sentences.size();
    r.stats_.long_sentences = long_sentences.size();
    RequestOptions plan;
    plan.search = r.options_.search;
    plan.search.alignment = false;
    plan.document = r.options_.document;
    auto started = RequestTranslation::Start(scheduler, r.routes_, std::move(long_routes),
                                             std::move(long_sentences), plan);
    if (!started.ok()) {
      r.Cancel();
      return started.status();
    }
    r.long_ = std::move(started).value();
  }
  return request;
}

StatusOr<markup::SentenceTranslation> MarkupTranslation::Result(size_t route, const std::string& sentence,
                                                                bool streaming) {
  auto it = where_[route].find(sentence);
  if (it == where_[route].end()) {
    return Status::Internal("the markup pipeline asked for a sentence it did not ask for when planning");
  }
  markup::SentenceTranslation out;
  if (it->second.is_long) {
    if (!long_assembled_) {
      long_assembled_ = true;
      for (size_t i = 0; i < long_->texts(); ++i) {
        DOLMETSCH_ASSIGN_OR_RETURN(std::string text, long_->Assemble(i, 0, nullptr));
        long_results_.push_back(std::move(text));
      }
    }
    out.text = long_results_.at(it->second.index);
    return out;
  }
  const std::shared_ptr<Job>& job = jobs_[route];
  if (job == nullptr || (!streaming && !job->finished()))
    return Status::Internal("a markup sentence was read before its job ended");
  DOLMETSCH_RETURN_IF_ERROR(job->status());
  const SentenceResult& result = job->result(it->second.index);
  if (result.cancelled) return Status::Cancelled("the translation was cancelled");
  if (result.hypotheses.empty()) return out;  // an empty sentence
  out.text = result.hypotheses[0];
  for (const engine::AlignedBytes& a : result.alignment) {
    out.alignment.push_back({a.target.begin, a.target.end, a.source.begin, a.source.end});
  }
  return out;
}

StatusOr<std::string> MarkupTranslation::Assemble(size_t text_index) {
  if (text_index >= texts_.size()) return Status::InvalidArgument("no text " + std::to_string(text_index));
  const size_t route = route_of_text_[text_index];
  markup::TranslateFn replay =
      [&](const std::vector<std::string>& sentences) -> StatusOr<std::vector<markup::SentenceTranslation>> {
    std::vector<markup::SentenceTranslation> out;
    out.reserve(sentences.size());
    for (const std::string& sentence : sentences) {
      DOLMETSCH_ASSIGN_OR_RETURN(markup::SentenceTranslation t, Result(route, sentence));
      out.push_back(std::move(t));
    }
    return out;
  };
  return markup::TranslateFormatted(texts_[text_index], format_, replay, options_.markup);
}

size_t MarkupTranslation::blocks(size_t text_index) const {
  return text_index < blocks_.size() ? blocks_[text_index].size() : 0;
}

Status MarkupTranslation::ReportBlocks(size_t text_index, size_t* next_block,
                                       const std::function<void(const BlockOutput&)>& on_block) {
  if (text_index >= blocks_.size())
    return Status::InvalidArgument("no blocks kept for text " + std::to_string(text_index));
  const std::vector<TrackedBlock>& blocks = blocks_[text_index];
  const size_t route = route_of_text_[text_index];
  const std::shared_ptr<Job>& job = jobs_[route];
  // Whether the job had ended before its prefix is read: then the prefix is final.
  const bool job_ended = job != nullptr && job->finished();
  const size_t prefix = job != nullptr ? job->WaitForProgress(job->size(), Job::Clock::now()) : 0;  // no wait
  while (*next_block < blocks.size()) {
    const TrackedBlock& b = blocks[*next_block];
    if (b.long_sentence && !long_->ended()) return Status::Ok();
    if (b.prefix > prefix) {
      if (!job_ended) return Status::Ok();
      Status status = job->status();
      return status.ok() ? Status::Internal("a finished job did not finish its sentences") : status;
    }
    markup::TranslateFn replay =
        [&](const std::vector<std::string>& sentences) -> StatusOr<std::vector<markup::SentenceTranslation>> {
      std::vector<markup::SentenceTranslation> out;
      out.reserve(sentences.size());
      for (const std::string& sentence : sentences) {
        DOLMETSCH_ASSIGN_OR_RETURN(markup::SentenceTranslation t,
                                   Result(route, sentence, /*streaming=*/true));
        out.push_back(std::move(t));
      }
      return out;
    };
    DOLMETSCH_ASSIGN_OR_RETURN(std::vector<markup::TranslatedBlock> translated,
                               markup::TranslateBlocks({b.block}, replay, options_.markup.blocks));
    on_block({*next_block, blocks.size(), markup::PlainBlockText(translated.at(0))});
    ++*next_block;
  }
  return Status::Ok();
}

size_t MarkupTranslation::progress() const {
  size_t n = long_ != nullptr ? long_->progress() : 0;
  for (const auto& job : jobs_) {
    if (job != nullptr) n += job->WaitForProgress(job->size(), Job::Clock::now());
  }
  return n;
}

bool MarkupTranslation::ended() const {
  for (const auto& job : jobs_) {
    if (job != nullptr && !job->finished()) return false;
  }
  return long_ == nullptr || long_->ended();
}

void MarkupTranslation::OnChange(std::function<void()> fn) {
  bool any = false;
  for (const auto& job : jobs_) {
    if (job == nullptr) continue;
    any = true;
    job->OnChange(fn);
  }
  if (long_ != nullptr) {
    any = true;
    long_->OnChange(fn);
  }
  if (!any && fn) fn();
}

void MarkupTranslation::Cancel() {
  for (const auto& job : jobs_) {
    if (job != nullptr) job->Cancel();
  }
  if (long_ != nullptr) long_->Cancel();
}

long long MarkupTranslation::source_tokens() const {
  long long n = long_ != nullptr ? long_->source_tokens() : 0;
  for (const auto& job : jobs_) {
    if (job == nullptr || !job->finished()) continue;
    for (size_t i = 0; i < job->size(); ++i) n += job->result(i).source_tokens;
  }
  return n;
}

long long MarkupTranslation::target_tokens() const {
  long long n = long_ != nullptr ? long_->target_tokens() : 0;
  for (const auto& job : jobs_) {
    if (job == nullptr || !job->finished()) continue;
    for (size_t i = 0; i < job->size(); ++i) n += job->result(i).target_tokens;
  }
  return n;
}

}  // namespace dolmetsch::translator
