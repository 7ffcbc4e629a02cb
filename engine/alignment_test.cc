// Word alignment: the hard-alignment and piece-location helpers, and the alignments the Translator returns
// on the fixture model (shape, determinism, batch independence, greedy and beam, float32 and int8), checked
// against the chosen layer's cross-attention recomputed by a plain full-sequence decoder pass.
#include "engine/alignment.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include "engine/golden_testing.h"
#include "engine/io/weights.h"
#include "engine/marian_model.h"
#include "engine/ops.h"
#include "engine/search.h"
#include "engine/tokenizer.h"
#include "engine/translator.h"

namespace dolmetsch::engine {
namespace {

TEST(HardAlignmentTest, ArgmaxPerTargetTokenWithoutExcludedPositions) {
  // 3 target tokens over 4 source positions; position 3 is </s> (excluded).
  const std::vector<float> w = {0.1f, 0.6f, 0.1f, 0.2f,   // -> 1
                                0.2f, 0.1f, 0.1f, 0.6f,   // </s> has most: -> 0 (next best)
                                0.3f, 0.3f, 0.1f, 0.3f};  // tie: lower position
  const std::vector<int> got = HardAlignment(w, 3, 4, {false, false, false, true}, {});
  EXPECT_EQ(got, (std::vector<int>{1, 0, 0}));
}

TEST(HardAlignmentTest, SpecialTargetTokensGoToTheLastSourcePosition) {
  const std::vector<float> w = {0.9f, 0.1f, 0.0f, 0.8f, 0.2f, 0.0f};
  EXPECT_EQ(HardAlignment(w, 2, 3, {false, false, true}, {false, true}), (std::vector<int>{0, 2}));
}

TEST(HardAlignmentTest, EveryPositionExcludedFallsBackToAll) {
  const std::vector<float> w = {0.3f, 0.7f};
  EXPECT_EQ(HardAlignment(w, 1, 2, {true, true}, {}), (std::vector<int>{1}));
  EXPECT_EQ(HardAlignment({}, 0, 2, {}, {}), std::vector<int>{});
}

TEST(LocatePiecesTest, PiecesInTheirText) {
  const std::string text = "Der Hund, bellt.";
  const std::vector<ByteRange> got = LocatePieces({"▁Der", "▁Hu", "nd", ",", "▁bellt", "."}, text);
  ASSERT_EQ(got.size(), 6u);
  const char* want[] = {"Der", "Hu", "nd", ",", "bellt", "."};
  for (size_t i = 0; i < got.size(); ++i)
    EXPECT_EQ(text.substr(got[i].begin, got[i].end - got[i].begin), want[i]) << i;
}

TEST(LocatePiecesTest, UnmatchedPiecesGetEmptyRangesAndTheRestStillMatch) {
  // "ﬁ" was normalized to "fi" by sentencepiece; "▁" alone starts the word of the piece after it.
  const std::string text = "Die ﬁrma  ist gut";
  const std::vector<ByteRange> got = LocatePieces({"▁Die", "▁fi", "rma", "▁", "ist", "▁gut"}, text);
  ASSERT_EQ(got.size(), 6u);
  EXPECT_EQ(text.substr(got[0].begin, got[0].end - got[0].begin), "Die");
  EXPECT_TRUE(got[1].empty());
  EXPECT_EQ(text.substr(got[2].begin, got[2].end - got[2].begin), "rma");
  EXPECT_EQ(got[3], got[4]);
  EXPECT_EQ(text.substr(got[4].begin, got[4].end - got[4].begin), "ist");
  EXPECT_EQ(text.substr(got[5].begin, got[5].end - got[5].begin), "gut");
  EXPECT_EQ(LocatePieces({"▁"}, "x")[0], (ByteRange{0, 0}));  // nothing after it
}

TEST(LocatePiecesTest, AlignedByteRangesSkipsUnplacedTokens) {
  const std::vector<ByteRange> target = {{0, 3}, {}, {4, 8}};
  const std::vector<ByteRange> source = {{0, 5}, {6, 9}, {}};
  const std::vector<AlignedBytes> got = AlignedByteRanges({1, 0, 2}, target, source);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].target, (ByteRange{0, 3}));
  EXPECT_EQ(got[0].source, (ByteRange{6, 9}));
}

std::vector<std::string> Sentences() {
  std::ifstream in(std::string(DOLMETSCH_SOURCE_DIR) + "/tests/fixtures/text/faust_500.txt");
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line) && out.size() < 24;) {
    if (line.size() >= 15) out.push_back(line);
  }
  out.push_back("Ja.");
  out.push_back("Der Hund bellt, und die Katze schläft auf dem warmen Ofen.");
  return out;
}

TranslateOptions Options(int beam, bool align) {
  TranslateOptions o;
  o.beam_size = beam;
  o.output_factor = 2.0;
  o.output_slack = 8;
  o.alignment.enabled = align;
  o.alignment.keep_weights = align;
  return o;
}

// A plain decoder over the whole target prefix at once (no caches, no packed kernels, no beams): returns
// the cross-attention probabilities of `layer`, averaged over `heads`, for every target position, from
// the float32 weights as stored and the encoder states of `source`.
class ReferenceDecoder {
 public:
  explicit ReferenceDecoder(const std::string& dir) {
    auto config = ModelConfig::Load(dir);
    EXPECT_TRUE(config.ok());
    config_ = *config;
    auto weights = ReadModelWeights(dir);
    EXPECT_TRUE(weights.ok());
    weights_ = std::move(weights).value();
    auto model = MarianModel::Load(dir, config_, ComputeType::kFloat32);
    EXPECT_TRUE(model.ok());
    encoder_ = std::move(model).value();
  }

  std::vector<float> CrossAttention(const std::vector<int>& source, const std::vector<int>& target_ids,
                                    int layer, const std::vector<int>& heads) const {
    const int d = config_.d_model, H = config_.decoder_attention_heads, hd = d / H;
    const int S = static_cast<int>(source.size()), T = static_cast<int>(target_ids.size());
    EncoderOutput enc;
    encoder_->Encode({source}, &enc);
    // Inputs: the start token, then every generated token but the last.
    std::vector<int> input = {config_.decoder_start_token_id};
    input.insert(input.end(), target_ids.begin(), target_ids.end() - 1);
    const float* embed =
        Tensor(weights_.count("model.decoder.embed_tokens.weight") ? "model.decoder.embed_tokens.weight"
                                                                   : "model.shared.weight");
    const std::vector<float> positions = ops::SinusoidalPositions(config_.max_position_embeddings, d);
    const float scale = config_.scale_embedding ? std::sqrt(static_cast<float>(d)) : 1.0f;
    std::vector<float> x(static_cast<size_t>(T) * d);
    for (int t = 0; t < T; ++t)
      for (int i = 0; i < d; ++i)
        x[t * d + i] = embed[static_cast<size_t>(input[t]) * d + i] * scale + positions[t * d + i];
    std::vector<float> result;
    for (int l = 0; l <= layer; ++l) {
      const std::string p = "model.decoder.layers." + std::to_string(l) + ".";
      // Causal self-attention.
      std::vector<float> q = Linear(p + "self_attn.q_proj", x, T), k = Linear(p + "self_attn.k_proj", x, T),
                         v = Linear(p + "self_attn.v_proj", x, T);
      std::vector<float> probs;
      std::vector<float> attn = Attend(q, k, v, T, T, H, hd, /*causal=*/true, &probs);
      Residual(&x, Linear(p + "self_attn.out_proj", attn, T), p + "self_attn_layer_norm", T);
      // Cross-attention over the encoder states.
      std::vector<float> ek(enc.hidden.begin(), enc.hidden.begin() + static_cast<size_t>(S) * d);
      q = Linear(p + "encoder_attn.q_proj", x, T);
      k = Linear(p + "encoder_attn.k_proj", ek, S);
      v = Linear(p + "encoder_attn.v_proj", ek, S);
      attn = Attend(q, k, v, T, S, H, hd, /*causal=*/false, &probs);
      if (l == layer) {
        result.assign(static_cast<size_t>(T) * S, 0.0f);
        for (int t = 0; t < T; ++t)
          for (int h : heads)
            for (int j = 0; j < S; ++j)
              result[t * S + j] += probs[(static_cast<size_t>(h) * T + t) * S + j] / heads.size();
        return result;
      }
      Residual(&x, Linear(p + "encoder_attn.out_proj", attn, T), p + "encoder_attn_layer_norm", T);
      std::vector<float> ffn = Linear(p + "fc1", x, T);
      ops::Activate(config_.activation, ffn.data(), static_cast<long>(ffn.size()));
      Residual(&x, Linear(p + "fc2", ffn, T), p + "final_layer_norm", T);
    }
    return result;
  }

  const ModelConfig& config() const { return config_; }

 private:
  const float* Tensor(const std::string& name) const { return weights_.at(name).data(); }

  std::vector<float> Linear(const std::string& name, const std::vector<float>& x, int rows) const {
    const WeightTensor& w = weights_.at(name + ".weight");
    const float* b = Tensor(name + ".bias");
    const int out = static_cast<int>(w.shape[0]), in = static_cast<int>(w.shape[1]);
    std::vector<float> y(static_cast<size_t>(rows) * out);
    for (int r = 0; r < rows; ++r)
      for (int o = 0; o < out; ++o) {
        double acc = b[o];
        for (int i = 0; i < in; ++i) acc += double(x[r * in + i]) * w.data()[static_cast<size_t>(o) * in + i];
        y[r * out + o] = static_cast<float>(acc);
      }
    return y;
  }

  // softmax(q k^T / sqrt(hd)) v per head; *probs gets [H][T][S].
  static std::vector<float> Attend(const std::vector<float>& q, const std::vector<float>& k,
                                   const std::vector<float>& v, int T, int S, int H, int hd, bool causal,
                                   std::vector<float>* probs) {
    const int d = H * hd;
    std::vector<float> out(static_cast<size_t>(T) * d, 0.0f);
    probs->assign(static_cast<size_t>(H) * T * S, 0.0f);
    for (int h = 0; h < H; ++h)
      for (int t = 0; t < T; ++t) {
        const int len = causal ? t + 1 : S;
        float* p = probs->data() + (static_cast<size_t>(h) * T + t) * S;
        for (int j = 0; j < len; ++j) {
          double dot = 0;
          for (int i = 0; i < hd; ++i) dot += double(q[t * d + h * hd + i]) * k[j * d + h * hd + i];
          p[j] = static_cast<float>(dot / std::sqrt(static_cast<double>(hd)));
        }
        ops::Softmax(p, len);
        for (int j = 0; j < len; ++j)
          for (int i = 0; i < hd; ++i) out[t * d + h * hd + i] += p[j] * v[j * d + h * hd + i];
      }
    return out;
  }

  void Residual(std::vector<float>* x, const std::vector<float>& y, const std::string& norm, int rows) const {
    for (size_t i = 0; i < x->size(); ++i) (*x)[i] += y[i];
    ops::LayerNorm(x->data(), rows, config_.d_model, Tensor(norm + ".weight"), Tensor(norm + ".bias"));
  }

  ModelConfig config_;
  WeightMap weights_;
  std::unique_ptr<MarianModel> encoder_;
};

// int8's attention weights against float32's (measured: at most 0.012 on the fixture).
constexpr float kInt8WeightTolerance = 0.05f;

struct Case {
  ComputeType type;
  int beam;
};

class TranslatorAlignmentTest : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    LoadOptions load;
    load.compute_type = GetParam().type;
    auto t = Translator::Load(testing::FixtureModelDir(), load);
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    translator_ = std::move(t).value();
  }
  std::vector<TranslationResult> Run(const std::vector<std::string>& texts, const TranslateOptions& o) {
    auto r = translator_->Translate(texts, o);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? std::move(r).value() : std::vector<TranslationResult>(texts.size());
  }
  std::unique_ptr<Translator> translator_;
};

TEST_P(TranslatorAlignmentTest, OneSourcePositionPerTargetTokenWithinTheSource) {
  const std::vector<std::string> texts = Sentences();
  TranslateOptions o = Options(GetParam().beam, true);
  o.num_hypotheses = GetParam().beam > 1 ? 2 : 1;
  const std::vector<TranslationResult> results = Run(texts, o);
  const int eos = translator_->config().eos_token_id;
  for (size_t i = 0; i < results.size(); ++i) {
    const TranslationResult& r = results[i];
    const int S = static_cast<int>(r.source_ids.size());
    ASSERT_EQ(r.source_bytes.size(), r.source_ids.size()) << i;
    ASSERT_EQ(static_cast<int>(r.hypotheses.size()), o.num_hypotheses);
    for (const Hypothesis& h : r.hypotheses) {
      const int T = static_cast<int>(h.target_ids.size());
      ASSERT_EQ(static_cast<int>(h.alignment.size()), T) << i;
      ASSERT_EQ(h.target_bytes.size(), h.target_ids.size()) << i;
      ASSERT_EQ(h.alignment_weights.size(), static_cast<size_t>(T) * S) << i;
      for (int t = 0; t < T; ++t) {
        ASSERT_GE(h.alignment[t], 0);
        ASSERT_LT(h.alignment[t], S);
        if (h.target_ids[t] == eos) {
          EXPECT_EQ(h.alignment[t], S - 1);
        } else if (S > 1) {
          EXPECT_LT(h.alignment[t], S - 1) << "a word aligned to </s>";  // </s> is the last source id
        }
        double sum = 0;
        for (int j = 0; j < S; ++j) sum += h.alignment_weights[static_cast<size_t>(t) * S + j];
        EXPECT_NEAR(sum, 1.0, 1e-4) << "sentence " << i << " token " << t;
      }
      // Target tokens' bytes are in the translation, in order.
      size_t last_begin = 0, last_end = 0;
      for (const ByteRange& b : h.target_bytes) {
        ASSERT_LE(b.end, h.text.size());
        if (!b.empty()) {
          EXPECT_GE(b.begin, last_begin);
          EXPECT_GE(b.end, last_end);
          last_begin = b.begin;
          last_end = b.end;
        }
      }
    }
    for (const ByteRange& b : r.source_bytes) ASSERT_LE(b.end, texts[i].size());
  }
}

TEST_P(TranslatorAlignmentTest, SourceTokensArePlacedOnTheirWords) {
  const std::string text = "Der Hund bellt, und die Katze schläft.";
  const TranslationResult r = Run({text}, Options(GetParam().beam, true))[0];
  const std::vector<std::string> pieces = translator_->tokenizer().Tokenize(text);
  ASSERT_EQ(pieces.size() + 1, r.source_bytes.size());
  for (size_t j = 0; j < pieces.size(); ++j) {
    std::string want = pieces[j];
    if (want == "\xE2\x96\x81" && j + 1 < pieces.size()) want = pieces[j + 1];  // a bare word start
    if (want.rfind("\xE2\x96\x81", 0) == 0) want = want.substr(3);
    EXPECT_EQ(text.substr(r.source_bytes[j].begin, r.source_bytes[j].end - r.source_bytes[j].begin), want);
  }
  EXPECT_TRUE(r.source_bytes.back().empty());  // </s>
}

TEST_P(TranslatorAlignmentTest, OffByDefaultAndTheTranslationIsTheSame) {
  const std::vector<std::string> texts = Sentences();
  const std::vector<TranslationResult> off = Run(texts, Options(GetParam().beam, false));
  const std::vector<TranslationResult> on = Run(texts, Options(GetParam().beam, true));
  for (size_t i = 0; i < texts.size(); ++i) {
    ASSERT_EQ(off[i].hypotheses.size(), on[i].hypotheses.size());
    const Hypothesis& a = off[i].hypotheses[0];
    const Hypothesis& b = on[i].hypotheses[0];
    EXPECT_TRUE(a.alignment.empty() && a.alignment_weights.empty() && a.target_bytes.empty());
    EXPECT_TRUE(off[i].source_bytes.empty());
    EXPECT_EQ(a.target_ids, b.target_ids) << i;
    EXPECT_EQ(a.score, b.score) << i;
  }
}

TEST_P(TranslatorAlignmentTest, Deterministic) {
  const std::vector<std::string> texts = Sentences();
  const std::vector<TranslationResult> first = Run(texts, Options(GetParam().beam, true));
  const std::vector<TranslationResult> second = Run(texts, Options(GetParam().beam, true));
  for (size_t i = 0; i < texts.size(); ++i) {
    EXPECT_EQ(first[i].hypotheses[0].alignment, second[i].hypotheses[0].alignment) << i;
    EXPECT_EQ(first[i].hypotheses[0].alignment_weights, second[i].hypotheses[0].alignment_weights) << i;
  }
}

TEST_P(TranslatorAlignmentTest, SentenceAlignsTheSameAloneAndInABatch) {
  const std::vector<std::string> texts = Sentences();
  const std::vector<TranslationResult> batch = Run(texts, Options(GetParam().beam, true));
  for (size_t i = 0; i < texts.size(); ++i) {
    const TranslationResult alone = Run({texts[i]}, Options(GetParam().beam, true))[0];
    const Hypothesis& a = alone.hypotheses[0];
    const Hypothesis& b = batch[i].hypotheses[0];
    ASSERT_EQ(a.target_ids, b.target_ids) << i;
    EXPECT_EQ(a.alignment, b.alignment) << i;
    ASSERT_EQ(a.alignment_weights.size(), b.alignment_weights.size());
    // The encoder's attention runs on the batch's padded length (docs/engine.md): equal within 1e-4.
    for (size_t k = 0; k < a.alignment_weights.size(); ++k)
      ASSERT_NEAR(a.alignment_weights[k], b.alignment_weights[k], 1e-4) << i << " " << k;
  }
}

TEST_P(TranslatorAlignmentTest, WeightsAreTheChosenLayersCrossAttentionOfTheOutput) {
  const ReferenceDecoder reference(testing::FixtureModelDir());
  const int layers = reference.config().decoder_layers, heads = reference.config().decoder_attention_heads;
  std::vector<int> all_heads(heads);
  for (int h = 0; h < heads; ++h) all_heads[h] = h;
  const std::vector<std::string> texts = Sentences();
  // The default (head 0 of the last layer) and Garg et al.'s average of the penultimate layer's heads.
  for (const AlignmentMethod& method : {AlignmentMethod::GuidedHead(), AlignmentMethod::AverageOfHeads()}) {
    TranslateOptions o = Options(GetParam().beam, true);
    o.alignment.method = method;
    const int layer = method.layer >= 0 ? method.layer : std::max(0, layers + method.layer);
    const std::vector<int>& used = method.heads.empty() ? all_heads : method.heads;
    const std::vector<TranslationResult> results = Run(texts, o);
    double worst = 0;
    int tokens = 0, agree = 0;
    for (size_t i = 0; i < texts.size(); ++i) {
      const TranslationResult& r = results[i];
      const Hypothesis& h = r.hypotheses[0];
      const int S = static_cast<int>(r.source_ids.size()), T = static_cast<int>(h.target_ids.size());
      const std::vector<float> want = reference.CrossAttention(r.source_ids, h.target_ids, layer, used);
      ASSERT_EQ(want.size(), h.alignment_weights.size());
      for (size_t k = 0; k < want.size(); ++k)
        worst = std::max(worst, double(std::abs(want[k] - h.alignment_weights[k])));
      std::vector<bool> excluded(S, false), special(T, false);
      excluded[S - 1] = true;
      for (int t = 0; t < T; ++t) special[t] = h.target_ids[t] == reference.config().eos_token_id;
      const std::vector<int> hard = HardAlignment(want, T, S, excluded, special);
      for (int t = 0; t < T; ++t, ++tokens) {
        agree += hard[t] == h.alignment[t];
        // Where int8 picks another position, the reference weights of the two are within the weights'
        // tolerance of each other (random weights attend almost evenly: near-ties are common).
        const float margin = want[t * S + hard[t]] - want[t * S + h.alignment[t]];
        EXPECT_LE(margin, 2 * kInt8WeightTolerance) << "sentence " << i << " token " << t;
      }
    }
    SCOPED_TRACE("layer " + std::to_string(layer) + ", " + std::to_string(used.size()) + " heads");
    if (GetParam().type == ComputeType::kFloat32) {
      EXPECT_LE(worst, 1e-4);
      EXPECT_EQ(agree, tokens);
    } else {
      // int8 weights against the float32 reference, on int8's own output: close, not equal.
      EXPECT_LE(worst, kInt8WeightTolerance);
    }
    std::printf("[ alignment ] %s beam %d layer %d heads %zu: max |w - reference| %.2g, hard agree %d/%d\n",
                GetParam().type == ComputeType::kFloat32 ? "float32" : "int8", GetParam().beam, layer,
                used.size(), worst, agree, tokens);
  }
}

TEST_P(TranslatorAlignmentTest, BadMethodsAreRefused) {
  TranslateOptions o = Options(GetParam().beam, true);
  o.alignment.method.heads = {translator_->config().decoder_attention_heads};
  EXPECT_EQ(translator_->Translate({"Hallo"}, o).status().code(), Status::Code::kInvalidArgument);
  o.alignment.method = {translator_->config().decoder_layers, {}};
  EXPECT_EQ(translator_->Translate({"Hallo"}, o).status().code(), Status::Code::kInvalidArgument);
}

// Search used directly: empty head flags mean every head; a layer the model does not have is ignored.
TEST(SearchAlignmentTest, EmptyHeadFlagsAreAllHeadsAndAMissingLayerIsIgnored) {
  auto config = ModelConfig::Load(testing::FixtureModelDir());
  ASSERT_TRUE(config.ok());
  auto model = MarianModel::Load(testing::FixtureModelDir(), *config);
  ASSERT_TRUE(model.ok());
  auto tokenizer = MarianTokenizer::Load(testing::FixtureModelDir());
  ASSERT_TRUE(tokenizer.ok());
  const std::vector<int> ids = (*tokenizer)->Encode("Der Hund bellt.");
  EncoderOutput enc;
  ASSERT_TRUE((*model)->Encode({ids}, &enc));
  for (int beams : {1, 3}) {
    SearchOptions o = SearchOptions::FromConfig(*config);
    o.num_beams = beams;
    o.max_length = 12;
    o.alignment_layer = config->decoder_layers;  // no such layer
    std::vector<std::vector<SearchHypothesis>> found = Search(**model, enc, o);
    ASSERT_EQ(found.size(), 1u);
    EXPECT_TRUE(found[0][0].attention.empty());
    o.alignment_layer = 0;
    o.alignment_heads.clear();
    found = Search(**model, enc, o);
    const SearchHypothesis& h = found[0][0];
    const size_t S = ids.size();
    ASSERT_EQ(h.attention.size(), h.ids.size() * S) << beams;
    for (size_t t = 0; t < h.ids.size(); ++t) {
      double sum = 0;
      for (size_t j = 0; j < S; ++j) sum += h.attention[t * S + j];
      EXPECT_NEAR(sum, 1.0, 1e-5) << beams << " " << t;
    }
    // The same as naming every head.
    o.alignment_heads.assign(config->decoder_attention_heads, 1);
    EXPECT_EQ(Search(**model, enc, o)[0][0].attention, h.attention) << beams;
  }
}

INSTANTIATE_TEST_SUITE_P(Engine, TranslatorAlignmentTest,
                         ::testing::Values(Case{ComputeType::kFloat32, 1}, Case{ComputeType::kFloat32, 4},
                                           Case{ComputeType::kInt8, 1}, Case{ComputeType::kInt8, 4}),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           return std::string(info.param.type == ComputeType::kFloat32 ? "Float32" : "Int8") +
                                  (info.param.beam > 1 ? "Beam" : "Greedy");
                         });

}  // namespace
}  // namespace dolmetsch::engine
