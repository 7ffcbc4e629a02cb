// How `translator` and `serve` read the models they serve: specs, DOLMETSCH_MODELS, --models-dir, defaults.
#include "cli/model_set.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>

namespace dolmetsch::cli {
namespace {

namespace fs = std::filesystem;
const std::string kFixture = std::string(DOLMETSCH_SOURCE_DIR) + "/tests/fixtures/tiny-de-en";

using V = std::vector<std::string>;

TEST(SplitModelSpecsTest, CommasAndWhitespaceSeparateButNotInsideAPair) {
  EXPECT_EQ(SplitModelSpecs("de-en=/m/a, /m/opus-mt-en-de  en-fr,es=/m/b"),
            (V{"de-en=/m/a", "/m/opus-mt-en-de", "en-fr,es=/m/b"}));
  EXPECT_EQ(SplitModelSpecs("fr,es,it-en=/m/romance,/m/opus-mt-de-en"),
            (V{"fr,es,it-en=/m/romance", "/m/opus-mt-de-en"}));
  EXPECT_EQ(SplitModelSpecs("models/opus-mt-de-en,models/opus-mt-en-de\n"),
            (V{"models/opus-mt-de-en", "models/opus-mt-en-de"}));
  EXPECT_EQ(SplitModelSpecs("opus-mt-de-en,opus-mt-en-de"), (V{"opus-mt-de-en", "opus-mt-en-de"}));
  EXPECT_EQ(SplitModelSpecs(" ,, "), V{});
}

class ModelSetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    unsetenv("DOLMETSCH_MODELS");
    unsetenv("DOLMETSCH_PIVOT");
    dir_ = ::testing::TempDir() + "model_set_" + std::to_string(::getpid());
    fs::create_directories(dir_ + "/models");
    for (const char* pair : {"de-en", "en-de"}) {
      fs::create_directory_symlink(kFixture, dir_ + "/models/opus-mt-" + pair);
    }
  }
  void TearDown() override {
    unsetenv("DOLMETSCH_MODELS");
    unsetenv("DOLMETSCH_PIVOT");
    fs::remove_all(dir_);
  }
  std::string dir_;
};

TEST_F(ModelSetTest, OneFolderIsPreloadedAndWithoutAPairInItsNameIsGermanToEnglish) {
  ModelFlags flags;
  flags.models = {kFixture};  // "tiny-de-en": not opus-mt-SRC-TGT
  auto set = BuildModelSet(flags, {}, "unused");
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_EQ((*set)->catalog.DescribePairs(), "de-en");
  EXPECT_EQ((*set)->preload.size(), 1u);
  EXPECT_TRUE((*set)->allow_pivot);
}

TEST_F(ModelSetTest, FlagsEnvironmentAndFolderTogether) {
  setenv("DOLMETSCH_MODELS", ("it-en=" + kFixture + ", nl-en=" + kFixture).c_str(), 1);
  setenv("DOLMETSCH_PIVOT", "0", 1);
  ModelFlags flags;
  flags.models_dir = dir_ + "/models";
  flags.max_loaded_models = 1;
  EXPECT_FALSE(NoModelNamed(flags));
  auto set = BuildModelSet(flags, {}, "unused");
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_EQ((*set)->catalog.DescribePairs(), "de-en, en-de, it-en, nl-en");
  EXPECT_TRUE((*set)->preload.empty());  // several: on first use
  EXPECT_FALSE((*set)->allow_pivot);
  flags.preload = true;
  auto preloaded = BuildModelSet(flags, {}, "unused");
  ASSERT_TRUE(preloaded.ok());
  EXPECT_EQ((*preloaded)->preload.size(), 4u);
}

TEST_F(ModelSetTest, ErrorsNameTheFlagAndTheFolder) {
  ModelFlags flags;
  flags.models = {"de-en=" + dir_ + "/nothing-here"};
  auto missing = BuildModelSet(flags, {}, "unused");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find(dir_ + "/nothing-here"), std::string::npos);
  flags.models = {dir_ + "/models/opus-mt-de-en", "de-en=" + kFixture};
  auto twice = BuildModelSet(flags, {}, "unused");
  ASSERT_FALSE(twice.ok());
  EXPECT_NE(twice.status().message().find("two models serve de-en"), std::string::npos);
  flags.models = {kFixture, dir_ + "/models/opus-mt-en-de"};  // with two, a folder must name its pair
  auto unnamed = BuildModelSet(flags, {}, "unused");
  ASSERT_FALSE(unnamed.ok());
  EXPECT_NE(unnamed.status().message().find("--model"), std::string::npos) << unnamed.status().ToString();
  ModelFlags empty_dir;
  fs::create_directories(dir_ + "/empty");
  empty_dir.models_dir = dir_ + "/empty";
  auto none = BuildModelSet(empty_dir, {}, "unused");
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("holds no model folder"), std::string::npos);
}

}  // namespace
}  // namespace dolmetsch::cli
