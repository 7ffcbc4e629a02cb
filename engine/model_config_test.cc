#include "engine/model_config.h"

#include <gtest/gtest.h>

#include "engine/golden_testing.h"

namespace dolmetsch::engine {
namespace {

std::string Config(const std::string& extra = "") {
  return R"({"model_type": "marian", "d_model": 32, "encoder_layers": 2, "decoder_layers": 2,
             "encoder_attention_heads": 4, "decoder_attention_heads": 4, "encoder_ffn_dim": 64,
             "decoder_ffn_dim": 48, "vocab_size": 100, "pad_token_id": 99, "eos_token_id": 0,
             "decoder_start_token_id": 99, "activation_function": "swish", "scale_embedding": true,
             "max_position_embeddings": 64, "num_beams": 6, "max_length": 40)" +
         extra + "}";
}

TEST(ModelConfigTest, LoadsTheFixture) {
  auto c = ModelConfig::Load(testing::FixtureModelDir());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->d_model, 32);
  EXPECT_EQ(c->decoder_vocab_size, 1512);
  EXPECT_EQ(c->activation, Activation::kSwish);
  EXPECT_EQ(c->generation.num_beams, 4);
  EXPECT_TRUE(c->generation.renormalize_logits);
  ASSERT_EQ(c->generation.bad_words_ids.size(), 1u);
  EXPECT_EQ(c->generation.bad_words_ids[0], std::vector<int>{1511});
  EXPECT_EQ(c->generation.forced_eos_token_id, 0);
  EXPECT_EQ(c->generation.max_length, 512);
}

TEST(ModelConfigTest, SeparateSizesAndGenerationFieldsFromConfigWhenNoGenerationFile) {
  auto c = ModelConfig::Parse(Config(R"(, "early_stopping": true, "length_penalty": 0.6)"), "");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->encoder_ffn_dim, 64);
  EXPECT_EQ(c->decoder_ffn_dim, 48);
  EXPECT_EQ(c->decoder_vocab_size, 100);  // defaults to vocab_size
  EXPECT_EQ(c->generation.num_beams, 6);
  EXPECT_EQ(c->generation.max_length, 40);
  EXPECT_FLOAT_EQ(c->generation.length_penalty, 0.6f);
  EXPECT_EQ(c->generation.early_stopping, GenerationConfig::EarlyStopping::kWhenDone);
}

TEST(ModelConfigTest, GenerationFileWinsAndUsesGenerationConfigDefaults) {
  auto c = ModelConfig::Parse(Config(), R"({"num_beams": 2, "early_stopping": "never", "max_new_tokens": 7,
                                            "renormalize_logits": true})");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->generation.num_beams, 2);
  EXPECT_EQ(c->generation.max_length, 20);  // GenerationConfig's default, not config.json's 40
  EXPECT_EQ(c->generation.EffectiveMaxLength(), 8);
  EXPECT_EQ(c->generation.early_stopping, GenerationConfig::EarlyStopping::kNever);
}

TEST(ModelConfigTest, ActivationsAndDefaults) {
  for (auto [name, act] : {std::pair{"gelu", Activation::kGelu}, std::pair{"gelu_new", Activation::kGeluNew},
                           std::pair{"relu", Activation::kRelu}, std::pair{"silu", Activation::kSwish}}) {
    auto c = ModelConfig::Parse(
        R"({"model_type": "marian", "activation_function": ")" + std::string(name) + "\"}", "");
    ASSERT_TRUE(c.ok()) << name;
    EXPECT_EQ(c->activation, act);
    EXPECT_EQ(c->d_model, 1024);  // MarianConfig's default
    EXPECT_FALSE(c->scale_embedding);
  }
}

TEST(ModelConfigTest, MalformedAndUnsupportedConfigsAreClearErrors) {
  struct Case {
    std::string config, generation, needle;
    Status::Code code;
  } cases[] = {
      {"not json", "", "config.json: not a JSON object", Status::Code::kInvalidArgument},
      {"[1,2]", "", "not a JSON object", Status::Code::kInvalidArgument},
      {R"({"model_type": "bart"})", "", "Marian", Status::Code::kUnsupported},
      {Config(R"(, "d_model": "big")"), "", "\"d_model\" must be an integer", Status::Code::kInvalidArgument},
      {Config(R"(, "d_model": 30)"), "", "divisible", Status::Code::kInvalidArgument},
      {Config(R"(, "activation_function": "tanh")"), "", "tanh", Status::Code::kUnsupported},
      {Config(R"(, "pad_token_id": 100)"), "", "outside the target vocabulary",
       Status::Code::kInvalidArgument},
      {Config(R"(, "encoder_layers": -1)"), "", "out of range", Status::Code::kInvalidArgument},
      {Config(), "{", "generation_config.json: not a JSON object", Status::Code::kInvalidArgument},
      {Config(), R"({"do_sample": true})", "do_sample", Status::Code::kUnsupported},
      {Config(), R"({"repetition_penalty": 1.2})", "repetition_penalty", Status::Code::kUnsupported},
      {Config(), R"({"early_stopping": "sometimes"})", "early_stopping", Status::Code::kInvalidArgument},
      {Config(), R"({"bad_words_ids": [[1000]]})", "outside the vocabulary", Status::Code::kInvalidArgument},
      {Config(), R"({"bad_words_ids": [5]})", "bad_words_ids", Status::Code::kInvalidArgument},
      {Config(), R"({"num_beams": 0})", "num_beams", Status::Code::kInvalidArgument},
      // Sizes no real model has are refused before anything is allocated for them, naming file and field.
      {Config(R"(, "encoder_layers": 10000000)"), "",
       "config.json: field \"encoder_layers\" is 10000000; at most 64", Status::Code::kInvalidArgument},
      {Config(R"(, "encoder_layers": 1e8)"), "", "field \"encoder_layers\" is 100000000.0; at most 64",
       Status::Code::kInvalidArgument},
      {Config(R"(, "decoder_layers": 65)"), "", "\"decoder_layers\" is 65; at most 64",
       Status::Code::kInvalidArgument},
      {Config(R"(, "d_model": 65536, "encoder_attention_heads": 1, "decoder_attention_heads": 1)"), "",
       "\"d_model\" is 65536; at most 8192", Status::Code::kInvalidArgument},
      {Config(R"(, "encoder_attention_heads": 1024)"), "", "\"encoder_attention_heads\" is 1024",
       Status::Code::kInvalidArgument},
      {Config(R"(, "decoder_ffn_dim": 1000000)"), "", "\"decoder_ffn_dim\" is 1000000",
       Status::Code::kInvalidArgument},
      {Config(R"(, "vocab_size": 100000000)"), "", "\"vocab_size\" is 100000000",
       Status::Code::kInvalidArgument},
      {Config(R"(, "max_position_embeddings": 1000000)"), "", "\"max_position_embeddings\" is 1000000",
       Status::Code::kInvalidArgument},
      {Config(R"(, "vocab_size": 18446744073709551615)"), "", "\"vocab_size\" is 18446744073709551615",
       Status::Code::kInvalidArgument},
      {Config(), R"({"num_beams": 100000})",
       "generation_config.json: field \"num_beams\" is 100000; at most 64", Status::Code::kInvalidArgument},
      {Config(), R"({"max_length": 1e12})", "\"max_length\" is", Status::Code::kInvalidArgument},
  };
  for (const auto& c : cases) {
    auto parsed = ModelConfig::Parse(c.config, c.generation);
    ASSERT_FALSE(parsed.ok()) << c.needle;
    EXPECT_EQ(parsed.status().code(), c.code) << parsed.status().ToString();
    EXPECT_NE(parsed.status().message().find(c.needle), std::string::npos) << parsed.status().ToString();
  }
}

TEST(ModelConfigTest, MissingFolderNamesTheFileAndTheFix) {
  auto c = ModelConfig::Load("/no/such/model");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Status::Code::kNotFound);
  EXPECT_NE(c.status().message().find("/no/such/model/config.json"), std::string::npos);
}

TEST(ModelConfigTest, TheLargestRealSizesAreAccepted) {
  // opus-mt-tc-big-like: 12 + 12 layers, d_model 1024, 16 heads, FFN 4096, a large joint vocabulary.
  auto c = ModelConfig::Parse(
      R"({"model_type": "marian", "d_model": 1024, "encoder_layers": 12, "decoder_layers": 12,
          "encoder_attention_heads": 16, "decoder_attention_heads": 16, "encoder_ffn_dim": 4096,
          "decoder_ffn_dim": 4096, "vocab_size": 250000, "pad_token_id": 249999, "eos_token_id": 0,
          "max_position_embeddings": 1024, "num_beams": 64})",
      "");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->encoder_layers, 12);
}

}  // namespace
}  // namespace dolmetsch::engine
