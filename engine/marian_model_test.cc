// Exactness of the network against transformers: encoder states and step distributions (golden.json).
#include "engine/marian_model.h"

#include <gtest/gtest.h>

#include <cmath>

#include "engine/golden_testing.h"
#include "engine/ops.h"
#include "engine/search.h"

namespace dolmetsch::engine {
namespace {

using testing::Floats;
using testing::Golden;
using testing::Ids;

constexpr float kTolerance = 1e-4f;

class MarianModelGoldenTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    auto config = ModelConfig::Load(testing::ModelDirFor(GetParam()));
    ASSERT_TRUE(config.ok()) << config.status().ToString();
    config_ = *config;
    auto model = MarianModel::Load(testing::ModelDirFor(GetParam()), config_);
    ASSERT_TRUE(model.ok()) << model.status().ToString();
    model_ = std::move(model).value();
  }
  ModelConfig config_;
  std::unique_ptr<MarianModel> model_;
};

TEST_P(MarianModelGoldenTest, EncoderStatesMatchEveryCase) {
  for (const auto& c : Golden()["cases"]) {
    SCOPED_TRACE("case " + std::to_string(c["id"].get<int>()) + " (" + c["kind"].get<std::string>() + ")");
    EncoderOutput out;
    model_->Encode({Ids(c["input_ids"])}, &out);
    const auto& want = c["encoder_last_hidden_state"];
    ASSERT_EQ(out.max_len, static_cast<int>(want.size()));
    float worst = 0;
    for (int s = 0; s < out.max_len; ++s) {
      std::vector<float> row = Floats(want[s]);
      ASSERT_EQ(static_cast<int>(row.size()), config_.d_model);
      for (int i = 0; i < config_.d_model; ++i) worst = std::max(worst, std::abs(out.row(0, s)[i] - row[i]));
    }
    EXPECT_LE(worst, kTolerance);
  }
}

TEST_P(MarianModelGoldenTest, PaddedBatchEncoderStatesMatch) {
  const auto& batch = Golden()["batch"];
  std::vector<std::vector<int>> ids;
  for (size_t b = 0; b < batch["input_ids"].size(); ++b) {
    std::vector<int> row;
    for (size_t s = 0; s < batch["input_ids"][b].size(); ++s)
      if (batch["attention_mask"][b][s].get<int>() == 1) row.push_back(batch["input_ids"][b][s].get<int>());
    ids.push_back(row);
  }
  EncoderOutput out;
  model_->Encode(ids, &out);
  for (size_t b = 0; b < ids.size(); ++b) {
    for (size_t s = 0; s < ids[b].size(); ++s) {  // only unmasked rows are meaningful
      std::vector<float> want = Floats(batch["encoder_last_hidden_state"][b][s]);
      for (int i = 0; i < config_.d_model; ++i)
        ASSERT_NEAR(out.row(b, s)[i], want[i], kTolerance) << b << "," << s;
    }
  }
}

// The decoder run incrementally (with caches) gives the distribution transformers computes without them.
TEST_P(MarianModelGoldenTest, StepLogSoftmaxMatches) {
  int checked = 0;
  for (const auto& c : Golden()["cases"]) {
    for (const char* step : {"0", "3"}) {
      const auto& rec = c["greedy"]["steps"][step];
      if (rec.is_null()) continue;
      SCOPED_TRACE("case " + std::to_string(c["id"].get<int>()) + " step " + step);
      EncoderOutput enc;
      model_->Encode({Ids(c["input_ids"])}, &enc);
      DecoderState st;
      model_->StartDecoding(enc, {0}, &st);
      std::vector<float> logits(config_.decoder_vocab_size);
      for (int token : Ids(rec["decoder_input_ids"])) model_->DecodeStep({token}, &st, logits.data());
      ops::LogSoftmax(logits.data(), config_.decoder_vocab_size);
      std::vector<float> want = Floats(rec["log_softmax"]);
      ASSERT_EQ(want.size(), logits.size());
      float worst = 0;
      for (size_t v = 0; v < want.size(); ++v) worst = std::max(worst, std::abs(logits[v] - want[v]));
      EXPECT_LE(worst, kTolerance);
      ++checked;
    }
  }
  EXPECT_GT(checked, 45);
}

// Processed scores (bad words, forced EOS, renormalization) of greedy search, as generate() returns them.
TEST_P(MarianModelGoldenTest, GreedyProcessedScoresMatch) {
  SearchOptions options = SearchOptions::FromConfig(config_);
  options.num_beams = 1;
  for (const auto& c : Golden()["cases"]) {
    SCOPED_TRACE("case " + std::to_string(c["id"].get<int>()));
    EncoderOutput enc;
    model_->Encode({Ids(c["input_ids"])}, &enc);
    std::map<int, std::vector<float>> seen;
    Search(*model_, enc, options, [&](int step, int, const float* scores) {
      if (step == 0 || step == 3) seen[step].assign(scores, scores + config_.decoder_vocab_size);
    });
    for (int step : {0, 3}) {
      const auto& rec = c["greedy"]["steps"][std::to_string(step)];
      if (rec.is_null()) {
        EXPECT_EQ(seen.count(step), 0u);
        continue;
      }
      ASSERT_EQ(seen.count(step), 1u);
      std::vector<float> want = Floats(rec["processed_scores"]);
      for (size_t v = 0; v < want.size(); ++v) {
        if (std::isinf(want[v])) {
          ASSERT_TRUE(std::isinf(seen[step][v]) && seen[step][v] < 0) << "token " << v;
        } else {
          ASSERT_NEAR(seen[step][v], want[v], kTolerance) << "token " << v;
        }
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(WeightFormats, MarianModelGoldenTest,
                         ::testing::ValuesIn(testing::BothWeightFormats()));

TEST(MarianModelTest, WrongTensorShapeIsAClearError) {
  auto config = ModelConfig::Load(testing::FixtureModelDir());
  ASSERT_TRUE(config.ok());
  auto weights = ReadSafetensorsFile(testing::FixtureModelDir() + "/model.safetensors");
  ASSERT_TRUE(weights.ok());
  WeightMap w = *weights;
  w["model.encoder.layers.1.fc1.weight"].shape = {32, 64};
  auto model = MarianModel::FromWeights(w, *config, "x.safetensors");
  ASSERT_FALSE(model.ok());
  EXPECT_NE(model.status().message().find("model.encoder.layers.1.fc1.weight"), std::string::npos);
  EXPECT_NE(model.status().message().find("[64, 32]"), std::string::npos);
  EXPECT_NE(model.status().message().find("x.safetensors"), std::string::npos);
}

TEST(MarianModelTest, MissingTensorIsAClearError) {
  auto config = ModelConfig::Load(testing::FixtureModelDir());
  auto weights = ReadSafetensorsFile(testing::FixtureModelDir() + "/model.safetensors");
  ASSERT_TRUE(config.ok() && weights.ok());
  WeightMap w = *weights;
  w.erase("model.decoder.layers.0.encoder_attn.v_proj.bias");
  auto model = MarianModel::FromWeights(w, *config, "m.safetensors");
  ASSERT_FALSE(model.ok());
  EXPECT_NE(model.status().message().find("encoder_attn.v_proj.bias\" is missing"), std::string::npos);
}

TEST(MarianModelTest, ConfigWithMoreLayersThanTheWeightsFails) {
  auto config = ModelConfig::Load(testing::FixtureModelDir());
  auto weights = ReadSafetensorsFile(testing::FixtureModelDir() + "/model.safetensors");
  ASSERT_TRUE(config.ok() && weights.ok());
  ModelConfig c = *config;
  c.decoder_layers = 3;
  auto model = MarianModel::FromWeights(*weights, c, "m.safetensors");
  ASSERT_FALSE(model.ok());
  EXPECT_NE(model.status().message().find("m.safetensors has 2 decoder layers, but config.json says "
                                          "\"decoder_layers\": 3"),
            std::string::npos)
      << model.status().message();
  // Fewer layers than the file has: refused too (the file belongs to another config).
  c = *config;
  c.encoder_layers = 1;
  model = MarianModel::FromWeights(*weights, c, "m.safetensors");
  ASSERT_FALSE(model.ok());
  EXPECT_NE(model.status().message().find("has 2 encoder layers"), std::string::npos)
      << model.status().message();
  // A layer tensor of the wrong shape is found before anything is allocated for the layers.
  c = *config;
  c.encoder_ffn_dim = 128;
  model = MarianModel::FromWeights(*weights, c, "m.safetensors");
  ASSERT_FALSE(model.ok());
  EXPECT_NE(
      model.status().message().find("model.encoder.layers.0.fc1.weight\" has shape [64, 32], config.json "
                                    "needs [128, 32]"),
      std::string::npos)
      << model.status().message();
}

}  // namespace
}  // namespace dolmetsch::engine
