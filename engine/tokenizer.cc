// MarianTokenizer: a line-by-line port of transformers 4.36.2 MarianTokenizer (+ the PreTrainedTokenizer
// code paths it uses) on top of libsentencepiece. docs/marian-conventions.md ("Tokenizer") lists the rules.
#include "engine/tokenizer.h"

#include <sentencepiece_processor.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <system_error>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace dolmetsch::engine {
namespace {

// The special tokens of every OPUS-MT tokenizer (MarianTokenizer.__init__ defaults).
constexpr std::string_view kEos = "</s>";
constexpr std::string_view kUnk = "<unk>";
constexpr std::string_view kPad = "<pad>";
constexpr std::array<std::string_view, 3> kSpecialTokens = {kEos, kUnk, kPad};
constexpr std::string_view kSpieceUnderline = "\xE2\x96\x81";  // U+2581 '▁'
// Ids above this are rejected: the id -> piece table is a dense vector.
constexpr int64_t kMaxVocabId = (int64_t{1} << 24) - 1;

bool IsSpecialToken(std::string_view token) {
  for (std::string_view special : kSpecialTokens) {
    if (token == special) return true;
  }
  return false;
}

StatusOr<std::string> ReadWholeFile(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return Status::NotFound(path.string() + ": file not found");
  if (std::filesystem::is_directory(path, ec)) {
    return Status::InvalidArgument(path.string() + ": is a directory, expected a file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IoError(path.string() + ": cannot open for reading");
  std::ostringstream contents;
  contents << in.rdbuf();
  if (in.bad()) return Status::IoError(path.string() + ": read error");
  return contents.str();
}

// One vocabulary file (vocab.json / target_vocab.json): {"piece": id, ...}.
struct Vocabulary {
  std::unordered_map<std::string, int> piece_to_id;
  // Python's {v: k for k, v in encoder.items()}: for an id used twice the later entry wins.
  std::vector<std::string> id_to_piece;
  std::vector<bool> has_id;

  int id_space_size() const { return static_cast<int>(id_to_piece.size()); }
  const std::string* Piece(int id) const {
    if (id < 0 || id >= id_space_size() || !has_id[id]) return nullptr;
    return &id_to_piece[id];
  }
};

// Collects the members of a flat JSON object {"piece": id, ...} in file order (SAX: a DOM of an ordered
// object would look every key up linearly, quadratic in a 58k-entry vocabulary).
class VocabularySax : public nlohmann::json_sax<nlohmann::json> {
 public:
  std::vector<std::pair<std::string, nlohmann::json>> members;
  std::string error;  // set when the file is not a flat object

  bool key(string_t& k) override {
    members.emplace_back(k, nullptr);
    return true;
  }
  bool null() override { return Value(nullptr); }
  bool boolean(bool v) override { return Value(v); }
  bool number_integer(number_integer_t v) override { return Value(v); }
  bool number_unsigned(number_unsigned_t v) override { return Value(v); }
  bool number_float(number_float_t v, const string_t&) override { return Value(v); }
  bool string(string_t& v) override { return Value(v); }
  bool binary(binary_t&) override { return Value("binary"); }
  bool start_object(std::size_t) override {
    if (depth_++ == 0) return true;
    return Nested();
  }
  bool end_object() override {
    --depth_;
    return true;
  }
  bool start_array(std::size_t) override {
    if (depth_ == 0) return Fail("expected a JSON object {\"piece\": id, ...}");
    return Nested();
  }
  bool end_array() override { return true; }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) override {
    return Fail(std::string("not valid JSON (") + e.what() + ")");
  }

 private:
  bool Value(nlohmann::json v) {
    if (depth_ == 0) return Fail("expected a JSON object {\"piece\": id, ...}");
    members.back().second = std::move(v);
    return true;
  }
  bool Nested() {
    if (members.empty()) return Fail("expected a JSON object {\"piece\": id, ...}");
    return Fail("the id of \"" + members.back().first + "\" is not an integer");
  }
  bool Fail(std::string message) {
    if (error.empty()) error = std::move(message);
    return false;
  }
  int depth_ = 0;
};

// The text of a vocabulary file; `name` (the file) is for errors. With require_specials (vocab.json), the
// special tokens must have entries.
StatusOr<Vocabulary> ParseVocabulary(const std::string& text, const std::string& name,
                                     bool require_specials) {
  VocabularySax sax;
  const bool parsed =
      nlohmann::json::sax_parse(text, &sax, nlohmann::json::input_format_t::json, /*strict=*/true);
  if (!parsed || !sax.error.empty()) {
    return Status::Corruption(name + ": " + (sax.error.empty() ? "not valid JSON" : sax.error));
  }
  Vocabulary vocab;
  vocab.piece_to_id.reserve(sax.members.size());
  int64_t max_id = -1;
  // Python's json.load: a duplicated key keeps its first position with the last value.
  for (const auto& [piece, value] : sax.members) {
    if (!value.is_number_integer()) {
      return Status::Corruption(name + ": the id of \"" + piece + "\" is not an integer");
    }
    int64_t id = value.is_number_unsigned() ? static_cast<int64_t>(std::min<uint64_t>(
                                                  value.get<uint64_t>(), static_cast<uint64_t>(INT64_MAX)))
                                            : value.get<int64_t>();
    if (id < 0 || id > kMaxVocabId) {
      return Status::Corruption(name + ": the id of \"" + piece + "\" (" + std::to_string(id) +
                                ") is outside 0.." + std::to_string(kMaxVocabId));
    }
    vocab.piece_to_id[piece] = static_cast<int>(id);
    max_id = std::max(max_id, id);
  }
  // A model's vocabulary is a bijection between pieces and 0..N-1: an id used twice or left out means a
  // corrupt (or hostile) file, whose translations would be wrong without any error.
  if (require_specials) {
    for (std::string_view special : kSpecialTokens) {
      if (!vocab.piece_to_id.count(std::string(special))) {
        return Status::Corruption(name + ": has no entry for the special token \"" + std::string(special) +
                                  "\"");
      }
    }
  }
  const int64_t entries = static_cast<int64_t>(vocab.piece_to_id.size());
  if (max_id + 1 > entries) {  // checked first: the table below is then no larger than the file's entries
    return Status::Corruption(name + ": the largest id is " + std::to_string(max_id) + " but there are " +
                              std::to_string(entries) + " entries; the ids must be 0.." +
                              std::to_string(entries - 1) + ", each used once");
  }
  std::vector<const std::string*> owner(max_id + 1, nullptr);
  for (const auto& [piece, id] : vocab.piece_to_id) {
    if (owner[id] != nullptr) {
      return Status::Corruption(name + ": id " + std::to_string(id) + " is used by both \"" + *owner[id] +
                                "\" and \"" + piece + "\"; the ids must be 0.." + std::to_string(max_id) +
                                ", each used once");
    }
    owner[id] = &piece;
  }
  vocab.id_to_piece.resize(max_id + 1);
  vocab.has_id.resize(max_id + 1, false);
  // Rebuild id -> piece in dict order (first occurrences) so that "later entry wins" holds for ids used
  // twice.
  std::unordered_set<std::string_view> seen;
  seen.reserve(sax.members.size());
  for (const auto& [piece, value] : sax.members) {
    if (!seen.insert(piece).second) continue;
    int id = vocab.piece_to_id[piece];
    vocab.id_to_piece[id] = piece;
    vocab.has_id[id] = true;
  }
  return vocab;
}

StatusOr<Vocabulary> LoadVocabulary(const std::filesystem::path& path, bool require_specials) {
  DOLMETSCH_ASSIGN_OR_RETURN(std::string text, ReadWholeFile(path));
  return ParseVocabulary(text, path.string(), require_specials);
}

StatusOr<std::unique_ptr<sentencepiece::SentencePieceProcessor>> LoadSentencePiece(
    const std::filesystem::path& path) {
  DOLMETSCH_ASSIGN_OR_RETURN(std::string serialized, ReadWholeFile(path));
  auto processor = std::make_unique<sentencepiece::SentencePieceProcessor>();
  sentencepiece::util::Status status = processor->LoadFromSerializedProto(serialized);
  if (!status.ok()) {
    return Status::Corruption(path.string() + ": not a valid sentencepiece model (" + status.ToString() +
                              ")");
  }
  return processor;
}

// tokenizer_config.json is optional; we only need "separate_vocabs".
StatusOr<bool> ReadSeparateVocabs(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return false;
  DOLMETSCH_ASSIGN_OR_RETURN(std::string text, ReadWholeFile(path));
  nlohmann::json json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return Status::Corruption(path.string() + ": not valid JSON");
  if (!json.is_object()) return Status::Corruption(path.string() + ": expected a JSON object");
  auto it = json.find("separate_vocabs");
  if (it == json.end() || it->is_null()) return false;
  if (!it->is_boolean()) {
    return Status::InvalidArgument(path.string() + ": \"separate_vocabs\" must be true or false");
  }
  return it->get<bool>();
}

// special_tokens_map.json is optional; it must not rename the special tokens (we hard-code the OPUS-MT ones).
Status CheckSpecialTokensMap(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return Status::Ok();
  DOLMETSCH_ASSIGN_OR_RETURN(std::string text, ReadWholeFile(path));
  nlohmann::json json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return Status::Corruption(path.string() + ": not valid JSON");
  if (!json.is_object()) return Status::Corruption(path.string() + ": expected a JSON object");
  const std::pair<const char*, std::string_view> expected[] = {
      {"eos_token", kEos}, {"unk_token", kUnk}, {"pad_token", kPad}};
  for (const auto& [key, token] : expected) {
    auto it = json.find(key);
    if (it == json.end()) continue;
    const nlohmann::json* content = &*it;
    if (it->is_object() && it->contains("content")) content = &(*it)["content"];
    if (!content->is_string() || content->get<std::string>() != token) {
      return Status::Unsupported(path.string() + ": \"" + key + "\" must be \"" + std::string(token) +
                                 "\" (other special tokens are not supported)");
    }
  }
  return Status::Ok();
}

// Python str.isspace() for one code point.
bool IsPythonSpace(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
         c == 0x3000;
}

// Decodes the UTF-8 code point starting at `pos` (returns its length; invalid bytes count as one
// non-space unit so they are never stripped).
size_t DecodeUtf8At(std::string_view s, size_t pos, char32_t* out) {
  const auto b0 = static_cast<unsigned char>(s[pos]);
  size_t len = b0 < 0x80 ? 1 : (b0 >> 5) == 0x6 ? 2 : (b0 >> 4) == 0xE ? 3 : (b0 >> 3) == 0x1E ? 4 : 0;
  if (len == 0 || pos + len > s.size()) {
    *out = 0xFFFD;
    return 1;
  }
  char32_t c = len == 1 ? b0 : len == 2 ? (b0 & 0x1F) : len == 3 ? (b0 & 0x0F) : (b0 & 0x07);
  for (size_t i = 1; i < len; ++i) {
    const auto b = static_cast<unsigned char>(s[pos + i]);
    if ((b & 0xC0) != 0x80) {
      *out = 0xFFFD;
      return 1;
    }
    c = (c << 6) | (b & 0x3F);
  }
  *out = c;
  return len;
}

// Python str.strip() (no arguments).
std::string_view PythonStrip(std::string_view s) {
  size_t begin = 0;
  while (begin < s.size()) {
    char32_t c;
    size_t len = DecodeUtf8At(s, begin, &c);
    if (!IsPythonSpace(c)) break;
    begin += len;
  }
  size_t end = s.size();
  while (end > begin) {
    // Step back to the start of the last code point.
    size_t start = end - 1;
    while (start > begin && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80 && end - start < 4) --start;
    char32_t c;
    size_t len = DecodeUtf8At(s, start, &c);
    if (start + len != end) {  // not a well-formed code point ending at `end`
      break;
    }
    if (!IsPythonSpace(c)) break;
    end = start;
  }
  return s.substr(begin, end - begin);
}

void ReplaceAll(std::string& s, std::string_view from, std::string_view to) {
  if (from.empty() || s.find(from) == std::string::npos) return;
  std::string out;
  out.reserve(s.size());
  size_t pos = 0;
  while (true) {
    size_t hit = s.find(from, pos);
    if (hit == std::string::npos) break;
    out.append(s, pos, hit - pos);
    out.append(to);
    pos = hit + from.size();
  }
  out.append(s, pos, std::string::npos);
  s = std::move(out);
}

// PreTrainedTokenizerBase.clean_up_tokenization: the replacements in this exact order.
void CleanUpTokenization(std::string& s) {
  static constexpr std::pair<std::string_view, std::string_view> kReplacements[] = {
      {" .", "."},     {" ?", "?"},   {" !", "!"},   {" ,", ","},     {" ' ", "'"},
      {" n't", "n't"}, {" 'm", "'m"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"},
  };
  for (const auto& [from, to] : kReplacements) ReplaceAll(s, from, to);
}

// MarianTokenizer.remove_language_code: Python re.compile(">>.+<<") where '.' is any code point but
// '\n' and ".+" is greedy, so a match starting at ">>" ends after the LAST "<<" of the same line that leaves
// at least one character between. `.match` keeps a match at position 0 (returned in `code`); `.sub("")`
// deletes every match, left to right. Linear: one pass per line.
std::string RemoveLanguageCodes(std::string_view text, std::string* code) {
  code->clear();
  if (text.find(">>") == std::string_view::npos) return std::string(text);
  std::string rest;
  rest.reserve(text.size());
  size_t line_start = 0;
  while (line_start < text.size()) {
    size_t line_end = text.find('\n', line_start);
    if (line_end == std::string_view::npos) line_end = text.size();
    const std::string_view line = text.substr(line_start, line_end - line_start);
    const size_t last_close = line.rfind("<<");
    size_t pos = 0;
    while (pos < line.size()) {
      if (last_close != std::string_view::npos && last_close >= pos + 3 && line.compare(pos, 2, ">>") == 0) {
        if (line_start == 0 && pos == 0) code->assign(line.substr(0, last_close + 2));
        rest.append(line.substr(last_close + 2));  // no "<<" after the last one: no further match
        break;
      }
      rest.push_back(line[pos]);
      ++pos;
    }
    if (line_end < text.size()) rest.push_back('\n');
    line_start = line_end + 1;
  }
  return rest;
}

class MarianTokenizerImpl final : public MarianTokenizer {
 public:
  MarianTokenizerImpl(std::unique_ptr<sentencepiece::SentencePieceProcessor> source_spm,
                      std::unique_ptr<sentencepiece::SentencePieceProcessor> target_spm,
                      Vocabulary source_vocab, std::optional<Vocabulary> target_vocab)
      : source_spm_(std::move(source_spm)),
        target_spm_(std::move(target_spm)),
        source_vocab_(std::move(source_vocab)),
        target_vocab_(std::move(target_vocab)) {
    eos_id_ = source_vocab_.piece_to_id.at(std::string(kEos));
    unk_id_ = source_vocab_.piece_to_id.at(std::string(kUnk));
    pad_id_ = source_vocab_.piece_to_id.at(std::string(kPad));
  }

  std::vector<std::string> Tokenize(std::string_view text) const override {
    std::vector<std::string> pieces;
    // PreTrainedTokenizer.tokenize: split on the special-token literals (none is a prefix of another
    // and none can start inside another, so the leftmost match is what the trie finds); empty chunks vanish.
    // next_hit[k]: next occurrence of special token k at or after the scan position (cached: linear time).
    std::array<size_t, kSpecialTokens.size()> next_hit;
    for (size_t k = 0; k < kSpecialTokens.size(); ++k) next_hit[k] = text.find(kSpecialTokens[k]);
    size_t pos = 0;
    while (pos < text.size()) {
      size_t hit = std::string_view::npos;
      std::string_view hit_token;
      for (size_t k = 0; k < kSpecialTokens.size(); ++k) {
        if (next_hit[k] != std::string_view::npos && next_hit[k] < pos) {
          next_hit[k] = text.find(kSpecialTokens[k], pos);
        }
        if (next_hit[k] < hit) {
          hit = next_hit[k];
          hit_token = kSpecialTokens[k];
        }
      }
      size_t chunk_end = hit == std::string_view::npos ? text.size() : hit;
      if (chunk_end > pos) TokenizeChunk(text.substr(pos, chunk_end - pos), pieces);
      if (hit == std::string_view::npos) break;
      pieces.emplace_back(hit_token);
      pos = hit + hit_token.size();
    }
    return pieces;
  }

  std::vector<int> Encode(std::string_view text) const override {
    std::vector<std::string> pieces = Tokenize(text);
    std::vector<int> ids;
    ids.reserve(pieces.size() + 1);
    for (const std::string& piece : pieces) {
      // The special tokens are also vocab.json entries, so one lookup covers the added-token table.
      auto it = source_vocab_.piece_to_id.find(piece);
      ids.push_back(it == source_vocab_.piece_to_id.end() ? unk_id_ : it->second);
    }
    ids.push_back(eos_id_);  // build_inputs_with_special_tokens: ids + [eos]
    return ids;
  }

  std::string Decode(const std::vector<int>& target_ids, bool skip_special_tokens,
                     bool clean_up_tokenization_spaces) const override {
    // convert_ids_to_tokens; specials are skipped by id (so an out-of-range id's "<unk>" is kept).
    std::vector<std::string_view> tokens;
    tokens.reserve(target_ids.size());
    for (int id : target_ids) {
      if (skip_special_tokens && IsSpecialId(id)) continue;
      tokens.push_back(TargetPieceView(id));
    }
    // MarianTokenizer.convert_tokens_to_string: specials literally + " ", the rest through target.spm.
    std::string text;
    std::vector<std::string_view> run;
    for (std::string_view token : tokens) {
      if (IsSpecialToken(token)) {
        text += DecodeRun(run);
        text += token;
        text += ' ';
        run.clear();
      } else {
        run.push_back(token);
      }
    }
    text += DecodeRun(run);
    ReplaceAll(text, kSpieceUnderline, " ");
    std::string result(PythonStrip(text));
    // _decode joins its single sub-text with " " (no legacy added tokens here): nothing to add.
    if (clean_up_tokenization_spaces) CleanUpTokenization(result);
    return result;
  }

  std::string TargetPiece(int id) const override { return std::string(TargetPieceView(id)); }

  int eos_id() const override { return eos_id_; }
  int unk_id() const override { return unk_id_; }
  int pad_id() const override { return pad_id_; }
  int source_vocab_size() const override { return source_vocab_.id_space_size(); }
  int target_vocab_size() const override { return target_vocabulary().id_space_size(); }

 private:
  const Vocabulary& target_vocabulary() const { return target_vocab_ ? *target_vocab_ : source_vocab_; }

  bool IsSpecialId(int id) const { return id == eos_id_ || id == unk_id_ || id == pad_id_; }

  // convert_ids_to_tokens for one id: the added-token table (ids from vocab.json) first, then the
  // target vocabulary, "<unk>" for an unknown id.
  std::string_view TargetPieceView(int id) const {
    if (id == eos_id_) return kEos;
    if (id == unk_id_) return kUnk;
    if (id == pad_id_) return kPad;
    const std::string* piece = target_vocabulary().Piece(id);
    return piece ? std::string_view(*piece) : kUnk;
  }

  std::string DecodeRun(const std::vector<std::string_view>& run) const {
    if (run.empty()) return std::string();
    std::string out;
    // sentencepiece 0.1.97 Decode: drops the dummy-prefix "▁" (all leading ones: remove_extra_whitespaces),
    // "▁" -> " ", control pieces vanish, pieces unknown to target.spm are copied literally.
    target_spm_->Decode(run, &out).IgnoreError();
    return out;
  }

  // MarianTokenizer._tokenize for one chunk between special tokens.
  void TokenizeChunk(std::string_view chunk, std::vector<std::string>& pieces) const {
    std::string code;
    const std::string rest = RemoveLanguageCodes(chunk, &code);
    if (!code.empty()) pieces.push_back(std::move(code));
    std::vector<std::string> spm_pieces;
    // Encode(..., out_type=str): piece strings; unknown runs come back as their (normalised) surface.
    if (source_spm_->Encode(rest, &spm_pieces).ok()) {
      for (std::string& piece : spm_pieces) pieces.push_back(std::move(piece));
    }
  }

  std::unique_ptr<sentencepiece::SentencePieceProcessor> source_spm_;
  std::unique_ptr<sentencepiece::SentencePieceProcessor> target_spm_;
  Vocabulary source_vocab_;
  std::optional<Vocabulary> target_vocab_;
  int eos_id_ = 0;
  int unk_id_ = 1;
  int pad_id_ = 0;
};

}  // namespace

StatusOr<int> MarianTokenizer::CheckVocabularyJson(const std::string& text, const std::string& name) {
  DOLMETSCH_ASSIGN_OR_RETURN(Vocabulary vocab, ParseVocabulary(text, name, /*require_specials=*/true));
  return vocab.id_space_size();
}

StatusOr<std::unique_ptr<MarianTokenizer>> MarianTokenizer::Load(const std::string& model_dir) {
  const std::filesystem::path dir(model_dir);
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    return Status::NotFound(model_dir + ": model folder not found (or not a folder)");
  }
  DOLMETSCH_ASSIGN_OR_RETURN(bool separate_vocabs, ReadSeparateVocabs(dir / "tokenizer_config.json"));
  DOLMETSCH_RETURN_IF_ERROR(CheckSpecialTokensMap(dir / "special_tokens_map.json"));
  DOLMETSCH_ASSIGN_OR_RETURN(auto source_spm, LoadSentencePiece(dir / "source.spm"));
  DOLMETSCH_ASSIGN_OR_RETURN(auto target_spm, LoadSentencePiece(dir / "target.spm"));
  DOLMETSCH_ASSIGN_OR_RETURN(Vocabulary source_vocab,
                             LoadVocabulary(dir / "vocab.json", /*require_specials=*/true));
  std::optional<Vocabulary> target_vocab;
  if (separate_vocabs) {
    DOLMETSCH_ASSIGN_OR_RETURN(Vocabulary vocab,
                               LoadVocabulary(dir / "target_vocab.json", /*require_specials=*/false));
    target_vocab = std::move(vocab);
  }
  return std::unique_ptr<MarianTokenizer>(new MarianTokenizerImpl(
      std::move(source_spm), std::move(target_spm), std::move(source_vocab), std::move(target_vocab)));
}

}  // namespace dolmetsch::engine
