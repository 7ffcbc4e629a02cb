// Integration test of the web app's TranslatorClient::TranslateFile against the real translator: the
// `dolmetsch translator` binary with the fixture model (tests/fixtures/tiny-de-en) on a free loopback port.
// The streamed file must be the file POST /translate_file + download gives (same model), its progress the
// blocks markup::ExtractBlocks names, binary uploads intact, cancel and errors mapped as StreamPieces does.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "markup/formats.h"
#include "markup/office_testing.h"
#include "markup/zip_package.h"
#include "tests/testing/child_process.h"
#include "translator/mini_http_client.h"
#include "web/translator_client.h"

namespace {

using json = nlohmann::json;
namespace http = dolmetsch::translator::mini_http;
using dolmetsch::Status;
using dolmetsch::testing::ChildOptions;
using dolmetsch::testing::ChildProcess;
using dolmetsch::web::TranslatedFile;
using dolmetsch::web::TranslatorClient;

const std::string kModel = std::string(DOLMETSCH_SOURCE_DIR) + "/tests/fixtures/tiny-de-en";

class TranslateFileClientTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new ChildProcess(
        {DOLMETSCH_BINARY, "translator", "--model", kModel, "--host", "127.0.0.1", "--port", "0"},
        ChildOptions(::testing::TempDir() + "translator_client_file_" + std::to_string(::getpid()) + ".log")
            .StdoutToNull()
            .RemoveLogAtExit());
    port_ = server_->WaitListeningPort(std::chrono::seconds(30));
    ASSERT_GT(port_, 0) << server_->Log();
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (http::Request(port_, "GET", "/ready").status != 200 && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ASSERT_EQ(http::Request(port_, "GET", "/ready").status, 200) << server_->Log();
  }
  static void TearDownTestSuite() {
    server_->Signal(SIGTERM);
    EXPECT_EQ(server_->WaitExit(std::chrono::seconds(60)), 0) << server_->Log();
    delete server_;
    server_ = nullptr;
  }
  static TranslatorClient Client() {
    return TranslatorClient({"http://127.0.0.1:" + std::to_string(port_), "", 5, 60});
  }
  // POST /translate_file and GET its download link: the file LibreTranslate's API gives.
  static std::string TranslateAndDownload(const std::string& name, const std::string& content) {
    const std::string body = "--b0undary\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" +
                             name + "\"\r\n\r\n" + content +
                             "\r\n--b0undary\r\nContent-Disposition: form-data; name=\"source\"\r\n\r\nde\r\n"
                             "--b0undary\r\nContent-Disposition: form-data; name=\"target\"\r\n\r\nen\r\n"
                             "--b0undary--\r\n";
    auto r = http::Request(port_, "POST", "/translate_file", body, "multipart/form-data; boundary=b0undary");
    EXPECT_EQ(r.status, 200) << r.body;
    const std::string url = json::parse(r.body, nullptr, false).value("translatedFileUrl", "");
    const size_t path = url.find("/download_file/");
    EXPECT_NE(path, std::string::npos) << r.body;
    if (path == std::string::npos) return "";
    return http::Request(port_, "GET", url.substr(path)).body;
  }
  struct Piece {
    int64_t index, total;
    std::string text;
  };
  static inline ChildProcess* server_ = nullptr;
  static inline int port_ = 0;
};

std::string Paragraph(const std::string& text) { return "<w:p><w:r><w:t>" + text + "</w:t></w:r></w:p>"; }

TEST_F(TranslateFileClientTest, DocxRoundTripIsTheFileTheTranslatorStores) {
  const std::string docx = dolmetsch::markup::testing::Docx(
      Paragraph("Das Haus ist klein.") +
          "<w:p><w:r><w:t xml:space=\"preserve\">Der Mann "
          "</w:t></w:r><w:r><w:rPr><w:b/></w:rPr><w:t>liest</w:t>"
          "</w:r><w:r><w:t xml:space=\"preserve\"> ein Buch.</w:t></w:r></w:p>" +
          Paragraph("12345") + Paragraph("Wir gehen heute in den Park."),
      {{"footer1", Paragraph("Seite eins")}});
  ASSERT_NE(docx.find('\0'), std::string::npos);  // binary: the multipart body must carry every byte
  const auto blocks = dolmetsch::markup::ExtractBlocks(docx, dolmetsch::markup::Format::kDocx);
  ASSERT_TRUE(blocks.ok());
  ASSERT_EQ(blocks->size(), 4u);

  std::vector<Piece> pieces;
  std::atomic<bool> cancelled{false};
  TranslatorClient client = Client();
  auto file = client.TranslateFile(docx, "Bericht \"neu\".docx", "de", "en", 0, cancelled,
                                   [&](int64_t index, int64_t total, const std::string& piece) {
                                     pieces.push_back({index, total, piece});
                                   });
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  EXPECT_EQ(file->format, "docx");
  EXPECT_EQ(file->file_name.substr(file->file_name.size() - 5), ".docx") << file->file_name;
  EXPECT_FALSE(file->model.empty());
  EXPECT_EQ(file->blocks, 4);
  EXPECT_GE(file->sentences, 4);
  EXPECT_FALSE(file->detected.has_value());
  ASSERT_EQ(pieces.size(), 4u);
  for (size_t i = 0; i < pieces.size(); ++i) {
    EXPECT_EQ(pieces[i].index, static_cast<int64_t>(i));
    EXPECT_EQ(pieces[i].total, 4);
    EXPECT_EQ(pieces[i].text.rfind("\n\n", 0) == 0, i > 0);
    EXPECT_GT(pieces[i].text.size(), i > 0 ? 2u : 0u);
  }
  EXPECT_EQ(file->content, TranslateAndDownload("Bericht.docx", docx));
  auto package = dolmetsch::markup::ZipPackage::Open(file->content);
  ASSERT_TRUE(package.ok()) << package.status().ToString();
  auto document = (*package)->Read("word/document.xml");
  ASSERT_TRUE(document.ok());
  EXPECT_EQ(document->find("Das Haus ist klein."), std::string::npos) << *document;
  EXPECT_NE(document->find("12345"), std::string::npos);

  // The client has the first three blocks: the rest comes, and the whole file again.
  std::vector<Piece> rest;
  auto again = client.TranslateFile(docx, "Bericht.docx", "de", "en", 3, cancelled,
                                    [&](int64_t index, int64_t total, const std::string& piece) {
                                      rest.push_back({index, total, piece});
                                    });
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_EQ(rest[0].index, 3);
  EXPECT_EQ(rest[0].text, pieces[3].text);
  EXPECT_EQ(again->content, file->content);
}

TEST_F(TranslateFileClientTest, AutoDetectsTheLanguage) {
  std::atomic<bool> cancelled{false};
  TranslatorClient client = Client();
  auto file =
      client.TranslateFile("<p>Das Wetter ist heute sch\u00f6n, und wir gehen am Nachmittag in den Park.</p>",
                           "seite.html", "auto", "en", 0, cancelled, nullptr);
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  ASSERT_TRUE(file->detected.has_value());
  EXPECT_EQ(file->detected->language, "de");
  EXPECT_GT(file->detected->confidence, 50);
  EXPECT_EQ(file->format, "html");
}

TEST_F(TranslateFileClientTest, RefusedFilesAreInvalidArgumentNamingWhy) {
  std::atomic<bool> cancelled{false};
  TranslatorClient client = Client();
  auto broken =
      client.TranslateFile("PK\x03\x04 not a zip", "kaputt.docx", "de", "en", 0, cancelled, nullptr);
  EXPECT_EQ(broken.status().code(), Status::Code::kInvalidArgument) << broken.status().ToString();
  EXPECT_NE(broken.status().message().find("kaputt.docx"), std::string::npos) << broken.status().ToString();
  auto unknown = client.TranslateFile("\x01\x02", "daten.xyz", "de", "en", 0, cancelled, nullptr);
  EXPECT_EQ(unknown.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(unknown.status().message().find("supported"), std::string::npos) << unknown.status().ToString();
}

TEST_F(TranslateFileClientTest, CancelClosesTheStream) {
  std::string html;
  for (int i = 0; i < 400; ++i) html += "<p>Das Haus Nummer " + std::to_string(i) + " ist klein.</p>\n";
  std::atomic<bool> cancelled{false};
  int pieces = 0;
  TranslatorClient client = Client();
  auto file = client.TranslateFile(html, "lang.html", "de", "en", 0, cancelled,
                                   [&](int64_t, int64_t, const std::string&) {
                                     ++pieces;
                                     cancelled = true;
                                   });
  EXPECT_EQ(file.status().code(), Status::Code::kCancelled) << file.status().ToString();
  EXPECT_GE(pieces, 1);
  EXPECT_LT(pieces, 400);
  // The translator is fine afterwards.
  cancelled = false;
  EXPECT_TRUE(client.TranslateFile("<p>Hallo.</p>", "kurz.html", "de", "en", 0, cancelled, nullptr).ok());
}

}  // namespace
