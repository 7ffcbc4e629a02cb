// Tests MarianTokenizer against what transformers 4.36.2 computed (tests/fixtures/tiny-de-en/golden.json),
// plus separate vocabularies and malformed model folders.
#include "engine/tokenizer.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace dolmetsch::engine {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const std::string kModelDir = std::string(DOLMETSCH_SOURCE_DIR) + "/tests/fixtures/tiny-de-en";

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

void WriteFile(const fs::path& path, const std::string& contents) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << contents;
}

const json& Golden() {
  static const json* golden = new json(json::parse(ReadFile(kModelDir + "/golden.json")));
  return *golden;
}

const MarianTokenizer& Tokenizer() {
  static const MarianTokenizer* tokenizer = [] {
    auto loaded = MarianTokenizer::Load(kModelDir);
    if (!loaded.ok()) {
      ADD_FAILURE() << loaded.status().ToString();
      std::abort();
    }
    return std::move(loaded).value().release();
  }();
  return *tokenizer;
}

// A fresh folder under the system temp dir, removed at the end of the test.
class TempModelDir {
 public:
  TempModelDir() {
    std::string templ = (fs::temp_directory_path() / "dolmetsch_tokenizer_XXXXXX").string();
    path_ = mkdtemp(templ.data());
  }
  ~TempModelDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }
  // Copies the tiny-de-en tokenizer files in.
  void CopyTokenizerFiles() const {
    for (const char* name :
         {"source.spm", "target.spm", "vocab.json", "tokenizer_config.json", "special_tokens_map.json"}) {
      fs::copy_file(fs::path(kModelDir) / name, path_ / name);
    }
  }

 private:
  fs::path path_;
};

TEST(MarianTokenizerTest, SpecialIdsAndSizesMatchTheModelConfig) {
  const json& config = Golden()["config"];
  EXPECT_EQ(Tokenizer().eos_id(), config["eos_token_id"].get<int>());
  EXPECT_EQ(Tokenizer().pad_id(), config["pad_token_id"].get<int>());
  EXPECT_EQ(Tokenizer().unk_id(), Tokenizer().Encode("<unk>")[0]);
  EXPECT_EQ(Tokenizer().source_vocab_size(), config["vocab_size"].get<int>());
  EXPECT_EQ(Tokenizer().target_vocab_size(), Golden()["lm_vocab_size"].get<int>());
}

void ExpectTokenizerRecord(const json& record) {
  const std::string text = record["text"].get<std::string>();
  SCOPED_TRACE("text: " + record["text"].dump());
  EXPECT_EQ(Tokenizer().Tokenize(text), record["pieces"].get<std::vector<std::string>>());
  EXPECT_EQ(Tokenizer().Encode(text), record["input_ids"].get<std::vector<int>>());
}

TEST(MarianTokenizerTest, EncodesEveryGoldenCase) {
  ASSERT_GT(Golden()["cases"].size(), 40u);
  for (const json& record : Golden()["cases"]) ExpectTokenizerRecord(record);
}

TEST(MarianTokenizerTest, EncodesEveryTokenizerOnlyCase) {
  ASSERT_GT(Golden()["tokenizer_only"].size(), 30u);
  for (const json& record : Golden()["tokenizer_only"]) ExpectTokenizerRecord(record);
}

TEST(MarianTokenizerTest, DecodesEveryDecodeCaseInAllThreeVariants) {
  ASSERT_GT(Golden()["decode_cases"].size(), 5u);
  for (const json& record : Golden()["decode_cases"]) {
    const auto ids = record["ids"].get<std::vector<int>>();
    SCOPED_TRACE("ids: " + record["ids"].dump());
    EXPECT_EQ(Tokenizer().Decode(ids, true), record["skip_special_true"].get<std::string>());
    EXPECT_EQ(Tokenizer().Decode(ids, false), record["skip_special_false"].get<std::string>());
    EXPECT_EQ(Tokenizer().Decode(ids, true, false),
              record["skip_special_true_no_cleanup"].get<std::string>());
    const auto tokens = record["tokens"].get<std::vector<std::string>>();
    ASSERT_EQ(tokens.size(), ids.size());
    for (size_t i = 0; i < ids.size(); ++i) EXPECT_EQ(Tokenizer().TargetPiece(ids[i]), tokens[i]);
  }
}

TEST(MarianTokenizerTest, DecodesEveryGeneratedSequence) {
  for (const json& record : Golden()["cases"]) {
    SCOPED_TRACE("text: " + record["text"].dump());
    const auto greedy = record["greedy"]["output_ids"].get<std::vector<int>>();
    EXPECT_EQ(Tokenizer().Decode(greedy), record["greedy"]["text"].get<std::string>());
    EXPECT_EQ(Tokenizer().Decode(greedy, false), record["greedy"]["text_with_special"].get<std::string>());
    EXPECT_EQ(Tokenizer().Decode(record["beam"]["output_ids"].get<std::vector<int>>()),
              record["beam"]["text"].get<std::string>());
    if (record.contains("beam_nrs2")) {
      const json& nrs2 = record["beam_nrs2"];
      for (size_t i = 0; i < nrs2["output_ids"].size(); ++i) {  // right-padded rows
        EXPECT_EQ(Tokenizer().Decode(nrs2["output_ids"][i].get<std::vector<int>>()),
                  nrs2["texts"][i].get<std::string>());
      }
    }
  }
}

TEST(MarianTokenizerTest, DecodesPaddedBatchRows) {
  const json& batch = Golden()["batch"];
  for (size_t i = 0; i < batch["texts"].size(); ++i) {
    EXPECT_EQ(Tokenizer().Decode(batch["greedy_output_ids"][i].get<std::vector<int>>()),
              batch["greedy_texts"][i].get<std::string>());
    EXPECT_EQ(Tokenizer().Decode(batch["beam_output_ids"][i].get<std::vector<int>>()),
              batch["beam_texts"][i].get<std::string>());
  }
}

TEST(MarianTokenizerTest, OutOfRangeIdsDecodeAsLiteralUnkEvenWhenSkippingSpecials) {
  // convert_ids_to_tokens maps an unknown id to the string "<unk>"; skipping works on ids, so it stays,
  // and convert_tokens_to_string appends it literally followed by a space.
  const int too_big = Tokenizer().target_vocab_size();
  EXPECT_EQ(Tokenizer().TargetPiece(too_big), "<unk>");
  EXPECT_EQ(Tokenizer().TargetPiece(-1), "<unk>");
  const std::string d = Tokenizer().TargetPiece(12);  // "d" in the golden decode cases
  ASSERT_EQ(d, "d");
  EXPECT_EQ(Tokenizer().Decode({12, too_big, 12}, true), "d<unk> d");
  EXPECT_EQ(Tokenizer().Decode({-5}, true), "<unk>");
  EXPECT_EQ(Tokenizer().Decode({Tokenizer().unk_id()}, true), "");
  EXPECT_EQ(Tokenizer().Decode({}, true), "");
}

TEST(MarianTokenizerTest, CleanUpReplacementsApplyOnlyWhenAsked) {
  // "▁d" "▁." -> "d ." before clean-up; " ." -> ".".
  const int dot = Tokenizer().Encode(".")[1];  // pieces "▁", "." -> id of "."
  ASSERT_EQ(Tokenizer().TargetPiece(dot), ".");
  const int space = Tokenizer().Encode(".")[0];
  ASSERT_EQ(Tokenizer().TargetPiece(space), "\xE2\x96\x81");
  EXPECT_EQ(Tokenizer().Decode({12, space, dot}, true, false), "d .");
  EXPECT_EQ(Tokenizer().Decode({12, space, dot}, true, true), "d.");
}

TEST(MarianTokenizerTest, LanguageCodeIsGreedyAndOnlyKeptAtChunkStart) {
  const MarianTokenizer& tok = Tokenizer();
  auto concat = [](std::vector<std::string> a, const std::vector<std::string>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
  };
  // Greedy ".+": the match runs to the last "<<" of the line and is deleted as a whole.
  EXPECT_EQ(tok.Tokenize(">>en<< Guten >>fr<< Tag"), concat({">>en<< Guten >>fr<<"}, tok.Tokenize(" Tag")));
  // Not at the start: deleted, not kept.
  EXPECT_EQ(tok.Tokenize("Guten >>en<< Tag"), tok.Tokenize("Guten  Tag"));
  // "." does not match a newline: two separate matches, both deleted, the first one kept.
  EXPECT_EQ(tok.Tokenize(">>en<<\n>>fr<< Tag"), concat({">>en<<"}, tok.Tokenize("\n Tag")));
  // ".+" needs at least one character.
  std::string joined;
  for (const auto& piece : tok.Tokenize(">><<")) {
    EXPECT_NE(piece, ">><<");
    joined += piece;
  }
  EXPECT_EQ(joined, "\xE2\x96\x81>><<");  // plain sentencepiece pieces of the whole text
  EXPECT_EQ(tok.Tokenize(">><<<"), std::vector<std::string>{">><<<"});
  // Each chunk between special tokens is handled on its own.
  EXPECT_EQ(tok.Tokenize("a</s>>>en<<b"),
            concat(concat(tok.Tokenize("a"), {"</s>", ">>en<<"}), tok.Tokenize("b")));
  // The kept code is looked up in vocab.json like any piece (not there -> <unk>).
  EXPECT_EQ(tok.Encode(">>xx<<").front(), tok.unk_id());
}

TEST(MarianTokenizerTest, SpecialTokenLiteralsSplitTheText) {
  const MarianTokenizer& tok = Tokenizer();
  std::vector<std::string> expected = tok.Tokenize("Haus");
  expected.push_back("<pad>");
  expected.push_back("<unk>");
  for (const auto& piece : tok.Tokenize("Haus")) expected.push_back(piece);
  EXPECT_EQ(tok.Tokenize("Haus<pad><unk>Haus"), expected);
  EXPECT_EQ(tok.Encode("<pad></s>"), (std::vector<int>{tok.pad_id(), tok.eos_id(), tok.eos_id()}));
  // Incomplete literals are ordinary text.
  const std::vector<int> ids = tok.Encode("<pad <unk </s pad>");
  ASSERT_GT(ids.size(), 4u);
  for (size_t i = 0; i + 1 < ids.size(); ++i) {
    EXPECT_NE(ids[i], tok.eos_id());
    EXPECT_NE(ids[i], tok.pad_id());
  }
  for (const auto& piece : tok.Tokenize("<pad <unk </s pad>")) {
    EXPECT_NE(piece, "<pad>");
    EXPECT_NE(piece, "<unk>");
    EXPECT_NE(piece, "</s>");
  }
}

TEST(MarianTokenizerTest, ArbitraryBytesAreAccepted) {
  const MarianTokenizer& tok = Tokenizer();
  for (const std::string& text :
       {std::string("\xff\xfe ab\xc3"), std::string("a\0b", 3), std::string(20000, '>'),
        std::string(30000, '<') + "</s" + std::string(30000, '>')}) {
    const std::vector<int> ids = tok.Encode(text);
    EXPECT_EQ(ids.size(), tok.Tokenize(text).size() + 1);
    EXPECT_EQ(ids.back(), tok.eos_id());
    for (int id : ids) {
      EXPECT_GE(id, 0);
      EXPECT_LT(id, tok.source_vocab_size());
    }
  }
  // A long line that is one language code: kept whole, nothing left for sentencepiece.
  std::string code;
  for (int i = 0; i < 20000; ++i) code += ">>x";
  code += "<<";
  EXPECT_EQ(tok.Tokenize(code), std::vector<std::string>{code});
}

TEST(MarianTokenizerTest, ConcurrentUseGivesTheSameResults) {
  const json& cases = Golden()["cases"];
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 5; ++round) {
        for (const json& record : cases) {
          if (Tokenizer().Encode(record["text"].get<std::string>()) !=
              record["input_ids"].get<std::vector<int>>())
            ++mismatches[t];
          if (Tokenizer().Decode(record["greedy"]["output_ids"].get<std::vector<int>>()) !=
              record["greedy"]["text"].get<std::string>())
            ++mismatches[t];
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int m : mismatches) EXPECT_EQ(m, 0);
}

// --- separate vocabularies -------------------------------------------------------------------------

// target_vocab.json = vocab.json with the non-special ids reversed.
json PermutedTargetVocab(const json& vocab, int first, int last) {
  json target = json::object();
  for (const auto& [piece, id_json] : vocab.items()) {
    int id = id_json.get<int>();
    target[piece] = (id >= first && id <= last) ? first + last - id : id;
  }
  return target;
}

TEST(MarianTokenizerSeparateVocabsTest, DecodeUsesTargetVocabAndEncodeUsesVocab) {
  TempModelDir dir;
  dir.CopyTokenizerFiles();
  const json vocab = json::parse(ReadFile(dir.path() / "vocab.json"));
  const int pad = vocab["<pad>"].get<int>();
  const int first = 2, last = pad - 1;  // </s>=0, <unk>=1, <pad>=last stay
  WriteFile(dir.path() / "target_vocab.json", PermutedTargetVocab(vocab, first, last).dump());
  WriteFile(dir.path() / "tokenizer_config.json",
            R"({"target_lang": "en", "source_lang": "de", "separate_vocabs": true})");
  auto loaded = MarianTokenizer::Load(dir.path().string());
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  const MarianTokenizer& tok = **loaded;

  auto permute = [&](const std::vector<int>& ids) {
    std::vector<int> out;
    for (int id : ids) out.push_back(id >= first && id <= last ? first + last - id : id);
    return out;
  };
  for (const json& record : Golden()["decode_cases"]) {
    const auto ids = permute(record["ids"].get<std::vector<int>>());
    SCOPED_TRACE("ids: " + record["ids"].dump());
    EXPECT_EQ(tok.Decode(ids, true), record["skip_special_true"].get<std::string>());
    EXPECT_EQ(tok.Decode(ids, false), record["skip_special_false"].get<std::string>());
    EXPECT_EQ(tok.Decode(ids, true, false), record["skip_special_true_no_cleanup"].get<std::string>());
  }
  for (const json& record : Golden()["cases"]) {
    EXPECT_EQ(tok.Decode(permute(record["greedy"]["output_ids"].get<std::vector<int>>())),
              record["greedy"]["text"].get<std::string>());
    // The source side is untouched.
    EXPECT_EQ(tok.Encode(record["text"].get<std::string>()), record["input_ids"].get<std::vector<int>>());
  }
  EXPECT_EQ(tok.TargetPiece(first), Tokenizer().TargetPiece(last));
}

TEST(MarianTokenizerSeparateVocabsTest, SpecialIdsComeFromVocabJson) {
  TempModelDir dir;
  dir.CopyTokenizerFiles();
  json vocab = json::parse(ReadFile(dir.path() / "vocab.json"));
  const int pad = vocab["<pad>"].get<int>();
  // In target_vocab.json "</s>" and "t" trade places and "<pad>" is gone: the tokenizer must still treat
  // id 0 as </s> and `pad` as <pad> (added-token table = vocab.json), and id 5 is the plain piece "</s>".
  json target = vocab;
  ASSERT_EQ(target["t"].get<int>(), 5);
  target["t"] = 0;
  target["</s>"] = 5;
  target.erase("<pad>");
  target["zzz"] = pad;  // would be <pad>'s id
  WriteFile(dir.path() / "target_vocab.json", target.dump());
  WriteFile(dir.path() / "tokenizer_config.json", R"({"separate_vocabs": true})");
  auto loaded = MarianTokenizer::Load(dir.path().string());
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  const MarianTokenizer& tok = **loaded;
  EXPECT_EQ(tok.eos_id(), 0);
  EXPECT_EQ(tok.pad_id(), pad);
  EXPECT_EQ(tok.TargetPiece(0), "</s>");
  EXPECT_EQ(tok.TargetPiece(pad), "<pad>");
  EXPECT_EQ(tok.TargetPiece(5), "</s>");
  EXPECT_EQ(tok.Decode({pad, 0}, true), "");
  EXPECT_EQ(tok.Decode({pad, 0}, false), "<pad> </s>");
  // Id 5 is not a special id, so it is not skipped, but its string is a special token: appended literally.
  EXPECT_EQ(tok.Decode({12, 5, 12}, true), "d</s> d");
}

TEST(MarianTokenizerSeparateVocabsTest, SeparateVocabsFalseIgnoresTargetVocab) {
  TempModelDir dir;
  dir.CopyTokenizerFiles();
  WriteFile(dir.path() / "target_vocab.json", "this is not read");
  WriteFile(dir.path() / "tokenizer_config.json", R"({"separate_vocabs": false})");
  auto loaded = MarianTokenizer::Load(dir.path().string());
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  const json& record = Golden()["cases"][0];
  EXPECT_EQ((*loaded)->Decode(record["greedy"]["output_ids"].get<std::vector<int>>()),
            record["greedy"]["text"].get<std::string>());
}

// --- malformed model folders -----------------------------------------------------------------------

void ExpectLoadFails(const fs::path& dir, Status::Code code, const std::string& names) {
  auto loaded = MarianTokenizer::Load(dir.string());
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), code) << loaded.status().ToString();
  EXPECT_NE(loaded.status().message().find(names), std::string::npos) << loaded.status().ToString();
}

TEST(MarianTokenizerLoadTest, MissingFolder) {
  ExpectLoadFails("/nonexistent/dolmetsch/model", Status::Code::kNotFound, "/nonexistent/dolmetsch/model");
}

TEST(MarianTokenizerLoadTest, MissingFilesAreNamed) {
  for (const char* name : {"source.spm", "target.spm", "vocab.json"}) {
    SCOPED_TRACE(name);
    TempModelDir dir;
    dir.CopyTokenizerFiles();
    fs::remove(dir.path() / name);
    ExpectLoadFails(dir.path(), Status::Code::kNotFound, name);
  }
}

TEST(MarianTokenizerLoadTest, TokenizerConfigAndSpecialTokensMapAreOptional) {
  TempModelDir dir;
  dir.CopyTokenizerFiles();
  fs::remove(dir.path() / "tokenizer_config.json");
  fs::remove(dir.path() / "special_tokens_map.json");
  auto loaded = MarianTokenizer::Load(dir.path().string());
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ((*loaded)->Encode("Haus"), Tokenizer().Encode("Haus"));
}

TEST(MarianTokenizerLoadTest, TruncatedOrGarbageSentencePieceModel) {
  const std::string spm = ReadFile(fs::path(kModelDir) / "source.spm");
  const std::vector<std::string> broken = {spm.substr(0, spm.size() / 2), spm.substr(0, 7), "",
                                           std::string(1000, '\xff'), "not a model at all"};
  for (const char* name : {"source.spm", "target.spm"}) {
    for (const std::string& contents : broken) {
      SCOPED_TRACE(std::string(name) + " of " + std::to_string(contents.size()) + " bytes");
      TempModelDir dir;
      dir.CopyTokenizerFiles();
      WriteFile(dir.path() / name, contents);
      ExpectLoadFails(dir.path(), Status::Code::kCorruption, name);
    }
  }
}

TEST(MarianTokenizerLoadTest, CorruptVocabJson) {
  const std::string vocab = ReadFile(fs::path(kModelDir) / "vocab.json");
  json without_pad = json::parse(vocab);
  without_pad.erase("<pad>");
  json without_eos = json::parse(vocab);
  without_eos.erase("</s>");
  json without_unk = json::parse(vocab);
  without_unk.erase("<unk>");
  json string_id = json::parse(vocab);
  string_id["a"] = "36";
  json negative_id = json::parse(vocab);
  negative_id["a"] = -3;
  json huge_id = json::parse(vocab);
  huge_id["a"] = 1LL << 40;
  json float_id = json::parse(vocab);
  float_id["a"] = 1.5;
  // Not a bijection onto 0..N-1: every piece mapped to 0, one id used twice, an id left out.
  json all_zero = json::parse(vocab);
  for (auto& [piece, id] : all_zero.items()) id = 0;
  json twice = json::parse(vocab);
  twice["a"] = twice["b"].get<int>();
  json gap = json::parse(vocab);
  gap["a"] = gap.size() + 5;
  const std::vector<std::pair<std::string, std::string>> broken = {
      {vocab.substr(0, vocab.size() / 2), "not valid JSON"},
      {"", "not valid JSON"},
      {"[1, 2, 3]", "JSON object"},
      {without_pad.dump(), "<pad>"},
      {without_eos.dump(), "</s>"},
      {without_unk.dump(), "<unk>"},
      {string_id.dump(), "\"a\""},
      {negative_id.dump(), "\"a\""},
      {huge_id.dump(), "\"a\""},
      {float_id.dump(), "\"a\""},
      {all_zero.dump(), "the ids must be 0..0, each used once"},
      {twice.dump(), "is used by both"},
      {gap.dump(), "each used once"},
  };
  for (const auto& [contents, what] : broken) {
    SCOPED_TRACE(what + " / " + contents.substr(0, 40));
    TempModelDir dir;
    dir.CopyTokenizerFiles();
    WriteFile(dir.path() / "vocab.json", contents);
    ExpectLoadFails(dir.path(), Status::Code::kCorruption, "vocab.json");
    ExpectLoadFails(dir.path(), Status::Code::kCorruption, what);
  }
}

TEST(MarianTokenizerLoadTest, BadTargetVocabWithSeparateVocabs) {
  TempModelDir dir;
  dir.CopyTokenizerFiles();
  WriteFile(dir.path() / "tokenizer_config.json", R"({"separate_vocabs": true})");
  ExpectLoadFails(dir.path(), Status::Code::kNotFound, "target_vocab.json");
  WriteFile(dir.path() / "target_vocab.json", R"({"a": )");
  ExpectLoadFails(dir.path(), Status::Code::kCorruption, "target_vocab.json");
}

TEST(MarianTokenizerLoadTest, BadTokenizerConfig) {
  TempModelDir dir;
  dir.CopyTokenizerFiles();
  WriteFile(dir.path() / "tokenizer_config.json", "{\"separate_vocabs\": tru");
  ExpectLoadFails(dir.path(), Status::Code::kCorruption, "tokenizer_config.json");
  WriteFile(dir.path() / "tokenizer_config.json", "[]");
  ExpectLoadFails(dir.path(), Status::Code::kCorruption, "tokenizer_config.json");
  WriteFile(dir.path() / "tokenizer_config.json", R"({"separate_vocabs": "yes"})");
  ExpectLoadFails(dir.path(), Status::Code::kInvalidArgument, "separate_vocabs");
}

TEST(MarianTokenizerLoadTest, OtherSpecialTokensAreRejected) {
  TempModelDir dir;
  dir.CopyTokenizerFiles();
  WriteFile(dir.path() / "special_tokens_map.json", R"({"eos_token": "<eos>", "unk_token": "<unk>"})");
  ExpectLoadFails(dir.path(), Status::Code::kUnsupported, "eos_token");
  // The AddedToken form with the usual content is fine.
  WriteFile(dir.path() / "special_tokens_map.json",
            R"({"eos_token": {"content": "</s>", "lstrip": false}, "pad_token": "<pad>"})");
  EXPECT_TRUE(MarianTokenizer::Load(dir.path().string()).ok());
}

}  // namespace
}  // namespace dolmetsch::engine
