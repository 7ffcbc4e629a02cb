#include "web/languages.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace dolmetsch::web {
namespace {

constexpr char kTwoPairs[] =
    R"([{"code":"de","name":"German","targets":["en"]},{"code":"en","name":"English","targets":["de"]}])";

LanguageList TwoPairs() {
  auto list = ParseLanguages(kTwoPairs);
  EXPECT_TRUE(list.ok()) << list.status().ToString();
  return list.ok() ? *list : LanguageList();
}

TEST(LanguagesTest, ParsesLibreTranslatesShape) {
  LanguageList list = TwoPairs();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].code, "de");
  EXPECT_EQ(list[0].name, "German");
  EXPECT_EQ(list[0].targets, std::vector<std::string>{"en"});
  // A target-only language, a nameless one, and the code itself among its targets (dropped).
  auto more =
      ParseLanguages(R"([{"code":"fr","targets":["fr","de"]},{"code":"it","name":"Italian","targets":[]}])");
  ASSERT_TRUE(more.ok());
  EXPECT_EQ((*more)[0].name, "fr");
  EXPECT_EQ((*more)[0].targets, std::vector<std::string>{"de"});
  EXPECT_TRUE((*more)[1].targets.empty());
}

TEST(LanguagesTest, RejectsWhatIsNotALanguageList) {
  for (const char* body : {"", "{}", "[1]", R"([{"name":"x"}])", R"([{"code":"<b>"}])",
                           R"([{"code":"de","targets":["en","a b"]}])", R"([{"code":"de","targets":[5]}])"}) {
    EXPECT_FALSE(ParseLanguages(body).ok()) << body;
  }
}

TEST(LanguagesTest, CodesAreShortAsciiTokens) {
  EXPECT_TRUE(IsLanguageCode("de"));
  EXPECT_TRUE(IsLanguageCode("zh-Hans"));
  EXPECT_TRUE(IsLanguageCode("pt_BR"));
  EXPECT_FALSE(IsLanguageCode(""));
  EXPECT_FALSE(IsLanguageCode("d\"e"));
  EXPECT_FALSE(IsLanguageCode(std::string(36, 'a')));
}

TEST(LanguagesTest, CheckPairAcceptsServedPairsAndNamesThemOtherwise) {
  LanguageList list = TwoPairs();
  EXPECT_TRUE(CheckPair(list, "de", "en").ok());
  EXPECT_TRUE(CheckPair(list, "en", "de").ok());
  EXPECT_TRUE(CheckPair(list, "auto", "de").ok());
  for (auto [source, target] :
       {std::pair{"fr", "de"}, std::pair{"de", "fr"}, std::pair{"de", "de"}, std::pair{"auto", "fr"}}) {
    Status refused = CheckPair(list, source, target);
    EXPECT_EQ(refused.code(), Status::Code::kInvalidArgument) << source << " " << target;
    EXPECT_NE(refused.message().find("German \xE2\x86\x92 English, English \xE2\x86\x92 German"),
              std::string::npos)
        << refused.message();
  }
  EXPECT_NE(CheckPair(list, "fr", "de").message().find("fr \xE2\x86\x92 German is not translated here"),
            std::string::npos);
}

TEST(LanguagesTest, DefaultPairIsGermanEnglishWhenServed) {
  EXPECT_EQ(DefaultPair(nullptr), (std::pair<std::string, std::string>{"de", "en"}));
  LanguageList list = TwoPairs();
  EXPECT_EQ(DefaultPair(&list), (std::pair<std::string, std::string>{"de", "en"}));
  auto other =
      ParseLanguages(R"([{"code":"en","name":"English","targets":["fr"]},{"code":"fr","name":"French"}])");
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(DefaultPair(&*other), (std::pair<std::string, std::string>{"en", "fr"}));
}

TEST(LanguagesTest, NamesAndDetectedLabel) {
  LanguageList list = TwoPairs();
  EXPECT_EQ(LanguageName(&list, "en"), "English");
  EXPECT_EQ(LanguageName(nullptr, "de"), "German");
  EXPECT_EQ(LanguageName(nullptr, "xx"), "xx");
  EXPECT_EQ(LanguageName(nullptr, "auto"), "Detect language");
  EXPECT_EQ(DetectedLabel(&list, {"de", 92.6}), "Detected: German (93%)");
  EXPECT_EQ(DetectedLabel(&list, {"en", 140}), "Detected: English (100%)");
}

TEST(LanguageCacheTest, UnknownUntilFetchedThenKeepsTheLastGoodList) {
  std::atomic<int> calls{0};
  std::atomic<bool> fail{true};
  LanguageCache cache(
      [&]() -> StatusOr<std::string> {
        ++calls;
        if (fail.load()) return Status::Unavailable("translator down");
        return std::string(kTwoPairs);
      },
      std::chrono::milliseconds(5), std::chrono::milliseconds(5));
  EXPECT_EQ(cache.Get(), nullptr);
  EXPECT_FALSE(cache.RefreshNow().ok());
  EXPECT_EQ(cache.Get(), nullptr);
  fail = false;
  cache.Start();
  for (int i = 0; i < 2000 && cache.Get() == nullptr; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  ASSERT_NE(cache.Get(), nullptr);
  EXPECT_EQ(cache.Get()->size(), 2u);
  // Failures (and malformed answers) keep the list while the refreshes go on.
  fail = true;
  const int before = calls.load();
  for (int i = 0; i < 2000 && calls.load() < before + 3; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  EXPECT_GE(calls.load(), before + 3);
  ASSERT_NE(cache.Get(), nullptr);
  EXPECT_EQ(cache.Get()->size(), 2u);
  cache.Stop();
  cache.Stop();  // twice is fine
}

TEST(LanguageCacheTest, AMalformedAnswerDoesNotReplaceTheList) {
  std::atomic<bool> broken{false};
  LanguageCache cache(
      [&]() -> StatusOr<std::string> {
        return broken ? std::string("{\"oops\":1}") : std::string(kTwoPairs);
      },
      std::chrono::hours(1), std::chrono::hours(1));
  ASSERT_TRUE(cache.RefreshNow().ok());
  broken = true;
  EXPECT_FALSE(cache.RefreshNow().ok());
  ASSERT_NE(cache.Get(), nullptr);
  EXPECT_EQ(cache.Get()->size(), 2u);
}

TEST(LanguageCacheTest, AListWithoutPairsIsNotKept) {
  // What a translator answers while it attaches its models.
  LanguageCache cache([]() -> StatusOr<std::string> { return std::string("[]"); }, std::chrono::hours(1),
                      std::chrono::hours(1));
  EXPECT_EQ(cache.RefreshNow().code(), Status::Code::kUnavailable);
  EXPECT_EQ(cache.Get(), nullptr);
}

TEST(LanguageCacheTest, ATargetOnlyListIsNotKeptEither) {
  LanguageCache cache(
      []() -> StatusOr<std::string> { return std::string(R"([{"code":"en","name":"English"}])"); },
      std::chrono::hours(1), std::chrono::hours(1));
  EXPECT_FALSE(cache.RefreshNow().ok());
  EXPECT_EQ(cache.Get(), nullptr);
}

TEST(LanguageCacheTest, KeepsTheListAfterAnEmptyAnswer) {
  std::atomic<bool> empty{false};
  LanguageCache cache(
      [&]() -> StatusOr<std::string> { return empty ? std::string("[]") : std::string(kTwoPairs); },
      std::chrono::hours(1), std::chrono::hours(1));
  ASSERT_TRUE(cache.RefreshNow().ok());
  empty = true;
  EXPECT_FALSE(cache.RefreshNow().ok());
  ASSERT_NE(cache.Get(), nullptr);
  EXPECT_EQ(cache.Get()->size(), 2u);
}

}  // namespace
}  // namespace dolmetsch::web
