#include "catalog/model_catalog.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

namespace dolmetsch::catalog {
namespace fs = std::filesystem;
namespace {

constexpr const char* kPivot = "en";

bool IsCode(std::string_view s) {
  if (s.empty() || s.size() > 12) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

// A group name of OPUS-MT's multilingual models ("ROMANCE", "mul", "gem"... written in upper case, or
// "mul"): the languages come from the vocabulary's target tokens.
bool IsGroup(std::string_view s) {
  return s == "mul" || (!s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
           return std::isupper(static_cast<unsigned char>(c)) || c == '_';
         }));
}

StatusOr<std::vector<std::string>> ParseCodes(std::string_view list, std::string_view spec) {
  std::vector<std::string> codes;
  std::size_t pos = 0;
  while (pos <= list.size()) {
    std::size_t comma = list.find(',', pos);
    if (comma == std::string_view::npos) comma = list.size();
    const std::string_view code = list.substr(pos, comma - pos);
    if (!IsCode(code)) {
      return Status::InvalidArgument("model '" + std::string(spec) + "': '" + std::string(code) +
                                     "' is not a language code (letters and digits, e.g. de or deu)");
    }
    codes.push_back(IsGroup(code) ? std::string(code) : NormalizeLanguage(code));
    pos = comma + 1;
  }
  return codes;
}

// "opus-mt-de-en" -> ("de", "en"); "opus-mt-de-ROMANCE" -> ("de", "ROMANCE"); nullopt otherwise.
std::optional<std::pair<std::string, std::string>> PairFromFolderName(const std::string& name) {
  const std::string prefix = "opus-mt-";
  if (name.rfind(prefix, 0) != 0) return std::nullopt;
  const std::string rest = name.substr(prefix.size());
  const std::size_t dash = rest.find('-');
  if (dash == std::string::npos || rest.find('-', dash + 1) != std::string::npos) return std::nullopt;
  return std::make_pair(rest.substr(0, dash), rest.substr(dash + 1));
}

std::string BaseName(const std::string& dir) {
  fs::path p(dir);
  if (p.filename().empty()) p = p.parent_path();  // "models/opus-mt-de-en/"
  return p.filename().string();
}

std::vector<std::string> Sorted(std::set<std::string> s) { return {s.begin(), s.end()}; }

}  // namespace

std::string NormalizeLanguage(std::string_view code) {
  static const std::map<std::string, std::string> k639_3 = {
      {"deu", "de"}, {"ger", "de"}, {"eng", "en"}, {"fra", "fr"}, {"fre", "fr"}, {"spa", "es"}, {"ita", "it"},
      {"por", "pt"}, {"nld", "nl"}, {"dut", "nl"}, {"rus", "ru"}, {"pol", "pl"}, {"ces", "cs"}, {"cze", "cs"},
      {"ron", "ro"}, {"rum", "ro"}, {"swe", "sv"}, {"dan", "da"}, {"nob", "nb"}, {"nor", "no"}, {"fin", "fi"},
      {"ell", "el"}, {"gre", "el"}, {"tur", "tr"}, {"ukr", "uk"}, {"hun", "hu"}, {"cat", "ca"}, {"glg", "gl"},
      {"zho", "zh"}, {"chi", "zh"}, {"jpn", "ja"}, {"kor", "ko"}, {"ara", "ar"}, {"heb", "he"}, {"bul", "bg"},
      {"hrv", "hr"}, {"srp", "sr"}, {"slk", "sk"}, {"slv", "sl"}, {"est", "et"}, {"lav", "lv"}, {"lit", "lt"},
      {"oci", "oc"}, {"lat", "la"}, {"vie", "vi"}, {"ind", "id"}, {"hin", "hi"}, {"fas", "fa"},
  };
  std::string lower(code);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const auto it = k639_3.find(lower);
  return it == k639_3.end() ? lower : it->second;
}

StatusOr<ModelSpec> ParseModelSpec(std::string_view spec) {
  ModelSpec out;
  std::string_view pair;
  const std::size_t eq = spec.find('=');
  if (eq == std::string_view::npos) {
    out.dir = std::string(spec);
  } else {
    pair = spec.substr(0, eq);
    out.dir = std::string(spec.substr(eq + 1));
  }
  if (out.dir.empty()) return Status::InvalidArgument("model '" + std::string(spec) + "' names no folder");
  out.name = BaseName(out.dir);
  std::string sources, targets;
  if (pair.empty()) {
    const auto from_name = PairFromFolderName(out.name);
    if (!from_name) {
      return Status::InvalidArgument(
          "cannot tell the language pair of model folder '" + out.dir +
          "' from its name (expected opus-mt-SRC-TGT); name it, e.g. --model de-en=" + out.dir);
    }
    sources = from_name->first;
    targets = from_name->second;
  } else {
    const std::size_t dash = pair.find('-');
    if (dash == std::string_view::npos || pair.find('-', dash + 1) != std::string_view::npos) {
      return Status::InvalidArgument("model '" + std::string(spec) +
                                     "': the pair must be SRC-TGT (e.g. de-en or en-fr,es)");
    }
    sources = std::string(pair.substr(0, dash));
    targets = std::string(pair.substr(dash + 1));
  }
  DOLMETSCH_ASSIGN_OR_RETURN(out.sources, ParseCodes(sources, spec));
  DOLMETSCH_ASSIGN_OR_RETURN(out.targets, ParseCodes(targets, spec));
  return out;
}

Status InspectModel(ModelSpec* spec) {
  std::error_code ec;
  if (!fs::is_regular_file(fs::path(spec->dir) / "config.json", ec)) {
    return Status::NotFound("model folder '" + spec->dir +
                            "' has no config.json (get a model with `dolmetsch fetch-model REPO`)");
  }
  for (const std::string& s : spec->sources) {
    if (IsGroup(s)) {
      return Status::InvalidArgument("model '" + spec->dir + "' reads the language group '" + s +
                                     "': name its sources, e.g. --model fr,es,it-en=" + spec->dir);
    }
  }
  const bool multilingual =
      spec->targets.size() > 1 || std::any_of(spec->targets.begin(), spec->targets.end(), IsGroup);
  if (!multilingual) return Status::Ok();

  // Target tokens: every >>xxx<< key of vocab.json.
  std::ifstream in(fs::path(spec->dir) / "vocab.json", std::ios::binary);
  if (!in) return Status::NotFound("model folder '" + spec->dir + "' has no vocab.json");
  nlohmann::json vocab = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (!vocab.is_object()) return Status::Corruption("'" + spec->dir + "/vocab.json' is not a JSON object");
  std::map<std::string, std::string> tokens;  // normalized code -> token
  for (const auto& item : vocab.items()) {
    const std::string& key = item.key();
    if (key.size() > 4 && key.rfind(">>", 0) == 0 && key.compare(key.size() - 2, 2, "<<") == 0) {
      const std::string code = key.substr(2, key.size() - 4);
      if (IsCode(code)) tokens.emplace(NormalizeLanguage(code), key);
    }
  }
  if (tokens.empty()) {
    return Status::InvalidArgument("model '" + spec->dir +
                                   "' is named for several targets but its vocab.json has no >>xx<< target "
                                   "tokens");
  }
  std::vector<std::string> targets;
  for (const std::string& t : spec->targets) {
    if (IsGroup(t)) {
      for (const auto& [code, token] : tokens) targets.push_back(code);
      continue;
    }
    if (!tokens.count(t)) {
      return Status::InvalidArgument("model '" + spec->dir + "' has no target token >>" + t +
                                     "<< in its vocab.json");
    }
    targets.push_back(t);
  }
  std::sort(targets.begin(), targets.end());
  targets.erase(std::unique(targets.begin(), targets.end()), targets.end());
  spec->targets = targets;
  spec->target_tokens.clear();
  for (const std::string& t : targets) spec->target_tokens[t] = tokens[t];
  return Status::Ok();
}

StatusOr<std::vector<ModelSpec>> ScanModelsDir(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return Status::NotFound("models folder '" + dir + "' does not exist");
  std::vector<std::string> folders;
  fs::directory_iterator it(dir, ec);
  if (ec) return Status::IoError("cannot list '" + dir + "': " + ec.message());
  for (const auto& entry : it) {
    std::error_code entry_ec;  // a folder without config.json is simply not a model
    if (entry.is_directory(entry_ec) && fs::is_regular_file(entry.path() / "config.json", entry_ec)) {
      folders.push_back(entry.path().string());
    }
  }
  std::sort(folders.begin(), folders.end());
  std::vector<ModelSpec> specs;
  for (const std::string& folder : folders) {
    DOLMETSCH_ASSIGN_OR_RETURN(ModelSpec spec, ParseModelSpec(folder));
    specs.push_back(std::move(spec));
  }
  return specs;
}

Status ModelCatalog::Add(ModelSpec spec) {
  for (const std::string& s : spec.sources) {
    for (const std::string& t : spec.targets) {
      if (s == t) continue;
      if (std::optional<Hop> existing = Direct(s, t)) {
        return Status::InvalidArgument("two models serve " + s + "-" + t + ": '" + existing->model->dir +
                                       "' and '" + spec.dir + "'; give only one");
      }
    }
  }
  models_.push_back(std::move(spec));
  return Status::Ok();
}

std::optional<Hop> ModelCatalog::Direct(const std::string& source, const std::string& target) const {
  for (const ModelSpec& m : models_) {
    const bool has_source = std::find(m.sources.begin(), m.sources.end(), source) != m.sources.end();
    const bool has_target = std::find(m.targets.begin(), m.targets.end(), target) != m.targets.end();
    if (!has_source || !has_target) continue;
    Hop hop{&m, source, target, ""};
    if (const auto it = m.target_tokens.find(target); it != m.target_tokens.end())
      hop.target_token = it->second;
    return hop;
  }
  return std::nullopt;
}

std::vector<std::string> ModelCatalog::Sources() const {
  std::set<std::string> out;
  for (const ModelSpec& m : models_) out.insert(m.sources.begin(), m.sources.end());
  return Sorted(out);
}

std::vector<std::string> ModelCatalog::Targets(std::string_view source, bool allow_pivot) const {
  const std::string src(source);
  std::set<std::string> out;
  for (const ModelSpec& m : models_) {
    if (std::find(m.sources.begin(), m.sources.end(), src) == m.sources.end()) continue;
    out.insert(m.targets.begin(), m.targets.end());
  }
  if (allow_pivot && out.count(kPivot) && src != kPivot) {
    for (const std::string& t : Targets(kPivot, false)) out.insert(t);
  }
  out.erase(src);
  return Sorted(out);
}

std::vector<std::string> ModelCatalog::Languages(bool allow_pivot) const {
  std::set<std::string> out;
  for (const std::string& s : Sources()) {
    out.insert(s);
    for (const std::string& t : Targets(s, allow_pivot)) out.insert(t);
  }
  return Sorted(out);
}

StatusOr<std::vector<Hop>> ModelCatalog::Route(std::string_view source, std::string_view target,
                                               bool allow_pivot) const {
  const std::string src = NormalizeLanguage(source), tgt = NormalizeLanguage(target);
  if (src == tgt) return Status::InvalidArgument("source and target are both '" + src + "'");
  if (std::optional<Hop> hop = Direct(src, tgt)) return std::vector<Hop>{*hop};
  if (allow_pivot && src != kPivot && tgt != kPivot) {
    std::optional<Hop> first = Direct(src, kPivot), second = Direct(kPivot, tgt);
    if (first && second) return std::vector<Hop>{*first, *second};
  }
  return Status::NotFound("no model translates " + src + " to " + tgt +
                          (allow_pivot ? " (also not through en)" : "") +
                          "; served pairs: " + DescribePairs());
}

std::string ModelCatalog::DescribePairs() const {
  std::set<std::string> pairs;
  for (const ModelSpec& m : models_) {
    for (const std::string& s : m.sources) {
      for (const std::string& t : m.targets) {
        if (s != t) pairs.insert(s + "-" + t);
      }
    }
  }
  std::string out;
  for (const std::string& p : pairs) out += (out.empty() ? "" : ", ") + p;
  return out.empty() ? "none" : out;
}

}  // namespace dolmetsch::catalog
