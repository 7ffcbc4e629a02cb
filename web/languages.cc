#include "web/languages.h"

#include <algorithm>
#include <cmath>
#include <iostream>
#include <nlohmann/json.hpp>

namespace dolmetsch::web {
namespace {

using json = nlohmann::json;
constexpr size_t kMaxLanguageBytes = 35;  // store::kMaxLanguageBytes
constexpr size_t kMaxLanguages = 1000;
constexpr size_t kMaxNameBytes = 100;

const Language* Find(const LanguageList& list, const std::string& code) {
  for (const Language& language : list) {
    if (language.code == code) return &language;
  }
  return nullptr;
}

bool Serves(const Language& source, const std::string& target) {
  for (const std::string& t : source.targets) {
    if (t == target) return true;
  }
  return false;
}

}  // namespace

bool IsLanguageCode(std::string_view code) {
  if (code.empty() || code.size() > kMaxLanguageBytes) return false;
  for (char c : code) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

StatusOr<LanguageList> ParseLanguages(std::string_view body) {
  json parsed = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_array()) return Status::InvalidArgument("the /languages answer is not a JSON array");
  if (parsed.size() > kMaxLanguages) return Status::InvalidArgument("the /languages answer is too long");
  LanguageList list;
  for (const json& item : parsed) {
    if (!item.is_object() || !item.value("code", json()).is_string()) {
      return Status::InvalidArgument("a /languages entry has no string \"code\"");
    }
    Language language;
    language.code = item["code"].get<std::string>();
    if (!IsLanguageCode(language.code)) {
      return Status::InvalidArgument("a /languages entry has an invalid code");
    }
    if (item.value("name", json()).is_string()) language.name = item["name"].get<std::string>();
    if (language.name.empty() || language.name.size() > kMaxNameBytes) language.name = language.code;
    if (item.contains("targets") && item["targets"].is_array()) {
      for (const json& target : item["targets"]) {
        if (!target.is_string() || !IsLanguageCode(target.get<std::string>())) {
          return Status::InvalidArgument("a /languages entry has an invalid target code");
        }
        if (target.get<std::string>() != language.code) language.targets.push_back(target.get<std::string>());
      }
    }
    if (Find(list, language.code) == nullptr) list.push_back(std::move(language));
  }
  return list;
}

std::string LanguageName(const LanguageList* list, const std::string& code) {
  if (code == kAutoSource) return "Detect language";
  if (list != nullptr) {
    if (const Language* language = Find(*list, code)) return language->name;
  }
  if (code == "de") return "German";
  if (code == "en") return "English";
  return code;
}

std::string DescribePairs(const LanguageList& list) {
  std::string out;
  for (const Language& source : list) {
    for (const std::string& target : source.targets) {
      if (!out.empty()) out += ", ";
      out += source.name + " \xE2\x86\x92 " + LanguageName(&list, target);
    }
  }
  return out.empty() ? "none" : out;
}

Status CheckPair(const LanguageList& list, const std::string& source, const std::string& target) {
  auto refuse = [&](const std::string& what) {
    return Status::InvalidArgument(what + " This server translates: " + DescribePairs(list) + ".");
  };
  if (source == target) {
    return refuse("Choose two different languages (both are " + LanguageName(&list, source) + ").");
  }
  if (source == kAutoSource) {
    for (const Language& language : list) {
      if (Serves(language, target)) return Status::Ok();
    }
    return refuse("Nothing is translated into " + LanguageName(&list, target) + " here.");
  }
  const Language* from = Find(list, source);
  if (from != nullptr && Serves(*from, target)) return Status::Ok();
  return refuse(LanguageName(&list, source) + " \xE2\x86\x92 " + LanguageName(&list, target) +
                " is not translated here.");
}

std::pair<std::string, std::string> DefaultPair(const LanguageList* list) {
  if (list == nullptr || CheckPair(*list, "de", "en").ok()) return {"de", "en"};
  for (const Language& language : *list) {
    if (!language.targets.empty()) return {language.code, language.targets.front()};
  }
  return {"de", "en"};
}

std::string DetectedLabel(const LanguageList* list, const DetectedLanguage& detected) {
  const double confidence = std::clamp(detected.confidence, 0.0, 100.0);
  return "Detected: " + LanguageName(list, detected.language) + " (" +
         std::to_string(static_cast<int>(std::lround(confidence))) + "%)";
}

LanguageCache::LanguageCache(Fetch fetch, std::chrono::milliseconds refresh, std::chrono::milliseconds retry)
    : fetch_(std::move(fetch)), refresh_(refresh), retry_(retry) {}

LanguageCache::~LanguageCache() { Stop(); }

void LanguageCache::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { Run(); });
}

void LanguageCache::Stop() {
  std::thread thread;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    thread = std::move(thread_);
  }
  cv_.notify_all();
  if (thread.joinable()) thread.join();
}

Status LanguageCache::RefreshNow() {
  StatusOr<std::string> body = fetch_();
  if (!body.ok()) return body.status();
  StatusOr<LanguageList> parsed = ParseLanguages(*body);
  if (!parsed.ok()) return parsed.status();
  // A translator still attaching its models answers []: that is not a list to keep for minutes.
  bool any_pair = false;
  for (const Language& language : *parsed) any_pair = any_pair || !language.targets.empty();
  if (!any_pair) return Status::Unavailable("the translator lists no language pairs (yet)");
  auto list = std::make_shared<const LanguageList>(std::move(*parsed));
  std::lock_guard<std::mutex> lock(mu_);
  list_ = std::move(list);
  return Status::Ok();
}

std::shared_ptr<const LanguageList> LanguageCache::Get() const {
  std::lock_guard<std::mutex> lock(mu_);
  return list_;
}

void LanguageCache::Run() {
  bool failing = false;
  for (;;) {
    Status refreshed = RefreshNow();
    // One log line per change between working and failing, not one per attempt.
    if (!refreshed.ok() && !failing) {
      std::cerr << "web: the translator's language list (GET /languages) is not available: "
                << refreshed.ToString() << (Get() ? "; keeping the last one" : "; offering German -> English")
                << ", retrying every " << retry_.count() / 1000.0 << " s\n";
    } else if (refreshed.ok() && failing) {
      std::cerr << "web: the translator's language list is available again\n";
    }
    failing = !refreshed.ok();
    std::unique_lock<std::mutex> lock(mu_);
    if (cv_.wait_for(lock, failing ? retry_ : refresh_, [this] { return stop_; })) return;
  }
}

}  // namespace dolmetsch::web
