// `dolmetsch translate --file` with the fixture model: markup kept, text translated, bad files refused.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace {

namespace fs = std::filesystem;

struct RunResult {
  int exit_code = -1;
  std::string out, err;
};

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class TranslateFileCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("dolmetsch-file-cli-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path Write(const std::string& name, const std::string& content) {
    std::ofstream(dir_ / name, std::ios::binary) << content;
    return dir_ / name;
  }

  RunResult Run(const std::string& args) {
    const std::string cmd = std::string(DOLMETSCH_BINARY) + " translate --model " + DOLMETSCH_SOURCE_DIR +
                            "/tests/fixtures/tiny-de-en " + args + " > " + (dir_ / "stdout").string() +
                            " 2> " + (dir_ / "stderr").string();
    const int status = std::system(cmd.c_str());
    RunResult r;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = ReadAll(dir_ / "stdout");
    r.err = ReadAll(dir_ / "stderr");
    return r;
  }

  fs::path dir_;
};

TEST_F(TranslateFileCliTest, HtmlKeepsMarkupAndChangesText) {
  const fs::path in =
      Write("page.html",
            "<!DOCTYPE html>\n<html><body><h1>Guten Morgen</h1>\n<p>Der Frosch sitzt <b>auf dem</b> "
            "Stein.</p><pre>bleibt so</pre></body></html>\n");
  RunResult r = Run("--file " + in.string() + " --out " + (dir_ / "page.en.html").string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string out = ReadAll(dir_ / "page.en.html");
  EXPECT_EQ(out.rfind("<!DOCTYPE html><html><body><h1>", 0), 0u) << out;
  EXPECT_NE(out.find("</h1>\n<p>"), std::string::npos) << out;
  EXPECT_NE(out.find("<b>"), std::string::npos) << out;
  EXPECT_NE(out.find("</b>"), std::string::npos) << out;
  EXPECT_NE(out.find("<pre>bleibt so</pre>"), std::string::npos) << out;
  EXPECT_EQ(out.find("Guten Morgen"), std::string::npos) << out;
  EXPECT_EQ(out.find("Frosch"), std::string::npos) << out;
}

std::string EscapeHtml(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '&') {
      out += "&amp;";
    } else if (c == '<') {
      out += "&lt;";
    } else if (c == '>') {
      out += "&gt;";
    } else {
      out += c;
    }
  }
  return out;
}

// An inline span mid-sentence lands on the target words the engine aligns to its source words. The oracle
// is the sentence translated alone with `--jsonl --alignment` under the same output bound as the file path
// (2 x source tokens + 8): the bold span must cover, from word start to word end, the target tokens aligned
// to the tokens of "Der", and the result is the same on every run. The proportional fallback
// (--no-alignment) puts the span elsewhere on this sentence, so the test fails if the alignment is not used.
TEST_F(TranslateFileCliTest, InlineSpansFollowTheEnginesWordAlignment) {
  const std::string sentence = "Der Frosch sitzt auf dem Stein.";
  const size_t span_begin = 0, span_end = 3;  // "Der"
  const fs::path line = Write("line.jsonl", nlohmann::json{{"text", sentence}}.dump() + "\n");
  RunResult first = Run("--jsonl < " + line.string());
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const size_t source_tokens = nlohmann::json::parse(first.out)["source_ids"].size();
  RunResult aligned = Run("--jsonl --alignment --max-length " + std::to_string(2 * source_tokens + 9) +
                          " < " + line.string());
  ASSERT_EQ(aligned.exit_code, 0) << aligned.err;
  const nlohmann::json j = nlohmann::json::parse(aligned.out);
  const std::string translation = j["translation"];
  size_t b = std::string::npos, e = 0;
  for (const auto& a : j["aligned_bytes"]) {
    const size_t tb = a[0], te = a[1], sb = a[2], se = a[3];
    if (sb < span_end && se > span_begin) {
      b = std::min(b, tb);
      e = std::max(e, te);
    }
  }
  ASSERT_LT(b, e) << "no target token is aligned to \"Der\": " << aligned.out;
  while (b > 0 && translation[b - 1] != ' ') --b;
  while (e < translation.size() && translation[e] != ' ') ++e;
  const std::string expected_html = "<p>" + EscapeHtml(translation.substr(0, b)) + "<b>" +
                                    EscapeHtml(translation.substr(b, e - b)) + "</b>" +
                                    EscapeHtml(translation.substr(e)) + "</p>";

  const fs::path html = Write("span.html", "<p><b>Der</b> Frosch sitzt auf dem Stein.</p>\n");
  RunResult r = Run("--file " + html.string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find(expected_html), std::string::npos) << r.out << "\nexpected " << expected_html;
  RunResult again = Run("--file " + html.string());
  EXPECT_EQ(again.out, r.out);
  RunResult proportional = Run("--file " + html.string() + " --no-alignment");
  ASSERT_EQ(proportional.exit_code, 0) << proportional.err;
  EXPECT_NE(proportional.out, r.out)
      << "the span is where the fallback would put it: no evidence of alignment";

  const fs::path markdown = Write("span.md", "**Der** Frosch sitzt auf dem Stein.\n");
  RunResult md = Run("--file " + markdown.string());
  ASSERT_EQ(md.exit_code, 0) << md.err;
  EXPECT_NE(md.out.find("**" + translation.substr(b, e - b) + "**"), std::string::npos)
      << md.out << "\nexpected the span on " << translation.substr(b, e - b);
}

TEST_F(TranslateFileCliTest, AlignmentFlagNeedsJsonl) {
  RunResult r = Run("--alignment < /dev/null");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--alignment goes with --jsonl"), std::string::npos) << r.err;
}

TEST_F(TranslateFileCliTest, SubRipToStdoutKeepsTimings) {
  const fs::path in =
      Write("film.srt",
            "1\n00:00:01,000 --> 00:00:02,000\nGuten Morgen.\n\n2\n00:00:03,000 --> 00:00:04,000\n"
            "Der Frosch sitzt auf dem Stein.\n");
  RunResult r = Run("--file " + in.string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("1\n00:00:01,000 --> 00:00:02,000\n", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("\n\n2\n00:00:03,000 --> 00:00:04,000\n"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("Frosch"), std::string::npos) << r.out;
}

TEST_F(TranslateFileCliTest, FormatOptionOverridesTheExtension) {
  const fs::path in = Write("notes.txt", "# Guten Morgen\n\nDer *Frosch* sitzt.\n");
  RunResult r = Run("--file " + in.string() + " --format markdown");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("# ", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("\n\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find('*'), std::string::npos) << r.out;
}

TEST_F(TranslateFileCliTest, OfficePackageByContentToOut) {
  // A .docx (the zip_package fuzz seed) under a name without an extension: the content says what it is.
  const fs::path in =
      Write("upload.bin", ReadAll(fs::path(DOLMETSCH_SOURCE_DIR) / "tests/fuzz/zip_package/docx.zip"));
  RunResult r = Run("--file " + in.string() + " --out " + (dir_ / "out.docx").string() + " --progress");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("docx, 4 blocks"), std::string::npos) << r.err;
  const std::string out = ReadAll(dir_ / "out.docx");
  EXPECT_EQ(out.rfind("PK\x03\x04", 0), 0u);
  EXPECT_NE(out, ReadAll(in));
}

TEST_F(TranslateFileCliTest, MalformedAndMissingFilesAreNamed) {
  const fs::path bad = Write("bad.srt", "1\nkeine Zeitangabe\n");
  RunResult r = Run("--file " + bad.string());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("line 2"), std::string::npos) << r.err;
  r = Run("--file " + (dir_ / "missing.html").string());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("cannot read"), std::string::npos) << r.err;
  r = Run("--file " + Write("x.docx", "PK").string());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("not a readable zip package"), std::string::npos) << r.err;
  r = Run("--file " + Write("scan.pdf", "%PDF-1.7").string());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("damaged"), std::string::npos) << r.err;
  r = Run("--file " + (fs::path(DOLMETSCH_SOURCE_DIR) / "tests/fuzz/pdf/encrypted.pdf").string());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("encrypted with a password"), std::string::npos) << r.err;
  r = Run("--file " + Write("table.xlsx", "PK").string());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("not supported"), std::string::npos) << r.err;
}

TEST_F(TranslateFileCliTest, PdfToMarkdownOrTextByTheOutExtension) {
  // A heading, a paragraph hyphenated at a line end, an indented paragraph (tests/fuzz/make_pdf_seeds.cc).
  const fs::path in = Write("upload", ReadAll(fs::path(DOLMETSCH_SOURCE_DIR) / "tests/fuzz/pdf/report.pdf"));
  RunResult r = Run("--file " + in.string() + " --out " + (dir_ / "out.md").string() + " --progress");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("pdf, 3 blocks"), std::string::npos) << r.err;
  const std::string md = ReadAll(dir_ / "out.md");
  EXPECT_EQ(md.rfind("# ", 0), 0u) << md;  // the heading
  EXPECT_NE(md.find("www.example.org"), std::string::npos) << md;
  EXPECT_EQ(md.find("Bericht"), std::string::npos) << md;
  r = Run("--file " + in.string() + " --out " + (dir_ / "out.txt").string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string text = ReadAll(dir_ / "out.txt");
  EXPECT_NE(text.rfind("# ", 0), 0u) << text;
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 5) << text;  // three blocks, blank lines between
}

}  // namespace
