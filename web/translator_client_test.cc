#include "web/translator_client.h"

#include <gtest/gtest.h>

#include "web/testing/fake_translator.h"

namespace dolmetsch::web {
namespace {

std::vector<std::pair<std::string, std::string>> FeedAll(const std::vector<std::string>& chunks) {
  SseParser parser;
  std::vector<std::pair<std::string, std::string>> events;
  for (const auto& chunk : chunks) {
    parser.Feed(chunk, [&](const std::string& e, const std::string& d) {
      events.emplace_back(e, d);
      return true;
    });
  }
  return events;
}

TEST(SseParserTest, ParsesEventsSplitAnywhere) {
  const std::string stream =
      "event: progress\ndata: {\"done\":1}\n\n: comment\n\nevent: done\r\ndata: a\r\ndata: b\r\n\r\n";
  auto whole = FeedAll({stream});
  ASSERT_EQ(whole.size(), 2u);
  EXPECT_EQ(whole[0], std::make_pair(std::string("progress"), std::string("{\"done\":1}")));
  EXPECT_EQ(whole[1], std::make_pair(std::string("done"), std::string("a\nb")));
  for (size_t cut = 1; cut < stream.size(); ++cut) {
    EXPECT_EQ(FeedAll({stream.substr(0, cut), stream.substr(cut)}), whole) << cut;
  }
}

TEST(SseParserTest, DefaultsEventNameAndStopsWhenAsked) {
  auto events = FeedAll({"data: x\n\n"});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].first, "message");
  SseParser parser;
  int calls = 0;
  EXPECT_FALSE(parser.Feed("data: 1\n\ndata: 2\n\n", [&](const std::string&, const std::string&) {
    ++calls;
    return false;
  }));
  EXPECT_EQ(calls, 1);
}

TEST(SseParserTest, IgnoresGarbageLines) {
  auto events = FeedAll({"garbage without colon\nretry: 5\nid: 3\ndata:no-space\n\n\n\n"});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].second, "no-space");
}

TEST(TranslatorClientTest, TranslatesWithProgress) {
  testing::FakeTranslator fake;
  TranslatorClient client({fake.url(), "key123", 2, 10});
  std::vector<TranslationProgress> seen;
  auto result = client.Translate("Eins. Zwei. Drei", "de", "en", [&](const TranslationProgress& p) {
    seen.push_back(p);
    return true;
  });
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->text_en, "EN(Eins.) EN(Zwei.) EN(Drei)");
  EXPECT_EQ(result->model, "fake-model");
  EXPECT_EQ(result->sentences, 3);
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[2].done, 3);
  EXPECT_EQ(seen[2].total, 3);
  EXPECT_EQ(fake.last_authorization(), "Bearer key123");
  EXPECT_TRUE(client.Ready().ok());
  fake.set_ready(false);
  EXPECT_EQ(client.Ready().code(), Status::Code::kUnavailable);
}

TEST(TranslatorClientTest, CancelsWhenProgressCallbackSaysSo) {
  testing::FakeTranslator fake;
  TranslatorClient client({fake.url(), "", 2, 10});
  auto result = client.Translate("Eins. Zwei.", "de", "en", [](const TranslationProgress&) { return false; });
  EXPECT_EQ(result.status().code(), Status::Code::kCancelled);
}

TEST(TranslatorClientTest, MapsErrors) {
  testing::FakeTranslator fake;
  TranslatorClient client({fake.url() + "/", "", 2, 10});  // a trailing slash is fine
  auto unavailable = client.Translate("FAIL503", "de", "en", nullptr);
  EXPECT_EQ(unavailable.status().code(), Status::Code::kUnavailable);
  EXPECT_NE(unavailable.status().message().find("model is loading"), std::string::npos);
  auto stream_error = client.Translate("STREAMERROR. b", "de", "en", nullptr);
  EXPECT_EQ(stream_error.status().code(), Status::Code::kInternal);
  EXPECT_NE(stream_error.status().message().find("backend exploded"), std::string::npos);

  TranslatorClient wrong_path({fake.url() + "/prefix", "", 2, 10});
  EXPECT_FALSE(wrong_path.Translate("x", "de", "en", nullptr).ok());
}

TEST(TranslatorClientTest, UnreachableIsUnavailable) {
  int port;
  {
    testing::FakeTranslator fake;  // a port that was free a moment ago and is closed now
    port = std::stoi(fake.url().substr(fake.url().rfind(':') + 1));
  }
  TranslatorClient client({"http://127.0.0.1:" + std::to_string(port), "", 1, 2});
  auto result = client.Translate("Hallo", "de", "en", nullptr);
  EXPECT_EQ(result.status().code(), Status::Code::kUnavailable);
  EXPECT_NE(result.status().message().find("not reachable"), std::string::npos);
  // What a visitor reads names no internal address (the log has it) and says what to do.
  EXPECT_EQ(result.status().message().find("127.0.0.1"), std::string::npos) << result.status().message();
  EXPECT_NE(result.status().message().find("Try again"), std::string::npos);
}

TEST(TranslatorClientTest, RejectsBadUrls) {
  for (const char* url : {"", "translator:8000", "ftp://x", "http://"}) {
    TranslatorClient client({url, "", 1, 1});
    EXPECT_EQ(client.Validate().code(), Status::Code::kInvalidArgument) << url;
    EXPECT_EQ(client.Translate("x", "de", "en", nullptr).status().code(), Status::Code::kInvalidArgument)
        << url;
  }
}

}  // namespace
}  // namespace dolmetsch::web
