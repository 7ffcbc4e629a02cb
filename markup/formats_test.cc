#include "markup/formats.h"

#include <gtest/gtest.h>

namespace dolmetsch::markup {
namespace {

TEST(FormatsTest, FormatFromExtensionThenContent) {
  EXPECT_EQ(*DetectFormat("a/b.HTML", ""), Format::kHtml);
  EXPECT_EQ(*DetectFormat("notes.md", "<p>"), Format::kMarkdown);
  EXPECT_EQ(*DetectFormat("film.srt", ""), Format::kSrt);
  EXPECT_EQ(*DetectFormat("film.vtt", ""), Format::kVtt);
  EXPECT_EQ(*DetectFormat("x.txt", "<p>"), Format::kText);
  EXPECT_EQ(*DetectFormat("", "\xEF\xBB\xBFWEBVTT\n"), Format::kVtt);
  EXPECT_EQ(*DetectFormat("upload", "1\r\n00:00:01,000 --> 00:00:02,000\r\nHallo\r\n"), Format::kSrt);
  EXPECT_EQ(*DetectFormat("upload", "  <!DOCTYPE html><p>x"), Format::kHtml);
  EXPECT_EQ(DetectFormat("upload", "Hallo Welt").status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(*DetectFormat("brief.docx", "PK"), Format::kDocx);  // the package reader judges the content
  EXPECT_EQ(*DetectFormat("scan.pdf", ""), Format::kPdf);
  EXPECT_EQ(*DetectFormat("upload", "%PDF-1.7\n"), Format::kPdf);
  EXPECT_EQ(DetectFormat("scan.ods", "").status().code(), Status::Code::kUnsupported);
  EXPECT_EQ(DetectFormat("upload", std::string("PK\x03\x04 broken", 11)).status().code(),
            Status::Code::kInvalidArgument);
}

TEST(FormatsTest, FormatNames) {
  EXPECT_EQ(*ParseFormatName("Markdown"), Format::kMarkdown);
  EXPECT_EQ(*ParseFormatName("md"), Format::kMarkdown);
  EXPECT_EQ(*ParseFormatName("webvtt"), Format::kVtt);
  EXPECT_EQ(*ParseFormatName("docx"), Format::kDocx);
  EXPECT_EQ(*ParseFormatName("pdf"), Format::kPdf);
  EXPECT_FALSE(ParseFormatName("xlsx").ok());
  EXPECT_STREQ(FormatName(Format::kSrt), "srt");
}

TEST(FormatsTest, EveryExtensionIsDetectedAndHasAMediaType) {
  for (const std::string& ext : FileExtensions()) {
    StatusOr<Format> format = DetectFormat("a" + ext, "");
    EXPECT_TRUE(format.ok()) << ext << ": " << format.status().message();
    const std::string type = ContentTypeForFileName("Name" + ext);
    if (ext == ".pdf") {
      EXPECT_EQ(type, "application/octet-stream");
    } else {
      EXPECT_NE(type, "application/octet-stream") << ext;
    }
  }
  EXPECT_EQ(ContentTypeForFileName("BRIEF.DOCX"), ContentTypeForFileName("brief.docx"));
  EXPECT_EQ(ContentTypeForFileName("noext"), "application/octet-stream");
  EXPECT_EQ(ContentTypeForFileName("x.exe"), "application/octet-stream");
}

}  // namespace
}  // namespace dolmetsch::markup
