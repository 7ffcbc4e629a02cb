#include "text/document_runner.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

namespace dolmetsch::text {
namespace {

const std::string kModel = std::string(DOLMETSCH_SOURCE_DIR) + "/tests/fixtures/tiny-de-en";

DocumentRunOptions TinyOptions() {
  DocumentRunOptions options;
  options.model_dir = kModel;
  options.search.beam_size = 1;
  options.search.forced_new_tokens = 3;
  return options;
}

TEST(DocumentRunnerTest, TranslatesStdinAndKeepsTheGaps) {
  std::istringstream in("Das Haus ist groß.\r\n\r\n  Der Hund bellt. Die Katze schläft.\r\n");
  std::ostringstream out, err;
  DocumentRunOptions options = TinyOptions();
  options.progress = true;
  StatusOr<DocumentStats> stats = RunDocumentTranslation(options, in, out, err);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->segments, 3u);
  const std::string text = out.str();
  // Three translations with the source's gaps between them.
  const std::size_t first_gap = text.find("\r\n\r\n  ");
  ASSERT_NE(first_gap, std::string::npos) << text;
  EXPECT_GT(first_gap, 0u);
  EXPECT_EQ(text.find("\r\n"), first_gap) << "the first translation is one line";
  EXPECT_EQ(text.substr(text.size() - 2), "\r\n");
  EXPECT_EQ(text.find("\r\n", first_gap + 6), text.size() - 2) << "the second paragraph is one line";
  EXPECT_NE(err.str().find("3/3 sentences"), std::string::npos) << err.str();
}

TEST(DocumentRunnerTest, ReadsAFileArgument) {
  const std::string path = ::testing::TempDir() + "/document_runner_input.txt";
  std::ofstream(path) << "Ein Satz.\n";
  std::istringstream in("ignored");
  std::ostringstream out, err;
  DocumentRunOptions options = TinyOptions();
  options.input_path = path;
  StatusOr<DocumentStats> stats = RunDocumentTranslation(options, in, out, err);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->segments, 1u);
  EXPECT_EQ(out.str().back(), '\n');
  std::remove(path.c_str());
}

TEST(DocumentRunnerTest, ReportsMissingInputAndModel) {
  std::istringstream in("x");
  std::ostringstream out, err;
  DocumentRunOptions options = TinyOptions();
  options.input_path = "/nonexistent/input.txt";
  StatusOr<DocumentStats> stats = RunDocumentTranslation(options, in, out, err);
  ASSERT_FALSE(stats.ok());
  EXPECT_EQ(stats.status().code(), Status::Code::kNotFound);
  EXPECT_NE(stats.status().message().find("/nonexistent/input.txt"), std::string::npos);

  options = TinyOptions();
  options.model_dir = "/nonexistent/model";
  stats = RunDocumentTranslation(options, in, out, err);
  ASSERT_FALSE(stats.ok());
  EXPECT_NE(stats.status().message().find("/nonexistent/model"), std::string::npos)
      << stats.status().ToString();

  options.model_dir = "";
  EXPECT_EQ(RunDocumentTranslation(options, in, out, err).status().code(), Status::Code::kInvalidArgument);
  EXPECT_TRUE(out.str().empty());
}

TEST(DocumentRunnerTest, UsesAModelTheCallerLoaded) {
  StatusOr<std::unique_ptr<engine::Translator>> loaded = engine::Translator::Load(kModel);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  std::istringstream in("Ein Satz.\n\n- Noch einer\n");
  std::ostringstream out, err;
  StatusOr<DocumentStats> stats = RunDocumentTranslation(**loaded, TinyOptions(), in, out, err);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->segments, 2u);
  const std::size_t gap = out.str().find("\n\n- ");
  EXPECT_NE(gap, std::string::npos) << out.str();
  EXPECT_GT(gap, 0u);
}

TEST(DocumentRunnerTest, RejectsInvalidPipelineOptions) {
  std::istringstream in("Ein Satz.");
  std::ostringstream out, err;
  DocumentRunOptions options = TinyOptions();
  options.document.max_segment_tokens = 0;
  EXPECT_EQ(RunDocumentTranslation(options, in, out, err).status().code(), Status::Code::kInvalidArgument);
}

}  // namespace
}  // namespace dolmetsch::text
