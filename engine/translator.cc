#include "engine/translator.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "engine/kernels/gemm.h"
#include "engine/kernels/thread_pool.h"
#include "engine/marian_model.h"
#include "engine/search.h"

namespace dolmetsch::engine {
namespace {

class MarianTranslator final : public Translator {
 public:
  MarianTranslator(ModelConfig config, std::unique_ptr<MarianTokenizer> tokenizer,
                   std::unique_ptr<MarianModel> model, double load_seconds, ComputeType compute_type)
      : config_(std::move(config)),
        tokenizer_(std::move(tokenizer)),
        model_(std::move(model)),
        load_seconds_(load_seconds),
        compute_type_(compute_type) {}

  StatusOr<std::vector<TranslationResult>> Translate(const std::vector<std::string>& texts,
                                                     const TranslateOptions& options) const override {
    std::vector<std::vector<int>> ids;
    ids.reserve(texts.size());
    for (const std::string& text : texts) ids.push_back(tokenizer_->Encode(text));
    if (!options.alignment.enabled) return TranslateIds(ids, options);
    // The pieces of each text, to place its tokens in it; a >>xx<< language code is not aligned to.
    std::vector<std::vector<bool>> excluded(texts.size());
    std::vector<std::vector<ByteRange>> source_bytes(texts.size());
    for (size_t i = 0; i < texts.size(); ++i) {
      std::vector<std::string> pieces = tokenizer_->Tokenize(texts[i]);
      excluded[i].assign(ids[i].size(), false);
      if (pieces.size() + 1 != ids[i].size()) continue;  // not one piece per id: no byte ranges
      for (size_t j = 0; j < pieces.size(); ++j) {
        const std::string& p = pieces[j];
        if (p.size() > 4 && p.compare(0, 2, ">>") == 0 && p.compare(p.size() - 2, 2, "<<") == 0) {
          excluded[i][j] = true;
          pieces[j].clear();
        }
      }
      source_bytes[i] = LocatePieces(pieces, texts[i]);
      source_bytes[i].push_back({texts[i].size(), texts[i].size()});  // </s>
    }
    DOLMETSCH_ASSIGN_OR_RETURN(std::vector<TranslationResult> results, Run(ids, options, excluded));
    for (size_t i = 0; i < results.size(); ++i) {
      results[i].source_bytes = std::move(source_bytes[i]);
      for (Hypothesis& h : results[i].hypotheses) {
        std::vector<std::string> pieces(h.target_ids.size());
        for (size_t t = 0; t < h.target_ids.size(); ++t) {
          const int id = h.target_ids[t];
          if (id != tokenizer_->eos_id() && id != tokenizer_->pad_id() && id != tokenizer_->unk_id())
            pieces[t] = tokenizer_->TargetPiece(id);
        }
        h.target_bytes = LocatePieces(pieces, h.text);
      }
    }
    return results;
  }

  StatusOr<std::vector<TranslationResult>> TranslateIds(const std::vector<std::vector<int>>& source_ids,
                                                        const TranslateOptions& options) const override {
    return Run(source_ids, options, {});
  }

  const ModelConfig& config() const override { return config_; }
  const MarianTokenizer& tokenizer() const override { return *tokenizer_; }
  double load_seconds() const override { return load_seconds_; }
  ComputeType compute_type() const override { return compute_type_; }

 private:
  // excluded_source: empty, or per input one flag per source id that the alignment never points to (besides
  // </s> and <pad>, which it never points to anyway).
  StatusOr<std::vector<TranslationResult>> Run(const std::vector<std::vector<int>>& source_ids,
                                               const TranslateOptions& options,
                                               const std::vector<std::vector<bool>>& excluded_source) const {
    DOLMETSCH_ASSIGN_OR_RETURN(SearchOptions search, MakeSearchOptions(options));
    if (!options.sentence_cancel.empty() && options.sentence_cancel.size() != source_ids.size()) {
      return Status::InvalidArgument("sentence_cancel has " + std::to_string(options.sentence_cancel.size()) +
                                     " tokens for " + std::to_string(source_ids.size()) + " sentences");
    }
    for (size_t i = 0; i < source_ids.size(); ++i) {
      const auto& ids = source_ids[i];
      if (ids.empty()) return Status::InvalidArgument("input " + std::to_string(i) + " has no tokens");
      if (static_cast<int>(ids.size()) > config_.max_position_embeddings) {
        return Status::InvalidArgument("input " + std::to_string(i) + " has " + std::to_string(ids.size()) +
                                       " tokens; the model takes at most " +
                                       std::to_string(config_.max_position_embeddings) +
                                       " (split long texts into sentences, as document mode does)");
      }
      for (int id : ids) {
        if (id < 0 || id >= config_.vocab_size) {
          return Status::InvalidArgument("input " + std::to_string(i) + " has token id " +
                                         std::to_string(id) + " outside the vocabulary of " +
                                         std::to_string(config_.vocab_size));
        }
      }
    }
    std::vector<TranslationResult> results(source_ids.size());
    if (source_ids.empty()) return results;
    if (options.output_factor > 0 && options.forced_new_tokens < 0) {
      // Each sentence's own bound, from its own length only (batch independence).
      search.max_lengths.resize(source_ids.size());
      for (size_t i = 0; i < source_ids.size(); ++i) {
        const double bound = std::ceil(options.output_factor * static_cast<double>(source_ids[i].size())) +
                             options.output_slack;
        search.max_lengths[i] =
            static_cast<int>(std::max(2.0, std::min<double>(search.max_length, bound + 1.0)));  // + start
      }
    }
    if (options.alignment.enabled) {
      const int layers = config_.decoder_layers, heads = config_.decoder_attention_heads;
      const AlignmentMethod& m = options.alignment.method;
      search.alignment_layer = std::clamp(m.layer >= 0 ? m.layer : layers + m.layer, 0, layers - 1);
      if (m.layer >= layers) {
        return Status::InvalidArgument("alignment layer " + std::to_string(m.layer) + ": the model has " +
                                       std::to_string(layers) + " decoder layers");
      }
      search.alignment_heads.assign(heads, m.heads.empty() ? 1 : 0);
      for (int h : m.heads) {
        if (h < 0 || h >= heads) {
          return Status::InvalidArgument("alignment head " + std::to_string(h) +
                                         ": the model's decoder has " + std::to_string(heads) + " heads");
        }
        search.alignment_heads[h] = 1;
      }
    }
    search.cancel = options.cancel;
    search.input_cancel = options.sentence_cancel;
    const Status cancelled = Status::Cancelled("the translation was cancelled");
    // The encoder stops between layers when the call, or every one of its sentences, is cancelled.
    auto stop = [&options] {
      if (IsCancelled(options.cancel)) return true;
      if (options.sentence_cancel.empty()) return false;
      for (const CancelToken* token : options.sentence_cancel)
        if (!IsCancelled(token)) return false;
      return true;
    };
    EncoderOutput encoded;
    if (!model_->Encode(source_ids, &encoded, stop)) {
      if (IsCancelled(options.cancel)) return cancelled;
      for (size_t i = 0; i < source_ids.size(); ++i) {
        results[i].source_ids = source_ids[i];
        results[i].cancelled = true;
      }
      return results;
    }
    std::vector<std::vector<SearchHypothesis>> found = Search(*model_, encoded, search);
    if (IsCancelled(options.cancel)) return cancelled;
    for (size_t i = 0; i < source_ids.size(); ++i) {
      results[i].source_ids = source_ids[i];
      results[i].cancelled = found[i].empty();  // the search returns no hypothesis only when cancelled
      for (SearchHypothesis& h : found[i]) {
        Hypothesis out;
        out.text = tokenizer_->Decode(h.ids, /*skip_special_tokens=*/true);
        out.target_ids = std::move(h.ids);
        out.score = h.score;
        if (options.alignment.enabled) {
          Align(source_ids[i], excluded_source.empty() ? std::vector<bool>() : excluded_source[i],
                options.alignment.keep_weights, std::move(h.attention), &out);
        }
        results[i].hypotheses.push_back(std::move(out));
      }
    }
    return results;
  }

  // Hard alignment of a hypothesis from its attention weights ([target][source]).
  void Align(const std::vector<int>& source, std::vector<bool> excluded, bool keep_weights,
             std::vector<float> weights, Hypothesis* h) const {
    const int S = static_cast<int>(source.size()), T = static_cast<int>(h->target_ids.size());
    excluded.resize(S, false);
    for (int j = 0; j < S; ++j)
      if (source[j] == config_.eos_token_id || source[j] == config_.pad_token_id) excluded[j] = true;
    std::vector<bool> special(T);
    for (int t = 0; t < T; ++t)
      special[t] = h->target_ids[t] == config_.eos_token_id || h->target_ids[t] == config_.pad_token_id;
    weights.resize(static_cast<size_t>(T) * S, 0.0f);
    h->alignment = HardAlignment(weights, T, S, excluded, special);
    if (keep_weights) h->alignment_weights = std::move(weights);
  }

  StatusOr<SearchOptions> MakeSearchOptions(const TranslateOptions& options) const {
    SearchOptions s = SearchOptions::FromConfig(config_);
    if (options.beam_size < 0 || options.beam_size > 64) {
      return Status::InvalidArgument("beam size must be between 1 and 64, got " +
                                     std::to_string(options.beam_size));
    }
    if (options.beam_size > 0) s.num_beams = options.beam_size;
    if (options.num_hypotheses < 1 || options.num_hypotheses > s.num_beams) {
      return Status::InvalidArgument("the number of hypotheses must be between 1 and the beam size (" +
                                     std::to_string(s.num_beams) + "), got " +
                                     std::to_string(options.num_hypotheses));
    }
    s.num_return_sequences = options.num_hypotheses;
    if (options.max_length < 0 || options.max_new_tokens < 0) {
      return Status::InvalidArgument("max_length and max_new_tokens must not be negative");
    }
    if (!(options.output_factor >= 0.0 && options.output_factor <= 1000.0) || options.output_slack < 0 ||
        options.output_slack > (1 << 20)) {
      return Status::InvalidArgument(
          "output_factor must be between 0 and 1000 and output_slack not negative");
    }
    if (options.max_length > 0) s.max_length = options.max_length;
    if (options.max_new_tokens > 0) s.max_length = options.max_new_tokens + 1;
    if (options.forced_new_tokens >= 0) {
      s.ban_eos = true;
      s.max_length = options.forced_new_tokens + 1;
    }
    if (s.max_length < 2)
      return Status::InvalidArgument("max_length must be at least 2 (start token + one token)");
    // Decoder positions run from 0 to max_length - 2; the model has no positions beyond its table.
    s.max_length = std::min(s.max_length, config_.max_position_embeddings + 1);
    return s;
  }

  ModelConfig config_;
  std::unique_ptr<MarianTokenizer> tokenizer_;
  std::unique_ptr<MarianModel> model_;
  double load_seconds_;
  ComputeType compute_type_;
};

}  // namespace

StatusOr<std::unique_ptr<Translator>> Translator::Load(const std::string& model_dir,
                                                       const LoadOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  const ComputeType compute_type = ResolveComputeType(options.compute_type);
  DOLMETSCH_ASSIGN_OR_RETURN(ModelConfig config, ModelConfig::Load(model_dir));
  DOLMETSCH_ASSIGN_OR_RETURN(std::unique_ptr<MarianTokenizer> tokenizer, MarianTokenizer::Load(model_dir));
  // vocab.json is a bijection onto 0..N-1 (the tokenizer checks that); N must be the model's vocab_size and
  // its special tokens must be the ids the model uses.
  if (tokenizer->source_vocab_size() != config.vocab_size) {
    return Status::InvalidArgument(
        model_dir + "/vocab.json has " + std::to_string(tokenizer->source_vocab_size()) +
        " entries but config.json says \"vocab_size\": " + std::to_string(config.vocab_size));
  }
  if (tokenizer->eos_id() != config.eos_token_id) {
    return Status::InvalidArgument(
        model_dir + "/vocab.json maps \"</s>\" to " + std::to_string(tokenizer->eos_id()) +
        " but the config's \"eos_token_id\" is " + std::to_string(config.eos_token_id));
  }
  if (tokenizer->pad_id() != config.pad_token_id) {
    return Status::InvalidArgument(
        model_dir + "/vocab.json maps \"<pad>\" to " + std::to_string(tokenizer->pad_id()) +
        " but the config's \"pad_token_id\" is " + std::to_string(config.pad_token_id));
  }
  if (tokenizer->target_vocab_size() > config.decoder_vocab_size) {
    return Status::InvalidArgument(
        model_dir + ": the target vocabulary has " + std::to_string(tokenizer->target_vocab_size()) +
        " entries but the model has " + std::to_string(config.decoder_vocab_size) + " outputs");
  }
  DOLMETSCH_ASSIGN_OR_RETURN(std::unique_ptr<MarianModel> model,
                             MarianModel::Load(model_dir, config, compute_type));
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return std::unique_ptr<Translator>(
      new MarianTranslator(std::move(config), std::move(tokenizer), std::move(model), seconds, compute_type));
}

void SetNumThreads(int threads) { kernels::ThreadPool::Global().SetThreads(threads); }

}  // namespace dolmetsch::engine
