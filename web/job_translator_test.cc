#include "web/job_translator.h"

#include <gtest/gtest.h>

#include <thread>

#include "web/testing/fake_translator.h"

namespace dolmetsch::web {
namespace {

struct Piece {
  int64_t index, total;
  std::string piece;
  bool operator==(const Piece& o) const { return index == o.index && total == o.total && piece == o.piece; }
};

TEST(HttpPieceTranslatorTest, StreamsPiecesInOrderAndResumesAfterTheCheckpoint) {
  testing::FakeTranslator fake;
  HttpPieceTranslator translator({fake.url(), "", 2, 10});
  std::atomic<bool> cancelled{false};
  std::vector<Piece> pieces;
  auto collect = [&](int64_t index, int64_t total, const std::string& piece) {
    pieces.push_back({index, total, piece});
  };
  ASSERT_TRUE(translator.Translate("Eins. Zwei. Drei.", "de", "en", 0, cancelled, collect).ok());
  EXPECT_EQ(pieces, (std::vector<Piece>{{0, 3, "EN(Eins.)"}, {1, 3, " EN(Zwei.)"}, {2, 3, " EN(Drei.)"}}));
  pieces.clear();
  ASSERT_TRUE(translator.Translate("Eins. Zwei. Drei.", "de", "en", 2, cancelled, collect).ok());
  EXPECT_EQ(pieces, (std::vector<Piece>{{2, 3, " EN(Drei.)"}}));
  EXPECT_EQ(fake.skips(), (std::vector<size_t>{0, 2}));
}

TEST(HttpPieceTranslatorTest, UnreachableAndOverloadedAreRetried) {
  testing::FakeTranslator fake;
  std::atomic<bool> cancelled{false};
  auto ignore = [](int64_t, int64_t, const std::string&) {};
  HttpPieceTranslator translator({fake.url(), "", 2, 10});
  EXPECT_EQ(translator.Translate("FAIL503", "de", "en", 0, cancelled, ignore).code(),
            Status::Code::kUnavailable);
  int port = std::stoi(fake.url().substr(fake.url().rfind(':') + 1));
  {
    testing::FakeTranslator other;
    port = std::stoi(other.url().substr(other.url().rfind(':') + 1));
  }
  HttpPieceTranslator down({"http://127.0.0.1:" + std::to_string(port), "", 1, 2});
  EXPECT_EQ(down.Translate("Hallo.", "de", "en", 0, cancelled, ignore).code(), Status::Code::kUnavailable);
}

TEST(HttpPieceTranslatorTest, OtherErrorsSayWhatToDoWithoutAddresses) {
  testing::FakeTranslator fake;
  std::atomic<bool> cancelled{false};
  auto ignore = [](int64_t, int64_t, const std::string&) {};
  HttpPieceTranslator translator({fake.url(), "", 2, 10});
  for (const char* text : {"FAIL400", "FAIL500", "STREAMERROR. b"}) {
    Status s = translator.Translate(text, "de", "en", 0, cancelled, ignore);
    EXPECT_FALSE(s.ok()) << text;
    EXPECT_NE(s.code(), Status::Code::kUnavailable) << text;
    EXPECT_EQ(s.message().find("127.0.0.1"), std::string::npos) << s.message();
    EXPECT_EQ(s.message().find("10.0.0.7"), std::string::npos) << s.message();
    EXPECT_NE(s.message().find("ubmit"), std::string::npos) << s.message();  // says what to do
  }
  // A timeout after progress resumes from the checkpoint; one before any progress fails the job.
  EXPECT_EQ(JobErrorForOwner(Status::DeadlineExceeded("x"), true).code(), Status::Code::kUnavailable);
  EXPECT_EQ(JobErrorForOwner(Status::DeadlineExceeded("x"), false).code(), Status::Code::kDeadlineExceeded);
}

TEST(HttpPieceTranslatorTest, CancelClosesTheStreamAtOnce) {
  testing::FakeTranslator fake;
  fake.set_slow_ms(300);
  HttpPieceTranslator translator({fake.url(), "", 2, 30});
  std::atomic<bool> cancelled{false};
  int received = 0;
  std::string text;
  for (int i = 0; i < 40; ++i) text += "SLOW Satz " + std::to_string(i) + ". ";
  auto started = std::chrono::steady_clock::now();
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
    cancelled = true;
  });
  Status s = translator.Translate(text, "de", "en", 0, cancelled,
                                  [&](int64_t, int64_t, const std::string&) { ++received; });
  auto took = std::chrono::steady_clock::now() - started;
  canceller.join();
  EXPECT_EQ(s.code(), Status::Code::kCancelled) << s.ToString();
  EXPECT_GE(received, 1);
  EXPECT_LT(received, 10);
  // 40 sentences take 12 s; a cancelled stream ends long before (no timing bound beyond "not all").
  EXPECT_LT(took, std::chrono::seconds(8));
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  EXPECT_LT(fake.sentences_sent(), 10);  // the fake stopped once the connection was closed
}

}  // namespace
}  // namespace dolmetsch::web
