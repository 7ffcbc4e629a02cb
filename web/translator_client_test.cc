#include "web/translator_client.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "web/security.h"
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

// The multipart encoding and the event handling of TranslateFile, against a stand-in that parses the upload
// with cpp-httplib's own multipart parser and answers with the file reversed (tests/
// translator_client_file_test.cc runs TranslateFile against the real translator).
class FileEcho {
 public:
  FileEcho() {
    server_.Post("/v1/translate_file", [this](const httplib::Request& req, httplib::Response& res) {
      const httplib::MultipartFormData file = req.get_file_value("file");
      {
        std::lock_guard<std::mutex> lock(mu_);
        content_type_ = req.get_header_value("Content-Type");
        file_name_ = file.filename;
        source_ = req.get_file_value("source").content;
        skip_ = req.get_file_value("skip_blocks").content;
      }
      if (file.content == "BAD") {
        res.status = 400;
        res.set_content(R"({"error":"file 'x.docx': docx: not a zip"})", "application/json");
        return;
      }
      std::string events;
      if (file.content == "FAILS") {
        events = "event: error\ndata: {\"error\":\"the translator is shutting down\",\"status\":503}\n\n";
      } else {
        events =
            "event: progress\ndata: {\"index\":1,\"done\":2,\"total\":2,\"piece\":\"\\n\\nzwei\"}\n\n: "
            "waiting\n\n";
        const std::string reversed(file.content.rbegin(), file.content.rend());
        nlohmann::json done = {{"file_name", file.filename + ".out"},
                               {"format", "docx"},
                               {"content_base64", Base64Encode(reversed)},
                               {"bytes", reversed.size()},
                               {"blocks", 2},
                               {"sentences", 3},
                               {"model", {{"name", "m"}, {"source", "de"}, {"target", "en"}}}};
        if (req.get_file_value("source").content == "auto")
          done["detected_language"] = {{"language", "de"}, {"confidence", 97.5}};
        events += "event: done\ndata: " + done.dump() + "\n\n";
      }
      res.set_content(events, "text/event-stream");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~FileEcho() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string content_type, file_name, source, skip;
  void Read() {
    std::lock_guard<std::mutex> lock(mu_);
    content_type = content_type_;
    file_name = file_name_;
    source = source_;
    skip = skip_;
  }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mu_;
  std::string content_type_, file_name_, source_, skip_;
};

TEST(TranslatorClientTest, TranslateFileSendsEveryByteAndReadsTheFile) {
  FileEcho echo;
  TranslatorClient client({echo.url(), "", 2, 10});
  // Every byte value, CR LF and what looks like a boundary line inside the file.
  std::string content;
  for (int b = 0; b < 256; ++b) content += static_cast<char>(b);
  content += "\r\n--dolmetsch-0123\r\n\r\n--\r\n";
  std::atomic<bool> cancelled{false};
  std::vector<std::tuple<int64_t, int64_t, std::string>> pieces;
  auto file = client.TranslateFile(content, "Bericht \"neu\".docx", "de", "en", 1, cancelled,
                                   [&](int64_t index, int64_t total, const std::string& piece) {
                                     pieces.emplace_back(index, total, piece);
                                   });
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  EXPECT_EQ(file->content, std::string(content.rbegin(), content.rend()));
  EXPECT_EQ(file->format, "docx");
  EXPECT_EQ(file->model, "m");
  EXPECT_EQ(file->blocks, 2);
  EXPECT_EQ(file->sentences, 3);
  EXPECT_FALSE(file->detected.has_value());
  ASSERT_EQ(pieces.size(), 1u);
  EXPECT_EQ(pieces[0], std::make_tuple(int64_t{1}, int64_t{2}, std::string("\n\nzwei")));
  echo.Read();
  EXPECT_EQ(echo.file_name, "Bericht %22neu%22.docx");
  EXPECT_EQ(file->file_name, "Bericht %22neu%22.docx.out");
  EXPECT_EQ(echo.source, "de");
  EXPECT_EQ(echo.skip, "1");
  EXPECT_EQ(echo.content_type.rfind("multipart/form-data; boundary=dolmetsch-", 0), 0u) << echo.content_type;

  auto detected = client.TranslateFile("x", "a.html", "", "en", 0, cancelled, nullptr);
  ASSERT_TRUE(detected.ok());
  echo.Read();
  EXPECT_EQ(echo.source, "auto");
  EXPECT_EQ(echo.skip, "");
  ASSERT_TRUE(detected->detected.has_value());
  EXPECT_EQ(detected->detected->language, "de");
  EXPECT_EQ(detected->detected->confidence, 97.5);
}

TEST(TranslatorClientTest, TranslateFileMapsErrorsAsStreamPieces) {
  FileEcho echo;
  TranslatorClient client({echo.url(), "", 2, 10});
  std::atomic<bool> cancelled{false};
  auto refused = client.TranslateFile("BAD", "x.docx", "de", "en", 0, cancelled, nullptr);
  EXPECT_EQ(refused.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("not a zip"), std::string::npos);
  auto stopped = client.TranslateFile("FAILS", "x.docx", "de", "en", 0, cancelled, nullptr);
  EXPECT_EQ(stopped.status().code(), Status::Code::kUnavailable);
  cancelled = true;
  EXPECT_EQ(client.TranslateFile("x", "x.docx", "de", "en", 0, cancelled, nullptr).status().code(),
            Status::Code::kCancelled);
}

}  // namespace
}  // namespace dolmetsch::web
