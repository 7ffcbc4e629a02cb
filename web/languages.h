// The languages the translator serves, as the web app knows them: its GET /languages answer
// (LibreTranslate's shape: [{"code", "name", "targets"}]), fetched in the background and cached.
//
// LanguageCache keeps the last good list: it fetches at Start, then every `refresh`; after a failed fetch it
// keeps the list it had and tries again after `retry`. Until a fetch has succeeded Get() is null, and the
// pages offer German -> English only (the pair the project started from); submissions are then not
// checked here (the translator decides, and its 400 reaches the visitor).
// Thread-safety: LanguageCache's methods may be called from any thread (the list is swapped under a mutex;
// readers hold a shared_ptr to an immutable list). The free functions are pure.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "util/status.h"

namespace dolmetsch::web {

struct Language {
  std::string code;                  // "de", "zh-Hans"
  std::string name;                  // "German"
  std::vector<std::string> targets;  // codes this language translates into (empty: a target only)
};
using LanguageList = std::vector<Language>;

// The source code that asks the translator to detect the language.
inline constexpr std::string_view kAutoSource = "auto";

// Parses a /languages body; kInvalidArgument when it is not that shape or a code is not a language code.
StatusOr<LanguageList> ParseLanguages(std::string_view body);

// 1..35 ASCII letters, digits, '-' or '_' (store::kMaxLanguageBytes).
bool IsLanguageCode(std::string_view code);

// The language's name from `list` (may be null); built-in names for de and en; else the code itself.
// "auto" is "Detect language".
std::string LanguageName(const LanguageList* list, const std::string& code);

// "German → English, English → German" (names from the list).
std::string DescribePairs(const LanguageList& list);

// Ok when `list` serves source -> target; source "auto" is served when some source translates into
// `target`. kInvalidArgument otherwise, with a message for a person that names the pairs served.
Status CheckPair(const LanguageList& list, const std::string& source, const std::string& target);

// A language the translator detected in a text: code and confidence (0..100).
struct DetectedLanguage {
  std::string language;
  double confidence = 0;
};

// The pair offered when none is chosen: German -> English when served (or when nothing is known), else
// the first pair served.
std::pair<std::string, std::string> DefaultPair(const LanguageList* list);

// A submission's language pair after the checks (web/web_app.h ChooseLanguages): `source` is the detected
// language when the visitor chose "auto" and the translator could tell; it stays "auto" when it could
// not (the translator then detects when it translates).
struct LanguageChoice {
  std::string source;
  std::string target;
  bool source_was_auto = false;
  std::optional<DetectedLanguage> detected;
};

// "Detected: German (93%)".
std::string DetectedLabel(const LanguageList* list, const DetectedLanguage& detected);

class LanguageCache {
 public:
  // `fetch` returns the body of GET /languages (called from the cache's thread, or from RefreshNow).
  using Fetch = std::function<StatusOr<std::string>()>;
  LanguageCache(Fetch fetch, std::chrono::milliseconds refresh, std::chrono::milliseconds retry);
  ~LanguageCache();  // Stop()
  LanguageCache(const LanguageCache&) = delete;
  LanguageCache& operator=(const LanguageCache&) = delete;

  // Starts the background thread (first fetch at once). Call once.
  void Start();
  void Stop();
  // Fetches now in the calling thread; on success replaces the list. A list without any pair (a translator
  // still attaching its models answers []) is kUnavailable and replaces nothing.
  Status RefreshNow();
  // The last good list; null when no fetch has succeeded yet.
  std::shared_ptr<const LanguageList> Get() const;

 private:
  void Run();
  const Fetch fetch_;
  const std::chrono::milliseconds refresh_;
  const std::chrono::milliseconds retry_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::shared_ptr<const LanguageList> list_;  // guarded by mu_
  bool stop_ = false;                         // guarded by mu_
  std::thread thread_;
};

}  // namespace dolmetsch::web
