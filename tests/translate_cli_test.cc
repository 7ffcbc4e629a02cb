// `dolmetsch translate` as a user runs it: stdin to stdout, line mode and JSON lines, bad input, bad options.
#include <gtest/gtest.h>
#include <sys/wait.h>

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

// Runs the binary with `args`, feeding `input` on stdin.
RunResult Dolmetsch(const std::string& args, const std::string& input) {
  const fs::path dir = fs::temp_directory_path() / ("dolmetsch-cli-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "in", std::ios::binary) << input;
  const std::string cmd = std::string(DOLMETSCH_BINARY) + " " + args + " < " + (dir / "in").string() + " > " +
                          (dir / "out").string() + " 2> " + (dir / "err").string();
  const int status = std::system(cmd.c_str());
  RunResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = ReadAll(dir / "out");
  r.err = ReadAll(dir / "err");
  fs::remove_all(dir);
  return r;
}

std::vector<std::string> Lines(const std::string& s) {
  std::vector<std::string> lines;
  std::istringstream in(s);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

const std::string kModel = "--model " + std::string(DOLMETSCH_SOURCE_DIR) + "/tests/fixtures/tiny-de-en";

nlohmann::json GoldenCase(int id) {
  std::ifstream in(std::string(DOLMETSCH_SOURCE_DIR) + "/tests/fixtures/tiny-de-en/golden.json");
  return nlohmann::json::parse(in)["cases"][id];
}

TEST(TranslateCliTest, OneOutputLinePerInputLineWithGoldenTexts) {
  const auto frog = GoldenCase(0), morning = GoldenCase(1);
  RunResult r = Dolmetsch("translate " + kModel, frog["text"].get<std::string>() + "\n\n" +
                                                     morning["text"].get<std::string>() + "\r\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], frog["beam"]["text"].get<std::string>());
  EXPECT_EQ(lines[1], "");  // an empty line stays empty
  EXPECT_EQ(lines[2], morning["beam"]["text"].get<std::string>());

  RunResult greedy =
      Dolmetsch("translate --beam-size 1 --batch-size 1 " + kModel, frog["text"].get<std::string>());
  ASSERT_EQ(greedy.exit_code, 0);
  EXPECT_EQ(Lines(greedy.out), std::vector<std::string>{frog["greedy"]["text"].get<std::string>()});
}

TEST(TranslateCliTest, JsonLinesCarryIdsScoresAndNBest) {
  const auto c = GoldenCase(7);
  nlohmann::json in = {{"text", c["text"]}};
  RunResult r = Dolmetsch("translate --jsonl --n-best 2 " + kModel, in.dump() + "\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto out = nlohmann::json::parse(Lines(r.out).at(0));
  EXPECT_EQ(out["translation"], c["beam"]["text"]);
  EXPECT_EQ(out["source_ids"], c["input_ids"]);
  EXPECT_EQ(out["target_ids"], c["beam"]["generated_ids"]);
  EXPECT_NEAR(out["score"].get<double>(), c["beam"]["sequence_score"].get<double>(), 1e-4);
  ASSERT_EQ(out["hypotheses"].size(), 2u);
  EXPECT_EQ(out["hypotheses"][1]["target_ids"], c["beam_nrs2"]["generated_ids"][1]);
}

TEST(TranslateCliTest, MalformedLinesGetAnErrorLineInPlaceAndExitStatusOne) {
  RunResult r = Dolmetsch(
      "translate --jsonl " + kModel,
      "{\"text\": \"Hallo Welt\"}\nnot json\n{\"txt\": 1}\n{\"text\": 5}\n\xff\n{\"text\": \"Haus\"}\n");
  EXPECT_EQ(r.exit_code, 1);
  auto lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 6u);
  EXPECT_TRUE(nlohmann::json::parse(lines[0]).contains("translation"));
  for (int i = 1; i <= 4; ++i) EXPECT_TRUE(nlohmann::json::parse(lines[i]).contains("error")) << lines[i];
  EXPECT_TRUE(nlohmann::json::parse(lines[5]).contains("translation"));
  EXPECT_NE(r.err.find("line 2"), std::string::npos);
  EXPECT_NE(r.err.find("invalid UTF-8"), std::string::npos);

  RunResult plain = Dolmetsch("translate " + kModel, "Haus\n\xc3\x28\nHaus\n");
  EXPECT_EQ(plain.exit_code, 1);
  EXPECT_EQ(Lines(plain.out).size(), 3u);
}

TEST(TranslateCliTest, MissingModelAndBadOptionsAreExplained) {
  RunResult missing = Dolmetsch("translate --model /no/such/model", "Hallo\n");
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("fetch-model"), std::string::npos);
  EXPECT_NE(missing.err.find("--model DIR"), std::string::npos);
  RunResult beam = Dolmetsch("translate --beam-size 0 " + kModel, "Hallo\n");
  EXPECT_NE(beam.exit_code, 0);
  RunResult nbest =
      Dolmetsch("translate --jsonl --beam-size 2 --n-best 3 " + kModel, "{\"text\": \"Hallo\"}\n");
  EXPECT_EQ(nbest.exit_code, 1);
  EXPECT_NE(nbest.out.find("hypotheses must be between 1 and the beam size"), std::string::npos);
}

}  // namespace

namespace {

TEST(TranslateCliTest, DocumentModeKeepsParagraphsListsAndLineEnds) {
  const std::string doc =
      "Liebe Anna,\r\n\r\nich bin ein kleiner Frosch. Guten Morgen! Das Haus ist\r\n"
      "sehr schön und der Garten ist groß, wir wohnen gern hier.\r\n\r\n"
      "1. Hallo Welt\r\n2. Guten Morgen!\r\n";
  RunResult r = Dolmetsch("translate --document " + kModel, doc);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // The blank lines and CR LF ends stay where they were, list numbers are copied; the sentence of the
  // hard-wrapped paragraph ("Das Haus ist / sehr schön …", lines filled to a common width) is translated as
  // one and comes out on one line (docs/text.md).
  auto lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 6u) << r.out;
  EXPECT_EQ(lines[1], "\r");
  EXPECT_EQ(lines[3], "\r");
  EXPECT_EQ(lines[4].rfind("1. ", 0), 0u) << lines[4];
  EXPECT_EQ(lines[5].rfind("2. ", 0), 0u) << lines[5];
  for (const auto& line : lines) EXPECT_EQ(line.back(), '\r');
  // A sentence is translated as it is in line mode: "Guten Morgen!" alone on its list line.
  RunResult single = Dolmetsch("translate " + kModel, "Guten Morgen!\n");
  EXPECT_EQ(lines[5], "2. " + Lines(single.out).at(0) + "\r");
}

TEST(TranslateCliTest, MakeRandomModelFindsItsSentencePieceFilesFromAnyDirectory) {
  const fs::path dir = fs::temp_directory_path() / ("dolmetsch-random-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string in_dir = "cd " + dir.string() + " && " + std::string(DOLMETSCH_BINARY);
  int status = std::system((in_dir + " make-random-model --like tiny --out model >out 2>err").c_str());
  EXPECT_EQ(WEXITSTATUS(status), 0) << ReadAll(dir / "err");
  EXPECT_TRUE(fs::is_regular_file(dir / "model" / "source.spm"));
  EXPECT_TRUE(fs::is_regular_file(dir / "model" / "config.json"));
  // A copied binary far from any source tree says which flag to pass.
  fs::copy_file(DOLMETSCH_BINARY, dir / "dolmetsch");
  status = std::system(
      ("cd " + dir.string() + " && ./dolmetsch make-random-model --like tiny --out m2 >out 2>err").c_str());
  EXPECT_EQ(WEXITSTATUS(status), 2);
  EXPECT_NE(ReadAll(dir / "err").find("--spm-from DIR"), std::string::npos) << ReadAll(dir / "err");
  fs::remove_all(dir);
}

TEST(TranslateCliTest, SegmentOtherLanguagesWithIcuRules) {
  RunResult r = Dolmetsch("segment --language en", "Mr. Smith arrived at 5 p.m. on Monday. Did he? Yes!\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Lines(r.out),
            (std::vector<std::string>{"Mr. Smith arrived at 5 p.m. on Monday.", "Did he?", "Yes!"}));
  RunResult fr =
      Dolmetsch("segment --json --language fr", "{\"text\": \"M. Dupont est arrivé. Il pleut.\"}\n");
  ASSERT_EQ(fr.exit_code, 0) << fr.err;
  EXPECT_EQ(nlohmann::json::parse(Lines(fr.out).at(0))["sentences"].size(), 2u) << fr.out;
}

TEST(TranslateCliTest, SegmentPrintsOneSentencePerLine) {
  RunResult r = Dolmetsch("segment", "Das ist z. B. ein Satz. Am 3. Oktober 1990 kam Dr. Meier. Wer?\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Lines(r.out), (std::vector<std::string>{"Das ist z. B. ein Satz.",
                                                    "Am 3. Oktober 1990 kam Dr. Meier.", "Wer?"}));
  RunResult json = Dolmetsch("segment --json", "{\"text\": \"Hallo. Welt.\"}\nkaputt\n");
  EXPECT_EQ(json.exit_code, 1);
  auto lines = Lines(json.out);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(nlohmann::json::parse(lines[0])["sentences"].size(), 2u);
  EXPECT_TRUE(nlohmann::json::parse(lines[1]).contains("error"));
}

}  // namespace
