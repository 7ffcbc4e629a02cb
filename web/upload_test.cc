#include "web/upload.h"

#include <gtest/gtest.h>

#include <string>

namespace dolmetsch::web {
namespace {

const char kType[] = "multipart/form-data; boundary=XyZ";

std::string Part(const std::string& name, const std::string& value, const std::string& filename = "",
                 bool is_file = false) {
  std::string part = "--XyZ\r\nContent-Disposition: form-data; name=\"" + name + "\"";
  if (is_file) part += "; filename=\"" + filename + "\"\r\nContent-Type: application/octet-stream";
  return part + "\r\n\r\n" + value + "\r\n";
}

TEST(UploadFormTest, FieldsAndOneFile) {
  const std::string bytes("PK\x03\x04\x00\xff binary", 14);
  const std::string body = Part("source", "de") + Part("file", bytes, "../../Brief\x01.docx", true) +
                           Part("csrf_token", "t0k") + "--XyZ--\r\n";
  StatusOr<UploadForm> form = ParseUploadForm(body, kType, 1024);
  ASSERT_TRUE(form.ok()) << form.status().ToString();
  EXPECT_EQ(form->fields.GetOr("source", ""), "de");
  EXPECT_EQ(form->fields.GetOr("csrf_token", ""), "t0k");
  ASSERT_TRUE(form->file.has_value());
  EXPECT_EQ(form->file->name, "Brief.docx");  // no path, no control character
  EXPECT_EQ(form->file->content, bytes);
}

TEST(UploadFormTest, AFileInputLeftEmptyIsNoFile) {
  const std::string body = Part("text", "Hallo") + Part("file", "", "", true) + "--XyZ--\r\n";
  StatusOr<UploadForm> form = ParseUploadForm(body, kType, 1024);
  ASSERT_TRUE(form.ok()) << form.status().ToString();
  EXPECT_FALSE(form->file.has_value());
  EXPECT_EQ(form->fields.GetOr("text", ""), "Hallo");
}

TEST(UploadFormTest, RefusesWhatItCannotTake) {
  auto code = [](const std::string& body, size_t limit = 1024) {
    return ParseUploadForm(body, kType, limit).status().code();
  };
  EXPECT_EQ(code(Part("file", "a", "a.md", true) + Part("file", "b", "b.md", true) + "--XyZ--\r\n"),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(code(Part("file", "", "leer.md", true) + "--XyZ--\r\n"), Status::Code::kInvalidArgument);
  EXPECT_EQ(code(Part("file", std::string(1025, 'a'), "a.md", true) + "--XyZ--\r\n"),
            Status::Code::kResourceExhausted);
  EXPECT_EQ(code(Part("file", std::string(1024, 'a'), "a.md", true) + "--XyZ--\r\n"), Status::Code::kOk);
  EXPECT_EQ(code(Part("source", "\xff") + "--XyZ--\r\n"), Status::Code::kInvalidArgument);
  EXPECT_EQ(code("--XyZ\r\nno end of headers"), Status::Code::kInvalidArgument);
  EXPECT_EQ(code(""), Status::Code::kInvalidArgument);
  EXPECT_EQ(ParseUploadForm("x", "multipart/form-data", 10).status().code(), Status::Code::kInvalidArgument);
}

TEST(PlanFileTest, TheBlocksPlainTextJoinedByBlankLines) {
  StatusOr<FilePlan> plan = PlanFile(
      {"seite.html", "<h1>Titel</h1><p>Ein <b>fetter</b> Satz. Noch einer.</p><ul><li>Punkt</li></ul>"},
      1 << 20);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->format, "html");
  EXPECT_EQ(plan->blocks, 3u);
  EXPECT_EQ(plan->text, "Titel\n\nEin fetter Satz. Noch einer.\n\nPunkt");
  StatusOr<FilePlan> srt = PlanFile({"film.srt",
                                     "1\n00:00:01,000 --> 00:00:02,000\nHallo\n\n2\n00:00:03,000 --> "
                                     "00:00:04,000\nWelt\n"},
                                    1 << 20);
  ASSERT_TRUE(srt.ok()) << srt.status().ToString();
  EXPECT_EQ(srt->format, "srt");
  EXPECT_NE(srt->text.find("Hallo"), std::string::npos);
  EXPECT_EQ(srt->text.find("-->"), std::string::npos);  // timings are not text
}

TEST(PlanFileTest, ErrorsNameTheFileAndWhatIsWrong) {
  StatusOr<FilePlan> exe = PlanFile({"tool.exe", "MZ\x90"}, 1 << 20);
  ASSERT_FALSE(exe.ok());
  EXPECT_NE(exe.status().message().find("tool.exe"), std::string::npos);
  EXPECT_NE(exe.status().message().find(".docx"), std::string::npos);  // what may be uploaded
  StatusOr<FilePlan> zip = PlanFile({"brief.docx", "PK\x03\x04 truncated"}, 1 << 20);
  ASSERT_FALSE(zip.ok());
  EXPECT_NE(zip.status().message().find("brief.docx"), std::string::npos);
  EXPECT_NE(zip.status().message().find("docx"), std::string::npos);
  StatusOr<FilePlan> blank = PlanFile({"leer.md", "\n\n  \n"}, 1 << 20);
  ASSERT_FALSE(blank.ok());
  EXPECT_NE(blank.status().message().find("no text"), std::string::npos);
  StatusOr<FilePlan> not_utf8 = PlanFile({"x.md", "\xff\xfe text"}, 1 << 20);
  EXPECT_FALSE(not_utf8.ok());
  StatusOr<FilePlan> over = PlanFile({"x.md", std::string(2000, 'a')}, 1000);
  EXPECT_FALSE(over.ok());
}

TEST(ContentDispositionTest, AsciiFallbackAndUtf8Name) {
  EXPECT_EQ(ContentDisposition("Brief.docx"),
            "attachment; filename=\"Brief.docx\"; filename*=UTF-8''Brief.docx");
  EXPECT_EQ(ContentDisposition("Über uns.md"),
            "attachment; filename=\"__ber uns.md\"; filename*=UTF-8''%C3%9Cber%20uns.md");
  EXPECT_EQ(FileContentType("a.DOCX"),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document");
  EXPECT_EQ(FileContentType("a.bin"), "application/octet-stream");
  EXPECT_NE(AcceptedFileExtensions().find(".srt"), std::string::npos);
}

}  // namespace
}  // namespace dolmetsch::web
