#include "text/document_translator.h"

#include <algorithm>
#include <optional>
#include <unordered_map>

#include "text/line_breaks.h"
#include "text/unicode.h"

namespace dolmetsch::text {

EngineSentenceTranslator::EngineSentenceTranslator(const engine::Translator* translator,
                                                   engine::TranslateOptions options, std::string model_id)
    : translator_(translator), options_(options) {
  cache_key_ = "engine:" + model_id + ":beam=" + std::to_string(options_.beam_size) +
               ":len=" + std::to_string(options_.max_length) +
               ":new=" + std::to_string(options_.max_new_tokens) +
               ":forced=" + std::to_string(options_.forced_new_tokens);
}

int EngineSentenceTranslator::CountTokens(std::string_view sentence) const {
  return static_cast<int>(translator_->tokenizer().Encode(sentence).size());
}

int EngineSentenceTranslator::max_source_tokens() const {
  return translator_->config().max_position_embeddings;
}

StatusOr<std::vector<engine::TranslationResult>> EngineSentenceTranslator::TranslateBatchResults(
    const std::vector<std::string>& sentences, const BatchOptions& options, bool alignment) {
  engine::TranslateOptions run = options_;
  run.num_hypotheses = 1;
  run.output_factor = options.output_factor;
  run.output_slack = options.output_slack;
  run.alignment.enabled = alignment;
  DOLMETSCH_ASSIGN_OR_RETURN(std::vector<engine::TranslationResult> results,
                             translator_->Translate(sentences, run));
  if (results.size() != sentences.size()) {
    return Status::Internal("the engine returned " + std::to_string(results.size()) + " results for " +
                            std::to_string(sentences.size()) + " sentences");
  }
  return results;
}

StatusOr<std::vector<std::string>> EngineSentenceTranslator::TranslateBatch(
    const std::vector<std::string>& sentences, const BatchOptions& options) {
  DOLMETSCH_ASSIGN_OR_RETURN(std::vector<engine::TranslationResult> results,
                             TranslateBatchResults(sentences, options, /*alignment=*/false));
  std::vector<std::string> out;
  out.reserve(results.size());
  for (auto& r : results)
    out.push_back(r.hypotheses.empty() ? std::string() : std::move(r.hypotheses[0].text));
  return out;
}

namespace {

bool HasLetter(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const DecodedChar c = DecodeUtf8(s, i);
    if (IsLetter(c.cp)) return true;
    i += c.len;
  }
  return false;
}

Status ValidateOptions(const DocumentOptions& o) {
  if (o.max_segment_tokens < 2) {
    return Status::InvalidArgument("max_segment_tokens must be at least 2, got " +
                                   std::to_string(o.max_segment_tokens));
  }
  if (!(o.max_output_factor > 0) || o.max_output_factor > 1000) {
    return Status::InvalidArgument("max_output_factor must be in (0, 1000], got " +
                                   std::to_string(o.max_output_factor));
  }
  if (o.output_slack_tokens < 0) return Status::InvalidArgument("output_slack_tokens must not be negative");
  if (o.batch_token_budget < 1) return Status::InvalidArgument("batch_token_budget must be at least 1");
  if (o.max_batch_sentences < 1) return Status::InvalidArgument("max_batch_sentences must be at least 1");
  if (o.window_sentences < 1) return Status::InvalidArgument("window_sentences must be at least 1");
  return Status::Ok();
}

// One window of segments: what to copy, and the distinct sentences to translate.
struct SegmentPlan {
  Span span;
  std::size_t marker_end = 0;      // [span.begin, marker_end) is copied before the translation
  bool copy = false;               // the whole segment is copied
  std::vector<std::size_t> units;  // indices into Window::uniques, in text order
  std::size_t pending = 0;         // units not yet translated
};

struct Unique {
  std::string text;
  int tokens = 0;
  std::optional<std::string> translation;
  std::vector<std::size_t> segments;  // plans that use it (once per use)
};

class DocumentRun {
 public:
  DocumentRun(std::string_view text, SentenceTranslator& translator, const DocumentOptions& options,
              TranslationCache* cache, const DocumentCallbacks& callbacks, std::string* output)
      : text_(text),
        translator_(translator),
        options_(options),
        cache_(cache),
        callbacks_(callbacks),
        output_(output) {}

  StatusOr<DocumentStats> Run() {
    const std::vector<Span> spans = SegmentSentences(text_, options_.segmenter);
    blocks_ = FindLineBlocks(text_);
    stats_.segments = spans.size();
    cap_ = std::max(2, std::min(options_.max_segment_tokens, translator_.max_source_tokens()));
    key_prefix_ = translator_.cache_key() + '\x1f';
    Report();
    std::size_t prev_end = 0;
    for (std::size_t w = 0; w < spans.size(); w += options_.window_sentences) {
      const std::size_t w_end = std::min(spans.size(), w + options_.window_sentences);
      window_begin_ = w;
      PlanWindow(spans, w, w_end);
      DOLMETSCH_RETURN_IF_ERROR(TranslateWindow());
      for (const SegmentPlan& plan : plans_) {
        Emit(text_.substr(prev_end, plan.span.begin - prev_end));
        if (plan.copy) {
          Emit(text_.substr(plan.span.begin, plan.span.size()));
        } else {
          Emit(text_.substr(plan.span.begin, plan.marker_end - plan.span.begin));
          std::string translation;
          for (std::size_t k = 0; k < plan.units.size(); ++k) {
            if (k > 0) translation += ' ';
            translation += *uniques_[plan.units[k]].translation;
          }
          if (KeepsLinesAt(plan.span.begin)) {
            translation = ProjectLineBreaks(text_.substr(plan.marker_end, plan.span.end - plan.marker_end),
                                            translation);
          }
          Emit(translation);
        }
        prev_end = plan.span.end;
      }
      done_before_window_ += plans_.size();
    }
    Emit(text_.substr(prev_end));
    return stats_;
  }

 private:
  void Emit(std::string_view s) {
    if (s.empty()) return;
    stats_.output_bytes += s.size();
    if (callbacks_.on_output) {
      callbacks_.on_output(s);
    } else {
      output_->append(s);
    }
  }

  void Report() {
    if (!callbacks_.on_progress) return;
    callbacks_.on_progress({done_before_window_ + done_in_window_, stats_.segments, window_begin_});
  }

  // Whether the block holding byte `pos` keeps its lines (line_breaks.h). Plans come in text order, so
  // the search resumes where the last one ended.
  bool KeepsLinesAt(std::size_t pos) {
    while (block_cursor_ < blocks_.size() && blocks_[block_cursor_].end <= pos) ++block_cursor_;
    return block_cursor_ < blocks_.size() && blocks_[block_cursor_].begin <= pos &&
           blocks_[block_cursor_].keep_lines;
  }

  bool Fits(Span s) const {
    return translator_.CountTokens(CollapseWhitespace(text_.substr(s.begin, s.size()))) <= cap_;
  }

  void AddUnit(std::size_t plan_index, std::string unit_text, int tokens) {
    ++stats_.pieces;
    std::size_t u;
    auto it = index_.find(unit_text);
    if (it != index_.end()) {
      u = it->second;
      ++stats_.duplicates;
    } else {
      u = uniques_.size();
      Unique unique;
      unique.tokens = tokens;
      if (cache_ != nullptr) {
        if (std::optional<std::string> hit = cache_->Lookup(key_prefix_ + unit_text)) {
          unique.translation = std::move(*hit);
          ++stats_.cache_hits;
        }
      }
      unique.text = unit_text;
      index_.emplace(std::move(unit_text), u);
      uniques_.push_back(std::move(unique));
    }
    plans_[plan_index].units.push_back(u);
    if (!uniques_[u].translation) {
      ++plans_[plan_index].pending;
      uniques_[u].segments.push_back(plan_index);
    }
  }

  void PlanWindow(const std::vector<Span>& spans, std::size_t begin, std::size_t end) {
    plans_.clear();
    uniques_.clear();
    index_.clear();
    done_in_window_ = 0;
    for (std::size_t i = begin; i < end; ++i) {
      const Span span = spans[i];
      const std::size_t p = plans_.size();
      plans_.push_back(SegmentPlan{span, span.begin, false, {}, 0});
      const std::string_view segment = text_.substr(span.begin, span.size());
      const std::size_t marker = ListMarkerLength(segment);
      const Span body{span.begin + marker, span.end};
      if (!HasLetter(text_.substr(body.begin, body.size()))) {
        plans_[p].copy = true;
        ++stats_.copied_segments;
        ++done_in_window_;
        continue;
      }
      plans_[p].marker_end = body.begin;
      std::string normalized = CollapseWhitespace(text_.substr(body.begin, body.size()));
      const int tokens = translator_.CountTokens(normalized);
      if (tokens <= cap_) {
        stats_.max_piece_tokens = std::max(stats_.max_piece_tokens, tokens);
        AddUnit(p, std::move(normalized), tokens);
      } else {
        ++stats_.split_segments;
        for (const Span& piece : SplitLongSpan(text_, body, [this](Span s) { return Fits(s); })) {
          std::string piece_text = CollapseWhitespace(text_.substr(piece.begin, piece.size()));
          const int piece_tokens = translator_.CountTokens(piece_text);
          stats_.max_piece_tokens = std::max(stats_.max_piece_tokens, piece_tokens);
          AddUnit(p, std::move(piece_text), piece_tokens);
        }
      }
      if (plans_[p].pending == 0) ++done_in_window_;
    }
  }

  Status TranslateWindow() {
    std::vector<std::size_t> todo;
    for (std::size_t u = 0; u < uniques_.size(); ++u) {
      if (!uniques_[u].translation) todo.push_back(u);
    }
    std::stable_sort(todo.begin(), todo.end(), [this](std::size_t a, std::size_t b) {
      return uniques_[a].tokens < uniques_[b].tokens;
    });
    Report();
    std::size_t next = 0;
    while (next < todo.size()) {
      if (callbacks_.is_cancelled && callbacks_.is_cancelled()) {
        return Status::Cancelled("translation cancelled after " +
                                 std::to_string(done_before_window_ + done_in_window_) + " of " +
                                 std::to_string(stats_.segments) + " sentences");
      }
      // Sorted ascending: the newest sentence is the longest, so padded size = its tokens * count.
      std::size_t end = next + 1;
      while (end < todo.size() && static_cast<int>(end - next) < options_.max_batch_sentences &&
             static_cast<long long>(uniques_[todo[end]].tokens) * static_cast<long long>(end - next + 1) <=
                 options_.batch_token_budget) {
        ++end;
      }
      std::vector<std::string> batch;
      batch.reserve(end - next);
      for (std::size_t k = next; k < end; ++k) batch.push_back(uniques_[todo[k]].text);
      BatchOptions batch_options;  // each sentence's own bound: batching changes no translation
      batch_options.output_factor = options_.max_output_factor;
      batch_options.output_slack = options_.output_slack_tokens;
      StatusOr<std::vector<std::string>> translated = translator_.TranslateBatch(batch, batch_options);
      if (!translated.ok()) {
        return translated.status().WithContext("translating a batch of " + std::to_string(batch.size()) +
                                               " sentences");
      }
      if (translated->size() != batch.size()) {
        return Status::Internal("the translator returned " + std::to_string(translated->size()) +
                                " translations for a batch of " + std::to_string(batch.size()) +
                                " sentences");
      }
      ++stats_.batches;
      stats_.translated += batch.size();
      for (std::size_t k = next; k < end; ++k) {
        Unique& unique = uniques_[todo[k]];
        if (cache_ != nullptr) cache_->Insert(key_prefix_ + unique.text, (*translated)[k - next]);
        unique.translation = std::move((*translated)[k - next]);
        for (std::size_t plan : unique.segments) {
          if (--plans_[plan].pending == 0) ++done_in_window_;
        }
      }
      next = end;
      Report();
    }
    return Status::Ok();
  }

  std::string_view text_;
  SentenceTranslator& translator_;
  const DocumentOptions& options_;
  TranslationCache* cache_;
  const DocumentCallbacks& callbacks_;
  std::string* output_;

  int cap_ = 2;
  std::string key_prefix_;
  DocumentStats stats_;
  std::size_t done_before_window_ = 0;
  std::size_t done_in_window_ = 0;
  std::size_t window_begin_ = 0;
  std::vector<SegmentPlan> plans_;
  std::vector<Unique> uniques_;
  std::unordered_map<std::string, std::size_t> index_;
  std::vector<LineBlock> blocks_;
  std::size_t block_cursor_ = 0;
};

}  // namespace

StatusOr<DocumentStats> TranslateDocument(std::string_view text, SentenceTranslator& translator,
                                          const DocumentOptions& options, TranslationCache* cache,
                                          const DocumentCallbacks& callbacks, std::string* output) {
  DOLMETSCH_RETURN_IF_ERROR(ValidateOptions(options));
  if (!callbacks.on_output && output == nullptr) {
    return Status::InvalidArgument("TranslateDocument needs an on_output callback or an output string");
  }
  if (translator.max_source_tokens() < 2) {
    return Status::InvalidArgument("the model takes at most " +
                                   std::to_string(translator.max_source_tokens()) +
                                   " source tokens; at least 2 are needed");
  }
  return DocumentRun(text, translator, options, cache, callbacks, output).Run();
}

}  // namespace dolmetsch::text
