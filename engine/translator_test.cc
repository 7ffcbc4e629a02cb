// End-to-end exactness against transformers' generate(): ids, texts and scores for greedy and beam search,
// n-best, a padded batch and forced-EOS runs, from both weight files.
#include "engine/translator.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>

#include "engine/golden_testing.h"

namespace dolmetsch::engine {
namespace {

using testing::Golden;
using testing::Ids;
using testing::TrimOutputRow;

constexpr float kScoreTolerance = 1e-4f;

class TranslatorGoldenTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    auto t = Translator::Load(testing::ModelDirFor(GetParam()));
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    translator_ = std::move(t).value();
    eos_ = translator_->config().eos_token_id;
    pad_ = translator_->config().pad_token_id;
  }
  TranslationResult One(const std::string& text, const TranslateOptions& options) {
    auto r = translator_->Translate({text}, options);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? (*r)[0] : TranslationResult{};
  }
  std::unique_ptr<Translator> translator_;
  int eos_ = 0, pad_ = 0;
};

TEST_P(TranslatorGoldenTest, GreedyMatchesEveryCase) {
  TranslateOptions greedy;
  greedy.beam_size = 1;
  for (const auto& c : Golden()["cases"]) {
    SCOPED_TRACE("case " + std::to_string(c["id"].get<int>()) + ": " + c["text"].get<std::string>());
    TranslationResult r = One(c["text"], greedy);
    EXPECT_EQ(r.source_ids, Ids(c["input_ids"]));
    ASSERT_EQ(r.hypotheses.size(), 1u);
    EXPECT_EQ(r.hypotheses[0].target_ids, Ids(c["greedy"]["generated_ids"]));
    EXPECT_EQ(r.hypotheses[0].text, c["greedy"]["text"].get<std::string>());
  }
}

TEST_P(TranslatorGoldenTest, BeamMatchesEveryCase) {
  TranslateOptions beam;  // the model's own num_beams (4)
  for (const auto& c : Golden()["cases"]) {
    SCOPED_TRACE("case " + std::to_string(c["id"].get<int>()) + ": " + c["text"].get<std::string>());
    TranslationResult r = One(c["text"], beam);
    ASSERT_EQ(r.hypotheses.size(), 1u);
    EXPECT_EQ(r.hypotheses[0].target_ids, Ids(c["beam"]["generated_ids"]));
    EXPECT_EQ(r.hypotheses[0].text, c["beam"]["text"].get<std::string>());
    EXPECT_NEAR(r.hypotheses[0].score, c["beam"]["sequence_score"].get<float>(), kScoreTolerance);
  }
}

TEST_P(TranslatorGoldenTest, TwoBestBeamsMatchEveryCase) {
  TranslateOptions nbest;
  nbest.num_hypotheses = 2;
  for (const auto& c : Golden()["cases"]) {
    SCOPED_TRACE("case " + std::to_string(c["id"].get<int>()));
    const auto& want = c["beam_nrs2"];
    TranslationResult r = One(c["text"], nbest);
    ASSERT_EQ(r.hypotheses.size(), 2u);
    for (int k = 0; k < 2; ++k) {
      EXPECT_EQ(r.hypotheses[k].target_ids, Ids(want["generated_ids"][k])) << "hypothesis " << k;
      EXPECT_EQ(r.hypotheses[k].text, want["texts"][k].get<std::string>());
      EXPECT_NEAR(r.hypotheses[k].score, want["sequence_scores"][k].get<float>(), kScoreTolerance);
    }
  }
}

TEST_P(TranslatorGoldenTest, PaddedBatchMatches) {
  const auto& batch = Golden()["batch"];
  std::vector<std::string> texts = batch["texts"].get<std::vector<std::string>>();
  TranslateOptions greedy;
  greedy.beam_size = 1;
  auto g = translator_->Translate(texts, greedy);
  auto b = translator_->Translate(texts, TranslateOptions{});
  ASSERT_TRUE(g.ok() && b.ok());
  for (size_t i = 0; i < texts.size(); ++i) {
    SCOPED_TRACE("batch row " + std::to_string(i));
    EXPECT_EQ((*g)[i].hypotheses[0].target_ids,
              TrimOutputRow(Ids(batch["greedy_output_ids"][i]), eos_, pad_));
    EXPECT_EQ((*g)[i].hypotheses[0].text, batch["greedy_texts"][i].get<std::string>());
    EXPECT_EQ((*b)[i].hypotheses[0].target_ids, TrimOutputRow(Ids(batch["beam_output_ids"][i]), eos_, pad_));
    EXPECT_EQ((*b)[i].hypotheses[0].text, batch["beam_texts"][i].get<std::string>());
    EXPECT_NEAR((*b)[i].hypotheses[0].score, batch["beam_sequence_scores"][i].get<float>(), kScoreTolerance);
  }
}

TEST_P(TranslatorGoldenTest, ForcedEosAtMaxLengthMatches) {
  for (const auto& c : Golden()["forced_eos"]) {
    SCOPED_TRACE("case " + std::to_string(c["case_id"].get<int>()));
    TranslateOptions greedy, beam;
    greedy.beam_size = 1;
    greedy.max_length = beam.max_length = c["max_length"].get<int>();
    TranslationResult g = One(c["text"], greedy), b = One(c["text"], beam);
    EXPECT_EQ(g.hypotheses[0].target_ids, TrimOutputRow(Ids(c["greedy_output_ids"]), eos_, pad_));
    EXPECT_EQ(b.hypotheses[0].target_ids, TrimOutputRow(Ids(c["beam_output_ids"]), eos_, pad_));
    EXPECT_NEAR(b.hypotheses[0].score, c["beam_sequence_score"].get<float>(), kScoreTolerance);
  }
}

INSTANTIATE_TEST_SUITE_P(WeightFormats, TranslatorGoldenTest,
                         ::testing::ValuesIn(testing::BothWeightFormats()));

TEST(TranslatorTest, ForcedNewTokensDecodesExactlyThatManyWithoutEos) {
  auto t = Translator::Load(testing::FixtureModelDir());
  ASSERT_TRUE(t.ok());
  for (int beam : {1, 4}) {
    TranslateOptions o;
    o.beam_size = beam;
    o.forced_new_tokens = 7;
    auto r = (*t)->Translate({"Hallo Welt", "Ich bin ein kleiner Frosch."}, o);
    ASSERT_TRUE(r.ok());
    for (const auto& res : *r) {
      ASSERT_EQ(res.hypotheses[0].target_ids.size(), 7u) << "beam " << beam;
      for (int id : res.hypotheses[0].target_ids) EXPECT_NE(id, (*t)->config().eos_token_id);
    }
  }
}

TEST(TranslatorTest, BatchEqualsOneByOne) {
  auto t = Translator::Load(testing::FixtureModelDir());
  ASSERT_TRUE(t.ok());
  std::vector<std::string> texts;
  for (const auto& c : Golden()["cases"]) texts.push_back(c["text"]);
  auto batched = (*t)->Translate(texts, TranslateOptions{});
  ASSERT_TRUE(batched.ok());
  for (size_t i = 0; i < texts.size(); ++i) {
    auto single = (*t)->Translate({texts[i]}, TranslateOptions{});
    ASSERT_TRUE(single.ok());
    EXPECT_EQ((*batched)[i].hypotheses[0].target_ids, (*single)[0].hypotheses[0].target_ids) << texts[i];
  }
}

// Threads split GEMM rows, attention rows and beam rows; no result may depend on how many there are.
TEST(TranslatorTest, TwoThreadsTranslateExactlyAsOne) {
  std::vector<std::string> texts;
  for (const auto& c : Golden()["cases"]) texts.push_back(c["text"]);
  for (ComputeType type : {ComputeType::kFloat32, ComputeType::kInt8}) {
    LoadOptions load;
    load.compute_type = type;
    auto t = Translator::Load(testing::FixtureModelDir(), load);
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    for (int beam : {1, 4}) {
      TranslateOptions o;
      o.beam_size = beam;
      SetNumThreads(1);
      auto one = (*t)->Translate(texts, o);
      SetNumThreads(2);
      auto two = (*t)->Translate(texts, o);
      SetNumThreads(1);
      ASSERT_TRUE(one.ok() && two.ok());
      for (size_t i = 0; i < texts.size(); ++i) {
        const auto& a = (*one)[i].hypotheses[0];
        const auto& b = (*two)[i].hypotheses[0];
        EXPECT_EQ(a.target_ids, b.target_ids)
            << ComputeTypeName(type) << " beam " << beam << ": " << texts[i];
        EXPECT_EQ(a.score, b.score) << ComputeTypeName(type) << " beam " << beam << ": " << texts[i];
      }
    }
  }
}

TEST(TranslatorTest, BadOptionsAreRejected) {
  auto t = Translator::Load(testing::FixtureModelDir());
  ASSERT_TRUE(t.ok());
  TranslateOptions o;
  o.beam_size = 1000;
  EXPECT_EQ((*t)->Translate({"a"}, o).status().code(), Status::Code::kInvalidArgument);
  o = {};
  o.beam_size = 2;
  o.num_hypotheses = 3;
  EXPECT_EQ((*t)->Translate({"a"}, o).status().code(), Status::Code::kInvalidArgument);
  o = {};
  o.max_length = 1;
  EXPECT_EQ((*t)->Translate({"a"}, o).status().code(), Status::Code::kInvalidArgument);
}

TEST(TranslatorTest, BadInputIdsAreRejected) {
  auto t = Translator::Load(testing::FixtureModelDir());
  ASSERT_TRUE(t.ok());
  EXPECT_EQ((*t)->TranslateIds({{}}, {}).status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ((*t)->TranslateIds({{5, 99999, 0}}, {}).status().code(), Status::Code::kInvalidArgument);
  std::vector<int> too_long(513, 5);
  auto r = (*t)->TranslateIds({too_long}, {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("at most 512"), std::string::npos);
  EXPECT_TRUE((*t)->TranslateIds({}, {}).ok());
}

TEST(TranslatorTest, MissingOrBrokenModelFolderIsAClearError) {
  auto missing = Translator::Load("/nonexistent/model");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("/nonexistent/model/config.json"), std::string::npos);
  EXPECT_NE(missing.status().message().find("fetch-model"), std::string::npos);

  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("dolmetsch-broken-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  for (const char* f : {"config.json", "generation_config.json", "vocab.json", "source.spm", "target.spm",
                        "tokenizer_config.json"})
    fs::copy_file(fs::path(testing::FixtureModelDir()) / f, dir / f, fs::copy_options::overwrite_existing);
  auto no_weights = Translator::Load(dir.string());
  ASSERT_FALSE(no_weights.ok());
  EXPECT_NE(no_weights.status().message().find("model.safetensors"), std::string::npos);
  // A truncated safetensors file names the file.
  {
    std::ifstream in(testing::FixtureModelDir() + "/model.safetensors", std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), {});
    std::ofstream out(dir / "model.safetensors", std::ios::binary);
    out << bytes.substr(0, bytes.size() / 2);
  }
  auto truncated = Translator::Load(dir.string());
  ASSERT_FALSE(truncated.ok());
  EXPECT_NE(truncated.status().message().find("model.safetensors"), std::string::npos);
  fs::remove_all(dir);
}

// Hostile or corrupt model folders: each refused at load with a message naming the file and the field, before
// anything is allocated for what they claim (encoder_layers 1e7 once allocated 6.4 GB; 1e8 aborted).
TEST(TranslatorTest, HostileModelFoldersAreRefusedAtLoad) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("dolmetsch-hostile-" + std::to_string(::getpid()));
  auto fresh_copy = [&] {
    fs::remove_all(dir);
    fs::create_directories(dir);
    for (const auto& entry : fs::directory_iterator(testing::FixtureModelDir())) {
      const std::string name = entry.path().filename().string();
      if (name != "pytorch_model.bin" && name != "golden.json") fs::copy_file(entry.path(), dir / name);
    }
  };
  auto read_json = [&](const char* name) {
    std::ifstream in(dir / name);
    return nlohmann::json::parse(in);
  };
  auto write = [&](const char* name, const std::string& text) { std::ofstream(dir / name) << text; };
  struct Case {
    std::string what;
    std::function<void()> change;
    std::string needle;
  };
  const std::vector<Case> cases = {
      {"encoder_layers 1e7",
       [&] {
         nlohmann::json c = read_json("config.json");
         c["encoder_layers"] = 10000000;
         write("config.json", c.dump());
       },
       "config.json: field \"encoder_layers\" is 10000000; at most 64"},
      {"encoder_layers 1e8 as a float",
       [&] {
         nlohmann::json c = read_json("config.json");
         c["encoder_layers"] = 1e8;
         write("config.json", c.dump());
       },
       "field \"encoder_layers\" is 100000000.0"},
      {"more layers than the weights",
       [&] {
         nlohmann::json c = read_json("config.json");
         c["decoder_layers"] = 64;
         write("config.json", c.dump());
       },
       "model.safetensors has 2 decoder layers, but config.json says \"decoder_layers\": 64"},
      {"d_model over the file's tensors",
       [&] {
         nlohmann::json c = read_json("config.json");
         c["d_model"] = 8192;
         write("config.json", c.dump());
       },
       "q_proj.weight\" has shape [32, 32], config.json needs [8192, 8192]"},
      {"vocab_size over the file's embeddings",
       [&] {
         nlohmann::json c = read_json("config.json");
         c["vocab_size"] = c["decoder_vocab_size"] = 1000000;
         write("config.json", c.dump());
       },
       "vocab.json has 1512 entries but config.json says \"vocab_size\": 1000000"},
      {"vocab.json maps every piece to 0",
       [&] {
         nlohmann::json v = read_json("vocab.json");
         for (auto& [piece, id] : v.items()) id = 0;
         write("vocab.json", v.dump());
       },
       "vocab.json: id 0 is used by both"},
      {"vocab.json with fewer entries than the model",
       [&] {
         nlohmann::json v = read_json("vocab.json");
         nlohmann::json smaller;
         for (auto& [piece, id] : v.items())
           if (id.get<int>() < 1000) smaller[piece] = id;
         smaller["<pad>"] = 1000;
         write("vocab.json", smaller.dump());
       },
       "vocab.json has 1001 entries but config.json says \"vocab_size\": 1512"},
      {"special tokens swapped",
       [&] {
         nlohmann::json v = read_json("vocab.json");
         const int eos = v["</s>"], unk = v["<unk>"];
         v["</s>"] = unk;
         v["<unk>"] = eos;
         write("vocab.json", v.dump());
       },
       "vocab.json maps \"</s>\" to 1 but the config's \"eos_token_id\" is 0"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    fresh_copy();
    c.change();
    for (ComputeType type : {ComputeType::kFloat32, ComputeType::kInt8}) {
      LoadOptions load;
      load.compute_type = type;
      auto t = Translator::Load(dir.string(), load);
      ASSERT_FALSE(t.ok());
      // InvalidArgument (config and files disagree) or Corruption (a file is not what its format says).
      EXPECT_TRUE(t.status().code() == Status::Code::kInvalidArgument ||
                  t.status().code() == Status::Code::kCorruption)
          << t.status().ToString();
      EXPECT_NE(t.status().message().find(c.needle), std::string::npos) << t.status().ToString();
    }
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace dolmetsch::engine
