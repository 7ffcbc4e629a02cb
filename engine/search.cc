#include "engine/search.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <optional>

#include "engine/kernels/thread_pool.h"
#include "engine/kernels/top_k.h"
#include "engine/kernels/vector_math.h"
#include "engine/ops.h"

namespace dolmetsch::engine {
namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

// log(sum(exp(x))) over a row, as log_softmax subtracts it (max-shifted, float accumulation).
float LogSumExp(const float* x, int n) {
  const float max = kernels::MaxOf(x, n);
  if (!std::isfinite(max)) return max;
  return max + std::log(kernels::SumExp(x, n, max));
}

// A candidate of the beam step: its score (beam score + log-prob) and beam * V + token.
struct Candidate {
  float score;
  int flat;
};
// topk's order: larger score first, lower flat index first among equals.
inline bool Better(const Candidate& x, const Candidate& y) {
  return x.score != y.score ? x.score > y.score : x.flat < y.flat;
}

// The k largest values of a row (lower index first among equals), best first, as (value, index).
// kernels::TopK gives bitwise what the former sorted-insertion loop gave (kernels/top_k.h).
void TopOfRow(const float* s, int n, int k, std::vector<float>* values, std::vector<int>* indices,
              std::vector<Candidate>* top) {
  values->resize(k);
  indices->resize(k);
  const int m = kernels::TopK(s, n, k, values->data(), indices->data());
  top->resize(m);
  for (int i = 0; i < m; ++i) (*top)[i] = {(*values)[i], (*indices)[i]};
}

// Per-thread scratch of the beam step's per-row pass.
struct RowScratch {
  std::vector<int> banned;
  std::vector<float> values;
  std::vector<int> indices;
};

// transformers' logits processors for Marian, in the order _get_logits_processor builds them.
class LogitsProcessors {
 public:
  LogitsProcessors(const SearchOptions& o, int vocab) : o_(o), vocab_(vocab) {
    // NoBadWordsLogitsProcessor drops sequences that are just [eos].
    for (const auto& seq : o.bad_words_ids) {
      if (seq.size() == 1 && seq[0] == o.eos_token_id) continue;
      bad_words_.push_back(seq);
    }
  }

  // True when at this sequence length the processors only ban tokens (set them to -inf) and renormalize:
  // then the scores are the raw logits minus per-row constants (BanAndShift), and the search can skip
  // normalizing the whole row in place. max_length: the row's input's own (SearchOptions::MaxLengthOf).
  bool OnlyBans(int cur_len, int max_length) const {
    return !(o_.forced_eos_token_id >= 0 && !o_.ban_eos && cur_len == max_length - 1);
  }

  // Calls ban(token) for every token the processors set to -inf after `prefix` (a token may repeat).
  template <typename Fn>
  void ForEachBanned(const std::vector<int>& prefix, const Fn& ban) const {
    for (const auto& seq : bad_words_) {
      const size_t n = seq.size();
      if (n == 1 ||
          (prefix.size() >= n - 1 && std::equal(seq.begin(), seq.end() - 1, prefix.end() - (n - 1)))) {
        ban(seq.back());
      }
    }
    if (o_.ban_eos) ban(o_.eos_token_id);
  }

  void Ban(float* scores, const std::vector<int>& prefix) const {
    ForEachBanned(prefix, [&](int token) { scores[token] = kNegInf; });
  }

  // When OnlyBans: bans in place in the raw logits x and returns the two shifts that turn a remaining logit
  // into what the processors and log-softmax make of it, in transformers' order:
  //   log_softmax(x)[v] = x[v] - first;  after banning, log_softmax of that again: - second.
  // One pass over the row: the banned tokens' share is taken out of the same sum.
  struct Shifts {
    float first, second;
  };
  // banned_tokens is the caller's scratch (one per thread).
  std::optional<Shifts> BanAndShift(float* x, int n, const std::vector<int>& prefix,
                                    std::vector<int>* banned_tokens) const {
    const float max = kernels::MaxOf(x, n);
    if (!std::isfinite(max)) return std::nullopt;
    const double sum = kernels::SumExp(x, n, max);
    std::vector<int>& tokens = *banned_tokens;
    tokens.clear();
    ForEachBanned(prefix, [&](int token) { tokens.push_back(token); });
    std::sort(tokens.begin(), tokens.end());
    tokens.erase(std::unique(tokens.begin(), tokens.end()), tokens.end());
    double banned = 0.0;
    for (int token : tokens) banned += std::exp(static_cast<double>(x[token]) - max);
    if (!(sum - banned > 0.0)) return std::nullopt;  // everything banned: leave it to the general path
    for (int token : tokens) x[token] = kNegInf;
    const float first = max + static_cast<float>(std::log(sum));
    const float kept = max + static_cast<float>(std::log(sum - banned));
    return Shifts{first, kept - first};
  }

  // scores: one row of V values; prefix: the row's tokens so far, start token included.
  void Apply(float* scores, const std::vector<int>& prefix, int max_length) const {
    Ban(scores, prefix);
    const int cur_len = static_cast<int>(prefix.size());
    if (o_.forced_eos_token_id >= 0 && !o_.ban_eos && cur_len == max_length - 1) {
      std::fill(scores, scores + vocab_, kNegInf);
      scores[o_.forced_eos_token_id] = 0.0f;
    }
    if (o_.renormalize_logits) ops::LogSoftmax(scores, vocab_);
  }

 private:
  const SearchOptions& o_;
  int vocab_;
  std::vector<std::vector<int>> bad_words_;
};

// BeamHypotheses of transformers' beam_search.py: the finished hypotheses of one input.
class BeamHypotheses {
 public:
  // max_length: the input's own (SearchOptions::MaxLengthOf).
  BeamHypotheses(const SearchOptions& o, int max_length) : o_(o), max_length_(max_length) {}

  // trace: the step and row that chose the hypothesis' last token (AttentionTrace; {-1, -1} without one).
  void Add(const std::vector<int>& prefix, double sum_logprobs, int generated_len,
           std::pair<int, int> trace = {-1, -1}) {
    const double score = sum_logprobs / std::pow(static_cast<double>(generated_len), o_.length_penalty);
    if (static_cast<int>(beams_.size()) < o_.num_beams || score > worst_score_) {
      beams_.push_back({score, prefix, trace});
      if (static_cast<int>(beams_.size()) > o_.num_beams) {
        // sorted((s, idx)): the smallest score, ties broken by the lower index, goes.
        std::vector<size_t> order(beams_.size());
        std::iota(order.begin(), order.end(), 0);
        std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
          return beams_[a].score != beams_[b].score ? beams_[a].score < beams_[b].score : a < b;
        });
        worst_score_ = beams_[order[1]].score;
        beams_.erase(beams_.begin() + order[0]);
      } else {
        worst_score_ = std::min(score, worst_score_);
      }
    }
  }

  bool IsDone(double best_sum_logprobs, int cur_len) const {
    if (static_cast<int>(beams_.size()) < o_.num_beams) return false;
    using E = GenerationConfig::EarlyStopping;
    if (o_.early_stopping == E::kWhenDone) return true;
    int denominator_len = cur_len - 1;
    if (o_.early_stopping == E::kNever && o_.length_penalty > 0.0f) denominator_len = max_length_ - 1;
    const double highest =
        best_sum_logprobs / std::pow(static_cast<double>(denominator_len), o_.length_penalty);
    return worst_score_ >= highest;
  }

  // The best n hypotheses, as finalize() pops them from a stable ascending sort.
  struct Hyp {
    double score;
    std::vector<int> prefix;  // start token first, EOS not included
    std::pair<int, int> trace;
  };
  std::vector<Hyp> Best(int n) const {
    std::vector<size_t> order(beams_.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return beams_[a].score < beams_[b].score; });
    std::vector<Hyp> best;
    for (int i = 0; i < n && i < static_cast<int>(order.size()); ++i)
      best.push_back(beams_[order[order.size() - 1 - i]]);
    return best;
  }

 private:
  const SearchOptions& o_;
  int max_length_;
  std::vector<Hyp> beams_;
  double worst_score_ = 1e9;
};

// The beam's alignment weights: every step's rows, and for each row the row of the step before that it
// continues, so a hypothesis' weights are found by walking back from the step and row that chose its last
// token. Kept only with SearchOptions::alignment_layer; rows are [source_max_len] floats.
class AttentionTrace {
 public:
  explicit AttentionTrace(int stride) : stride_(stride) {}
  // After a DecodeStep: the step's weights and, per row, the row of the previous step (ignored at step 0).
  void AddStep(const std::vector<float>& weights, const std::vector<int>& parents) {
    weights_.push_back(weights);
    parents_.push_back(parents);
  }
  int steps() const { return static_cast<int>(weights_.size()); }
  // Weights of the tokens chosen at steps 0..step by the hypothesis whose step-`step` row is `row`, each
  // row cut to `length` floats; [ids][length] with zero rows for ids beyond step + 1.
  std::vector<float> Trace(int step, int row, int length, int ids) const {
    std::vector<float> out(static_cast<size_t>(ids) * length, 0.0f);
    for (int s = step; s >= 0 && row >= 0; --s) {
      if (s < ids) {
        std::copy_n(weights_[s].begin() + static_cast<size_t>(row) * stride_, length,
                    out.begin() + static_cast<size_t>(s) * length);
      }
      row = s > 0 ? parents_[s][row] : -1;
    }
    return out;
  }

 private:
  int stride_;
  std::vector<std::vector<float>> weights_;
  std::vector<std::vector<int>> parents_;
};

SearchHypothesis MakeHypothesis(const std::vector<int>& prefix, double score, const SearchOptions& o,
                                int max_length) {
  SearchHypothesis h;
  h.ids.assign(prefix.begin() + 1, prefix.end());
  // finalize() writes EOS after every hypothesis shorter than the longest possible sequence.
  if (static_cast<int>(prefix.size()) < max_length && !o.ban_eos) h.ids.push_back(o.eos_token_id);
  h.score = static_cast<float>(score);
  return h;
}

// The longest max_length of any input: the decoder caches never need more positions than that minus one.
int LongestMaxLength(const SearchOptions& o, int inputs) {
  int longest = 0;
  for (int b = 0; b < inputs; ++b) longest = std::max(longest, o.MaxLengthOf(b));
  return longest;
}

bool InputCancelled(const SearchOptions& o, int input) {
  return !o.input_cancel.empty() && IsCancelled(o.input_cancel[input]);
}

std::vector<std::vector<SearchHypothesis>> Greedy(const MarianModel& model, const EncoderOutput& enc,
                                                  const SearchOptions& o, const StepObserver& observer) {
  const int B = enc.batch, V = model.config().decoder_vocab_size;
  std::vector<std::vector<SearchHypothesis>> out(B);
  if (IsCancelled(o.cancel)) return out;
  LogitsProcessors processors(o, V);
  std::vector<char> cancelled(B, 0);
  std::vector<int> active;  // batch indices of the inputs still decoding, one row each, in order
  for (int b = 0; b < B; ++b) {
    if (InputCancelled(o, b)) {
      cancelled[b] = 1;
    } else {
      active.push_back(b);
    }
  }
  if (active.empty()) return out;
  DecoderState st;
  model.StartDecoding(enc, active, &st, LongestMaxLength(o, B) - 1);
  const bool align = o.alignment_layer >= 0 && o.alignment_layer < model.config().decoder_layers;
  st.align_layer = align ? o.alignment_layer : -1;
  st.align_heads = o.alignment_heads;
  std::vector<std::vector<float>> attention(align ? B : 0);  // per input, a row per step
  std::vector<std::vector<int>> prefix(B, std::vector<int>{o.decoder_start_token_id});
  std::vector<double> sum_logprobs(B, 0.0);
  std::vector<float> logits(static_cast<size_t>(active.size()) * V);
  std::vector<int> tokens(active.size(), o.decoder_start_token_id);
  std::vector<int> banned, keep;
  for (int step = 0;; ++step) {
    model.DecodeStep(tokens, &st, logits.data());
    if (!attention.empty()) {
      for (size_t r = 0; r < active.size(); ++r) {
        const float* row = st.align.data() + r * static_cast<size_t>(enc.max_len);
        attention[active[r]].insert(attention[active[r]].end(), row, row + enc.lengths[active[r]]);
      }
    }
    keep.clear();
    for (size_t r = 0; r < active.size(); ++r) {
      const int b = active[r];
      const int max_length = o.MaxLengthOf(b);
      float* scores = logits.data() + r * V;
      // Without an observer (which wants the processed row), a row that the processors only ban from is
      // not normalized in place: the argmax of the banned raw logits is the argmax of the scores.
      std::optional<LogitsProcessors::Shifts> shifts;
      if (!observer && processors.OnlyBans(static_cast<int>(prefix[b].size()), max_length)) {
        shifts = processors.BanAndShift(scores, V, prefix[b], &banned);
      }
      if (!shifts) processors.Apply(scores, prefix[b], max_length);
      if (observer) observer(step, b, scores);
      const int token = static_cast<int>(std::max_element(scores, scores + V) - scores);  // first maximum
      // The hypothesis score uses log-probabilities whether or not the processors renormalized.
      if (shifts) {
        sum_logprobs[b] += (scores[token] - shifts->first) - shifts->second;
      } else if (o.renormalize_logits) {
        sum_logprobs[b] += scores[token];
      } else {
        sum_logprobs[b] += scores[token] - LogSumExp(scores, V);
      }
      prefix[b].push_back(token);
      // An input ends at EOS or at its own max_length, as it would alone; a cancelled one ends here.
      const bool ended =
          (token == o.eos_token_id && !o.ban_eos) || static_cast<int>(prefix[b].size()) >= max_length;
      if (!ended && InputCancelled(o, b)) cancelled[b] = 1;
      if (!ended && !cancelled[b]) keep.push_back(static_cast<int>(r));
    }
    if (keep.empty() || IsCancelled(o.cancel)) break;
    if (keep.size() != active.size()) {  // ended rows leave the batch
      model.ReorderRows(keep, &st);
      std::vector<int> next(keep.size());
      for (size_t i = 0; i < keep.size(); ++i) next[i] = active[keep[i]];
      active = std::move(next);
    }
    tokens.resize(active.size());
    for (size_t r = 0; r < active.size(); ++r) tokens[r] = prefix[active[r]].back();
  }
  if (IsCancelled(o.cancel)) return std::vector<std::vector<SearchHypothesis>>(B);
  for (int b = 0; b < B; ++b) {
    if (cancelled[b]) continue;
    SearchHypothesis h;
    h.ids.assign(prefix[b].begin() + 1, prefix[b].end());
    h.score =
        static_cast<float>(sum_logprobs[b] / std::pow(static_cast<double>(h.ids.size()), o.length_penalty));
    if (!attention.empty()) h.attention = std::move(attention[b]);
    out[b].push_back(std::move(h));
  }
  return out;
}

std::vector<std::vector<SearchHypothesis>> Beam(const MarianModel& model, const EncoderOutput& enc,
                                                const SearchOptions& o) {
  const int B = enc.batch, K = o.num_beams, V = model.config().decoder_vocab_size;
  std::vector<std::vector<SearchHypothesis>> out(B);
  if (IsCancelled(o.cancel)) return out;
  LogitsProcessors processors(o, V);
  std::vector<BeamHypotheses> hyps;
  hyps.reserve(B);
  for (int b = 0; b < B; ++b) hyps.emplace_back(o, o.MaxLengthOf(b));
  std::vector<char> done(B, 0), cancelled(B, 0);
  std::vector<int> active;  // batch indices of the inputs still searching; K rows each, in order
  for (int b = 0; b < B; ++b) {
    if (InputCancelled(o, b)) {
      cancelled[b] = done[b] = 1;
    } else {
      active.push_back(b);
    }
  }
  if (active.empty()) return out;
  const int A = static_cast<int>(active.size());

  std::vector<int> row_batch(static_cast<size_t>(A) * K);
  for (int r = 0; r < A * K; ++r) row_batch[r] = active[r / K];
  DecoderState st;
  model.StartDecoding(enc, row_batch, &st, LongestMaxLength(o, B) - 1);
  const bool align = o.alignment_layer >= 0 && o.alignment_layer < model.config().decoder_layers;
  st.align_layer = align ? o.alignment_layer : -1;
  st.align_heads = o.alignment_heads;
  AttentionTrace trace(enc.max_len);
  std::vector<int> step_parents;  // per row of the coming step: its row in the step before

  std::vector<std::vector<int>> prefix(static_cast<size_t>(A) * K,
                                       std::vector<int>{o.decoder_start_token_id});
  std::vector<float> beam_scores(static_cast<size_t>(A) * K);
  for (int r = 0; r < A * K; ++r) beam_scores[r] = (r % K == 0) ? 0.0f : -1e9f;
  std::vector<int> tokens(static_cast<size_t>(A) * K, o.decoder_start_token_id);
  std::vector<float> logits(static_cast<size_t>(A) * K * V);

  std::vector<Candidate> candidates;
  std::vector<RowScratch> row_scratch;
  std::vector<std::optional<LogitsProcessors::Shifts>> row_shifts;
  std::vector<std::vector<Candidate>> row_tops;
  std::vector<std::vector<int>> next_prefix;
  std::vector<float> next_scores;
  std::vector<int> next_source;
  int cur_len = 1;  // sequence length including the start token
  for (;;) {
    model.DecodeStep(tokens, &st, logits.data());
    const int step = trace.steps();
    if (align) trace.AddStep(st.align, step_parents);
    const int R = static_cast<int>(active.size()) * K;
    next_prefix.assign(R, {});
    next_scores.assign(R, 0.0f);
    next_source.assign(R, 0);
    const int hf_cur_len = cur_len + 1;  // BeamSearchScorer.process: input_ids.shape[-1] + 1
    // topk(2K) over an item's K x V scores log_softmax(logits) + processors + beam score. The scores of a
    // row are its logits shifted by one constant, so the item's top 2K are among each row's top 2K by
    // logit: only those are scored, and the row is never normalized in place. Rows are independent up to
    // here, so this pass is split over the engine's threads.
    const int top = std::min(2 * K, K * V);
    row_shifts.assign(R, std::nullopt);
    row_tops.resize(R);
    kernels::ThreadPool& pool = kernels::ThreadPool::Global();
    row_scratch.resize(pool.RowTasks(R));
    pool.ParallelForRows(R, [&](int task, int begin, int end) {
      RowScratch& scratch = row_scratch[task];
      for (int r = begin; r < end; ++r) {
        const int max_length = o.MaxLengthOf(active[r / K]);
        float* s = logits.data() + static_cast<size_t>(r) * V;
        if (processors.OnlyBans(cur_len, max_length)) {
          row_shifts[r] = processors.BanAndShift(s, V, prefix[r], &scratch.banned);
        }
        if (!row_shifts[r]) {
          ops::LogSoftmax(s, V);
          processors.Apply(s, prefix[r], max_length);
        }
        TopOfRow(s, V, std::min(top, V), &scratch.values, &scratch.indices, &row_tops[r]);
      }
    });
    for (size_t ai = 0; ai < active.size(); ++ai) {
      const int b = active[ai];
      candidates.clear();
      for (int j = 0; j < K; ++j) {
        const int r = static_cast<int>(ai) * K + j;
        const std::optional<LogitsProcessors::Shifts>& shifts = row_shifts[r];
        for (const Candidate& c : row_tops[r]) {
          float logprob = c.score;
          if (shifts) {
            logprob = c.score - shifts->first;
            if (o.renormalize_logits) logprob -= shifts->second;
          }
          candidates.push_back({logprob + beam_scores[r], j * V + c.flat});
        }
      }
      std::sort(candidates.begin(), candidates.end(), Better);
      if (static_cast<int>(candidates.size()) > top) candidates.resize(top);
      int beam_idx = 0;
      for (int rank = 0; rank < static_cast<int>(candidates.size()); ++rank) {
        const int beam = candidates[rank].flat / V, token = candidates[rank].flat % V;
        const int src = static_cast<int>(ai) * K + beam;
        if (token == o.eos_token_id && !o.ban_eos) {
          if (rank >= K) continue;  // an EOS worse than the top num_beams is not a hypothesis
          hyps[b].Add(prefix[src], candidates[rank].score, hf_cur_len - 1, {step, src});
        } else {
          const int row = static_cast<int>(ai) * K + beam_idx;
          next_prefix[row] = prefix[src];
          next_prefix[row].push_back(token);
          next_scores[row] = candidates[rank].score;
          next_source[row] = src;
          ++beam_idx;
        }
        if (beam_idx == K) break;
      }
      done[b] = done[b] || hyps[b].IsDone(candidates[0].score, hf_cur_len);
    }
    ++cur_len;
    if (IsCancelled(o.cancel)) return std::vector<std::vector<SearchHypothesis>>(B);
    bool all_done = true;
    for (size_t ai = 0; ai < active.size(); ++ai) {
      const int b = active[ai];
      if (!done[b] && cur_len >= o.MaxLengthOf(b)) {
        // The input reached its own max_length: finalize() adds its open beams, as generate() does for it
        // alone when the loop ends there.
        for (int j = 0; j < K; ++j) {
          const int row = static_cast<int>(ai) * K + j;
          hyps[b].Add(next_prefix[row], next_scores[row], static_cast<int>(next_prefix[row].size()) - 1,
                      {step, next_source[row]});
        }
        done[b] = 1;
      }
      if (!done[b] && InputCancelled(o, b)) cancelled[b] = done[b] = 1;
      all_done = all_done && done[b];
    }
    if (all_done) break;

    // Keep the rows of the inputs still searching; the others leave the decoder's batch.
    std::vector<int> source_rows, next_active;
    std::vector<std::vector<int>> kept_prefix;
    std::vector<float> kept_scores;
    for (size_t ai = 0; ai < active.size(); ++ai) {
      if (done[active[ai]]) continue;
      next_active.push_back(active[ai]);
      for (int j = 0; j < K; ++j) {
        const int row = static_cast<int>(ai) * K + j;
        source_rows.push_back(next_source[row]);
        kept_prefix.push_back(std::move(next_prefix[row]));
        kept_scores.push_back(next_scores[row]);
      }
    }
    model.ReorderRows(source_rows, &st);
    if (align) step_parents = source_rows;
    active = std::move(next_active);
    prefix = std::move(kept_prefix);
    beam_scores = std::move(kept_scores);
    tokens.resize(prefix.size());
    for (size_t r = 0; r < prefix.size(); ++r) tokens[r] = prefix[r].back();
  }

  for (int b = 0; b < B; ++b) {
    if (cancelled[b]) continue;
    for (const BeamHypotheses::Hyp& h : hyps[b].Best(o.num_return_sequences)) {
      out[b].push_back(MakeHypothesis(h.prefix, h.score, o, o.MaxLengthOf(b)));
      SearchHypothesis& made = out[b].back();
      if (align) {
        made.attention =
            trace.Trace(h.trace.first, h.trace.second, enc.lengths[b], static_cast<int>(made.ids.size()));
      }
    }
  }
  return out;
}

}  // namespace

SearchOptions SearchOptions::FromConfig(const ModelConfig& c) {
  SearchOptions o;
  const GenerationConfig& g = c.generation;
  o.num_beams = g.num_beams;
  o.num_return_sequences = g.num_return_sequences;
  o.max_length = g.EffectiveMaxLength();
  o.length_penalty = g.length_penalty;
  o.early_stopping = g.early_stopping;
  o.bad_words_ids = g.bad_words_ids;
  o.forced_eos_token_id = g.forced_eos_token_id ? *g.forced_eos_token_id : -1;
  o.renormalize_logits = g.renormalize_logits;
  o.eos_token_id = c.eos_token_id;
  o.pad_token_id = c.pad_token_id;
  o.decoder_start_token_id = c.decoder_start_token_id;
  return o;
}

std::vector<std::vector<SearchHypothesis>> Search(const MarianModel& model, const EncoderOutput& encoded,
                                                  const SearchOptions& options,
                                                  const StepObserver& observer) {
  if (encoded.batch == 0) return {};
  if (options.num_beams <= 1) return Greedy(model, encoded, options, observer);
  return Beam(model, encoded, options);
}

}  // namespace dolmetsch::engine
