// RegistryBackend (a model of the registry, with a multilingual target token) and PivotBackend.
#include "translator/model_backend.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "engine/random_model.h"
#include "engine/translator.h"
#include "translator/fake_backend_test_util.h"

namespace dolmetsch::translator {
namespace {

const std::string kFixture = std::string(DOLMETSCH_SOURCE_DIR) + "/tests/fixtures/tiny-de-en";

// A tiny random multilingual model (>>fra<<, >>spa<< in its vocabulary), made once.
const std::string& MultilingualModel() {
  static const std::string* dir = [] {
    auto* d = new std::string(::testing::TempDir() + "model_backend_multi_" + std::to_string(::getpid()));
    engine::RandomModelOptions options;
    options.like = "tiny";
    options.out_dir = *d;
    options.seed = 5;
    options.spm_from = kFixture;
    options.target_languages = {"fra", "spa"};
    EXPECT_TRUE(engine::WriteRandomModel(options).ok());
    static struct RemoveAtExit {
      std::string path;
      ~RemoveAtExit() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
      }
    } remove_at_exit{*d};
    return d;
  }();
  return *dir;
}

catalog::ModelSpec Inspected(const std::string& spec_text) {
  auto spec = catalog::ParseModelSpec(spec_text);
  EXPECT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_TRUE(catalog::InspectModel(&*spec).ok());
  return *spec;
}

// The token is part of the source text, as transformers' tokenizer gets ">>fra<< text": the ids the engine
// decodes from equal the tokenizer's ids of that text, whose first is the >>fra<< entry of the vocabulary.
TEST(RegistryBackendTest, TargetTokenIsPrependedToTheSourceText) {
  catalog::ModelSpec spec = Inspected("en-fr,es=" + MultilingualModel());
  ASSERT_EQ(spec.target_tokens.at("fr"), ">>fra<<");
  catalog::ModelRegistry registry({});
  RegistryBackend french(&registry, &spec, ">>fra<<", {});
  RegistryBackend spanish(&registry, &spec, ">>spa<<", {});
  auto model = engine::Translator::Load(MultilingualModel());
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  const engine::MarianTokenizer& tokenizer = (*model)->tokenizer();
  const std::string text = "The weather is lovely today.";
  std::vector<int> ids = tokenizer.Encode(">>fra<< " + text);
  EXPECT_EQ(french.CountTokens(text), static_cast<int>(ids.size()));
  EXPECT_EQ(tokenizer.Encode(">>fra<<").front(), ids.front());
  EXPECT_EQ(ids.size(), tokenizer.Encode(text).size() + 1);  // one token, not pieces of ">>fra<<"
  EXPECT_EQ(french.max_source_tokens(), (*model)->config().max_position_embeddings - 1);

  SentenceOptions options;
  options.max_new_tokens = 12;
  EngineBackend plain(model->get());
  auto expected_fr = plain.TranslateBatch({">>fra<< " + text}, options, {});
  auto expected_es = plain.TranslateBatch({">>spa<< " + text}, options, {});
  auto fr = french.TranslateBatch({text}, options, {});
  auto es = spanish.TranslateBatch({text}, options, {});
  ASSERT_TRUE(fr.ok() && es.ok() && expected_fr.ok() && expected_es.ok());
  EXPECT_EQ((*fr)[0].hypotheses, (*expected_fr)[0].hypotheses);
  EXPECT_EQ((*es)[0].hypotheses, (*expected_es)[0].hypotheses);
  EXPECT_EQ(registry.loads(), 1u);  // one model however many targets

  // Alignments point into the sentence as given (the target token is not part of it).
  options.alignment = true;
  auto aligned = french.TranslateBatch({text}, options, {});
  ASSERT_TRUE(aligned.ok());
  auto prefixed = plain.TranslateBatch({">>fra<< " + text}, options, {});
  ASSERT_TRUE(aligned.ok() && prefixed.ok());
  const std::vector<engine::AlignedBytes>& got = (*aligned)[0].alignment;
  const std::vector<engine::AlignedBytes>& want = (*prefixed)[0].alignment;
  EXPECT_FALSE(got.empty());
  ASSERT_EQ(got.size(), want.size());  // no token is aligned to >>fra<< itself
  const size_t shift = std::string(">>fra<< ").size();
  for (size_t k = 0; k < got.size(); ++k) {
    ASSERT_LE(got[k].source.end, text.size());
    EXPECT_EQ(got[k].source.begin + shift, want[k].source.begin);
    EXPECT_EQ(got[k].target, want[k].target);
  }
}

TEST(RegistryBackendTest, CountingDoesNotLoadTheModelAndCapsApply) {
  catalog::ModelSpec spec = Inspected("de-en=" + kFixture);
  catalog::ModelRegistry registry({});
  RegistryBackend backend(&registry, &spec, "", BackendCaps{3, -1});
  EXPECT_GT(backend.CountTokens("Guten Morgen."), 1);
  EXPECT_EQ(registry.loads(), 0u);  // the tokenizer is the backend's own
  SentenceOptions options;
  auto results = backend.TranslateBatch({"Guten Morgen, wie geht es dir heute?"}, options, {});
  ASSERT_TRUE(results.ok()) << results.status().ToString();
  EXPECT_LE((*results)[0].target_tokens, 4);  // 3 new tokens (+ EOS at most)
  EXPECT_EQ(registry.loads(), 1u);
}

TEST(RegistryBackendTest, AModelThatDoesNotLoadFailsItsBatchesWithTheReason) {
  const std::string dir = ::testing::TempDir() + "model_backend_broken_" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  std::filesystem::copy_file(kFixture + "/config.json", dir + "/config.json",
                             std::filesystem::copy_options::overwrite_existing);
  catalog::ModelSpec spec = Inspected("de-en=" + dir);
  catalog::ModelRegistry registry({});
  RegistryBackend backend(&registry, &spec, "", {});
  EXPECT_GT(backend.CountTokens("ein zwei drei vier"), 0);  // an estimate: no tokenizer there
  auto results = backend.TranslateBatch({"Hallo."}, {}, {});
  ASSERT_FALSE(results.ok());
  EXPECT_NE(results.status().message().find(dir), std::string::npos) << results.status().ToString();
  EXPECT_EQ(results.status().code(), Status::Code::kInternal);  // 500, not the loader's NotFound
  std::filesystem::remove_all(dir);
}

TEST(PivotBackendTest, SecondHopTranslatesTheFirstHopsBestAndGivesTheAlternatives) {
  FakeBackend first, second;
  first.Open();
  second.Open();
  PivotBackend pivot(&first, &second);
  SentenceOptions options;
  options.n_best = 2;
  auto results = pivot.TranslateBatch({"eins zwei", "drei"}, options, {});
  ASSERT_TRUE(results.ok());
  ASSERT_EQ(results->size(), 2u);
  // first: "0:EINS ZWEI" (best only: n_best 1 on the first hop), second: upper case again, two hypotheses.
  EXPECT_EQ((*results)[0].hypotheses, (std::vector<std::string>{"0:0:EINS ZWEI", "0:0:EINS ZWEI#1"}));
  EXPECT_EQ((*results)[1].hypotheses[0], "0:0:DREI");
  EXPECT_EQ((*results)[0].source_tokens, first.CountTokens("eins zwei") + 1);
  EXPECT_EQ(pivot.CountTokens("eins zwei drei"), 3);
}

TEST(PivotBackendTest, CancelledSentencesStayCancelledAndOthersGoOn) {
  FakeBackend first, second;
  first.Open();
  second.Open();
  PivotBackend pivot(&first, &second);
  engine::CancelToken cancelled;
  cancelled.Cancel();
  auto results = pivot.TranslateBatch({"a", "b"}, {}, {&cancelled, nullptr});
  ASSERT_TRUE(results.ok());
  EXPECT_TRUE((*results)[0].cancelled);
  EXPECT_TRUE((*results)[0].hypotheses.empty());
  EXPECT_FALSE((*results)[1].cancelled);
  EXPECT_EQ((*results)[1].hypotheses[0], "0:0:B");
}

TEST(PivotBackendTest, AFailingHopFailsTheBatch) {
  FakeBackend first, second;
  first.Open();
  second.Open();
  second.FailWith(Status::Internal("second hop broke"));
  PivotBackend pivot(&first, &second);
  auto results = pivot.TranslateBatch({"a"}, {}, {});
  ASSERT_FALSE(results.ok());
  EXPECT_EQ(results.status().message(), "second hop broke");
}

}  // namespace
}  // namespace dolmetsch::translator
