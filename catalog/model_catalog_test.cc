#include "catalog/model_catalog.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace dolmetsch::catalog {
namespace {

namespace fs = std::filesystem;

class ModelCatalogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("dolmetsch-catalog-" + std::to_string(::getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }

  // A folder that looks like a model: config.json, and vocab.json with the given keys.
  std::string MakeModel(const std::string& name, const std::vector<std::string>& vocab_keys = {}) {
    const fs::path dir = root_ / name;
    fs::create_directories(dir);
    std::ofstream(dir / "config.json") << "{}";
    std::ofstream vocab(dir / "vocab.json");
    vocab << "{\"</s>\": 0, \"<unk>\": 1";
    int id = 2;
    for (const std::string& k : vocab_keys) vocab << ", \"" << k << "\": " << id++;
    vocab << "}";
    return dir.string();
  }

  ModelSpec Inspected(const std::string& spec_text) {
    StatusOr<ModelSpec> spec = ParseModelSpec(spec_text);
    EXPECT_TRUE(spec.ok()) << spec.status().ToString();
    if (!spec.ok()) return {};
    Status s = InspectModel(&*spec);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return *spec;
  }

  fs::path root_;
};

TEST_F(ModelCatalogTest, PairsComeFromFolderNamesOrTheSpec) {
  StatusOr<ModelSpec> named = ParseModelSpec("models/opus-mt-de-en");
  ASSERT_TRUE(named.ok()) << named.status().ToString();
  EXPECT_EQ(named->sources, std::vector<std::string>{"de"});
  EXPECT_EQ(named->targets, std::vector<std::string>{"en"});
  EXPECT_EQ(named->name, "opus-mt-de-en");
  EXPECT_EQ(ParseModelSpec("models/opus-mt-de-en/")->name, "opus-mt-de-en");

  StatusOr<ModelSpec> explicit_pair = ParseModelSpec("deu-eng=/srv/my model");
  ASSERT_TRUE(explicit_pair.ok());
  EXPECT_EQ(explicit_pair->dir, "/srv/my model");
  EXPECT_EQ(explicit_pair->sources, std::vector<std::string>{"de"}) << "639-3 codes are mapped";
  EXPECT_EQ(explicit_pair->targets, std::vector<std::string>{"en"});

  StatusOr<ModelSpec> multi = ParseModelSpec("en-fr,es=/m");
  ASSERT_TRUE(multi.ok());
  EXPECT_EQ(multi->targets, (std::vector<std::string>{"fr", "es"}));
}

TEST_F(ModelCatalogTest, MalformedSpecsSayWhatToWrite) {
  auto unnamed = ParseModelSpec("/srv/somemodel");
  ASSERT_FALSE(unnamed.ok());
  EXPECT_NE(unnamed.status().message().find("--model de-en=/srv/somemodel"), std::string::npos);
  EXPECT_FALSE(ParseModelSpec("de-en=").ok());
  EXPECT_FALSE(ParseModelSpec("deen=/m").ok());
  EXPECT_FALSE(ParseModelSpec("de-en-fr=/m").ok());
  EXPECT_FALSE(ParseModelSpec("d e-en=/m").ok());
  EXPECT_FALSE(ParseModelSpec("de-=/m").ok());
  EXPECT_FALSE(ParseModelSpec("de-en,=/m").ok());
  auto missing = ParseModelSpec((root_ / "opus-mt-de-en").string());
  ASSERT_TRUE(missing.ok());
  Status s = InspectModel(&*missing);
  EXPECT_EQ(s.code(), Status::Code::kNotFound);
  EXPECT_NE(s.message().find("config.json"), std::string::npos);
}

TEST_F(ModelCatalogTest, MultilingualTargetsComeFromVocabularyTokens) {
  const std::string dir = MakeModel("opus-mt-de-ROMANCE", {">>fra<<", ">>spa<<", ">>it<<", "▁Haus", ">><<"});
  ModelSpec spec = Inspected(dir);
  EXPECT_EQ(spec.targets, (std::vector<std::string>{"es", "fr", "it"}));
  EXPECT_EQ(spec.target_tokens.at("fr"), ">>fra<<");
  EXPECT_EQ(spec.target_tokens.at("it"), ">>it<<");
  // Naming targets picks some of them; an absent one is refused.
  ModelSpec some = Inspected("de-fr,es=" + dir);
  EXPECT_EQ(some.targets, (std::vector<std::string>{"es", "fr"}));
  auto absent = ParseModelSpec("de-fr,pt=" + dir);
  ASSERT_TRUE(absent.ok());
  Status s = InspectModel(&*absent);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find(">>pt<<"), std::string::npos) << s.ToString();
  // A group without tokens, or a group as the source, cannot be served.
  const std::string plain = MakeModel("opus-mt-en-ROMANCE");
  auto no_tokens = ParseModelSpec(plain);
  EXPECT_FALSE(InspectModel(&*no_tokens).ok());
  const std::string group_source = MakeModel("opus-mt-ROMANCE-en");
  auto group = ParseModelSpec(group_source);
  ASSERT_TRUE(group.ok());
  Status g = InspectModel(&*group);
  EXPECT_NE(g.message().find("name its sources"), std::string::npos) << g.ToString();
}

TEST_F(ModelCatalogTest, RoutesDirectlyOrThroughEnglish) {
  ModelCatalog catalog;
  ASSERT_TRUE(catalog.Add(Inspected(MakeModel("opus-mt-de-en"))).ok());
  ASSERT_TRUE(catalog.Add(Inspected(MakeModel("opus-mt-en-de"))).ok());
  ASSERT_TRUE(catalog.Add(Inspected(MakeModel("opus-mt-en-ROMANCE", {">>fr<<", ">>es<<"}))).ok());

  EXPECT_EQ(catalog.Sources(), (std::vector<std::string>{"de", "en"}));
  EXPECT_EQ(catalog.Targets("de", false), std::vector<std::string>{"en"});
  EXPECT_EQ(catalog.Targets("de", true), (std::vector<std::string>{"en", "es", "fr"}));
  EXPECT_EQ(catalog.Targets("en", true), (std::vector<std::string>{"de", "es", "fr"}));
  EXPECT_EQ(catalog.Languages(false), (std::vector<std::string>{"de", "en", "es", "fr"}));

  auto direct = catalog.Route("de", "en", true);
  ASSERT_TRUE(direct.ok());
  ASSERT_EQ(direct->size(), 1u);
  EXPECT_EQ(direct->at(0).model->name, "opus-mt-de-en");
  EXPECT_EQ(direct->at(0).target_token, "");

  auto pivot = catalog.Route("de", "fr", true);
  ASSERT_TRUE(pivot.ok()) << pivot.status().ToString();
  ASSERT_EQ(pivot->size(), 2u);
  EXPECT_EQ(pivot->at(0).model->name, "opus-mt-de-en");
  EXPECT_EQ(pivot->at(1).model->name, "opus-mt-en-ROMANCE");
  EXPECT_EQ(pivot->at(1).target_token, ">>fr<<");

  auto no_pivot = catalog.Route("de", "fr", false);
  EXPECT_EQ(no_pivot.status().code(), Status::Code::kNotFound);
  EXPECT_NE(no_pivot.status().message().find("served pairs: de-en, en-de, en-es, en-fr"), std::string::npos)
      << no_pivot.status().ToString();
  EXPECT_FALSE(catalog.Route("fr", "de", true).ok());
  EXPECT_EQ(catalog.Route("de", "de", true).status().code(), Status::Code::kInvalidArgument);
  EXPECT_TRUE(catalog.Route("deu", "eng", false).ok()) << "codes are normalized";
}

TEST_F(ModelCatalogTest, TwoModelsForOnePairAreRefused) {
  ModelCatalog catalog;
  ASSERT_TRUE(catalog.Add(Inspected(MakeModel("opus-mt-de-en"))).ok());
  const std::string other = MakeModel("other");
  Status s = catalog.Add(Inspected("de-en=" + other));
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(s.message().find("two models serve de-en"), std::string::npos) << s.ToString();
}

TEST_F(ModelCatalogTest, ModelsDirListsEveryModelFolder) {
  MakeModel("opus-mt-en-de");
  MakeModel("opus-mt-de-en");
  fs::create_directories(root_ / "not-a-model");  // no config.json: skipped
  auto specs = ScanModelsDir(root_.string());
  ASSERT_TRUE(specs.ok()) << specs.status().ToString();
  ASSERT_EQ(specs->size(), 2u);
  EXPECT_EQ(specs->at(0).name, "opus-mt-de-en");
  EXPECT_EQ(specs->at(1).name, "opus-mt-en-de");
  EXPECT_EQ(ScanModelsDir((root_ / "absent").string()).status().code(), Status::Code::kNotFound);
  MakeModel("strange-name");
  EXPECT_FALSE(ScanModelsDir(root_.string()).ok()) << "a folder whose pair is unknown is an error";
}

}  // namespace
}  // namespace dolmetsch::catalog
