#include "engine/random_model.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "engine/translator.h"

namespace dolmetsch::engine {
namespace {

using ::testing::HasSubstr;

const std::string kFixtureDir = std::string(DOLMETSCH_SOURCE_DIR) + "/tests/fixtures/tiny-de-en";

std::string ReadText(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class RandomModelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("dolmetsch_random_model_test_" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(RandomModelTest, TinyModelHasTheFixturesLayout) {
  RandomModelOptions options{"tiny", (dir_ / "m").string(), 7, kFixtureDir};
  StatusOr<RandomModelSummary> summary = WriteRandomModel(options);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  const std::filesystem::path m = dir_ / "m";

  // Same tensor names and shapes as the fixture's model.safetensors.
  StatusOr<WeightMap> random = ReadSafetensorsFile((m / "model.safetensors").string());
  StatusOr<WeightMap> fixture = ReadSafetensorsFile(kFixtureDir + "/model.safetensors");
  ASSERT_TRUE(random.ok()) << random.status().ToString();
  ASSERT_TRUE(fixture.ok());
  ASSERT_EQ(random->size(), fixture->size());
  int64_t parameters = 0;
  for (const auto& [name, tensor] : *fixture) {
    ASSERT_TRUE(random->count(name)) << name;
    EXPECT_EQ(random->at(name).shape, tensor.shape) << name;
    parameters += tensor.numel();
  }
  EXPECT_EQ(summary->parameters, parameters);

  // The configs equal the fixture's (which transformers wrote), except for the model's name.
  nlohmann::json config = nlohmann::json::parse(ReadText(m / "config.json"));
  nlohmann::json fixture_config = nlohmann::json::parse(ReadText(kFixtureDir + "/config.json"));
  EXPECT_EQ(config["_name_or_path"], "tiny");
  config.erase("_name_or_path");
  fixture_config.erase("_name_or_path");
  EXPECT_EQ(config, fixture_config);
  EXPECT_EQ(nlohmann::json::parse(ReadText(m / "generation_config.json")),
            nlohmann::json::parse(ReadText(kFixtureDir + "/generation_config.json")));
  EXPECT_EQ(nlohmann::json::parse(ReadText(m / "tokenizer_config.json")),
            nlohmann::json::parse(ReadText(kFixtureDir + "/tokenizer_config.json")));
  EXPECT_EQ(nlohmann::json::parse(ReadText(m / "special_tokens_map.json")),
            nlohmann::json::parse(ReadText(kFixtureDir + "/special_tokens_map.json")));
  EXPECT_EQ(ReadText(m / "source.spm"), ReadText(kFixtureDir + "/source.spm"));
  EXPECT_EQ(ReadText(m / "target.spm"), ReadText(kFixtureDir + "/target.spm"));

  // vocab.json: </s>=0, <unk>=1, <pad> last, distinct ids 0..vocab_size-1, mostly real pieces.
  const nlohmann::json vocab = nlohmann::json::parse(ReadText(m / "vocab.json"));
  ASSERT_EQ(vocab.size(), 1512u);
  EXPECT_EQ(vocab["</s>"], 0);
  EXPECT_EQ(vocab["<unk>"], 1);
  EXPECT_EQ(vocab["<pad>"], 1511);
  EXPECT_TRUE(vocab.contains("▁"));
  std::set<int> ids;
  for (const auto& [piece, id] : vocab.items()) ids.insert(id.get<int>());
  EXPECT_EQ(ids.size(), 1512u);
  EXPECT_EQ(*ids.begin(), 0);
  EXPECT_EQ(*ids.rbegin(), 1511);
  EXPECT_GT(summary->vocabulary_pieces, 1000);
}

TEST_F(RandomModelTest, WeightsHaveTheIntendedDistribution) {
  StatusOr<RandomModelShape> shape = RandomModelShape::Like("tiny");
  ASSERT_TRUE(shape.ok());
  const WeightMap w = MakeRandomMarianWeights(*shape, 3);
  const WeightTensor& shared = w.at("model.shared.weight");
  double sum = 0, sum_sq = 0;
  for (float v : shared.values) {
    sum += v;
    sum_sq += static_cast<double>(v) * v;
  }
  const double n = static_cast<double>(shared.values.size());
  const double mean = sum / n, stddev = std::sqrt(sum_sq / n - mean * mean);
  EXPECT_NEAR(mean, 0.0, 0.002);
  EXPECT_NEAR(stddev, 0.02, 0.002);
  for (int i = 0; i < 32; ++i) EXPECT_EQ(shared.values[1511 * 32 + i], 0.0f);  // the pad row
  for (float v : w.at("model.encoder.layers.1.final_layer_norm.weight").values) EXPECT_EQ(v, 1.0f);
  for (float v : w.at("model.decoder.layers.0.fc1.bias").values) EXPECT_LT(std::fabs(v), 0.02f);
  for (float v : w.at("final_logits_bias").values) EXPECT_EQ(v, 0.0f);

  EXPECT_EQ(MakeRandomMarianWeights(*shape, 3).at("model.shared.weight").values, shared.values);
  EXPECT_NE(MakeRandomMarianWeights(*shape, 4).at("model.shared.weight").values, shared.values);
}

TEST_F(RandomModelTest, OpusShapeMatchesTheHubModel) {
  StatusOr<RandomModelShape> s = RandomModelShape::Like("opus-mt-de-en");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->d_model, 512);
  EXPECT_EQ(s->encoder_layers, 6);
  EXPECT_EQ(s->decoder_layers, 6);
  EXPECT_EQ(s->attention_heads, 8);
  EXPECT_EQ(s->ffn_dim, 2048);
  EXPECT_EQ(s->vocab_size, 58101);
  EXPECT_EQ(s->pad_token_id(), 58100);
  const nlohmann::json config = nlohmann::json::parse(MarianConfigJson(*s));
  EXPECT_EQ(config["bad_words_ids"], nlohmann::json::parse("[[58100]]"));
  EXPECT_EQ(config["decoder_start_token_id"], 58100);
  EXPECT_EQ(config["activation_function"], "swish");
  const nlohmann::json generation = nlohmann::json::parse(MarianGenerationConfigJson(*s));
  EXPECT_EQ(generation["renormalize_logits"], true);
  EXPECT_EQ(generation["num_beams"], 4);
  EXPECT_EQ(generation["pad_token_id"], 58100);
}

TEST_F(RandomModelTest, JointVocabularyIsFilledToSize) {
  StatusOr<std::vector<std::string>> v =
      MakeJointVocabulary({kFixtureDir + "/source.spm", kFixtureDir + "/target.spm"}, 5000);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  ASSERT_EQ(v->size(), 5000u);
  EXPECT_EQ(v->front(), "</s>");
  EXPECT_EQ(v->back(), "<pad>");
  EXPECT_EQ(std::set<std::string>(v->begin(), v->end()).size(), 5000u);
  EXPECT_EQ(std::count(v->begin(), v->end(), "<s>"), 0);  // spm control pieces are not Marian tokens
  EXPECT_THAT(v->at(4998), HasSubstr("<filler_"));
  StatusOr<std::vector<std::string>> small = MakeJointVocabulary({kFixtureDir + "/source.spm"}, 10);
  ASSERT_TRUE(small.ok());
  EXPECT_EQ(small->size(), 10u);
}

TEST_F(RandomModelTest, MultilingualModelHasTargetTokensTheTokenizerKeeps) {
  RandomModelOptions options{"tiny", (dir_ / "multi").string(), 3, kFixtureDir, {"fra", "spa"}};
  StatusOr<RandomModelSummary> summary = WriteRandomModel(options);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  StatusOr<std::unique_ptr<Translator>> loaded = Translator::Load((dir_ / "multi").string());
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  // The target token is one id at the start (as transformers' MarianTokenizer does), not spm pieces.
  const std::vector<int> ids = (*loaded)->tokenizer().Encode(">>fra<< Das Haus");
  const std::vector<int> plain = (*loaded)->tokenizer().Encode("Das Haus");
  ASSERT_EQ(ids.size(), plain.size() + 1);
  EXPECT_EQ(ids[0], 2) << ">>fra<< follows </s> and <unk>";
  EXPECT_EQ((*loaded)->tokenizer().Encode(">>spa<< Das Haus")[0], 3);
  EXPECT_EQ(WriteRandomModel({"tiny", (dir_ / "bad").string(), 3, kFixtureDir, {"F R"}}).status().code(),
            Status::Code::kInvalidArgument);
}

TEST_F(RandomModelTest, ErrorsNameTheOption) {
  StatusOr<RandomModelSummary> bad_like = WriteRandomModel({"gpt-5", (dir_ / "a").string(), 1, kFixtureDir});
  EXPECT_EQ(bad_like.status().code(), Status::Code::kInvalidArgument);
  EXPECT_THAT(bad_like.status().message(), HasSubstr("--like 'gpt-5'"));
  StatusOr<RandomModelSummary> no_spm = WriteRandomModel({"tiny", (dir_ / "b").string(), 1, dir_.string()});
  EXPECT_EQ(no_spm.status().code(), Status::Code::kNotFound);
  EXPECT_THAT(no_spm.status().message(), HasSubstr("--spm-from"));
  EXPECT_FALSE(std::filesystem::exists(dir_ / "b" / "model.safetensors"));
  StatusOr<RandomModelSummary> no_out = WriteRandomModel({"tiny", "", 1, kFixtureDir});
  EXPECT_THAT(no_out.status().message(), HasSubstr("--out"));
  StatusOr<std::vector<std::string>> bad_spm = MakeJointVocabulary({kFixtureDir + "/config.json"}, 100);
  EXPECT_EQ(bad_spm.status().code(), Status::Code::kInvalidArgument);
  EXPECT_THAT(bad_spm.status().message(), HasSubstr("config.json"));
}

}  // namespace
}  // namespace dolmetsch::engine
