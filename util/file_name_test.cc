#include "util/file_name.h"

#include <gtest/gtest.h>

#include <string>

namespace dolmetsch {
namespace {

TEST(FileNameTest, NamesAreMadeSafe) {
  EXPECT_EQ(SanitizeFileName("../../etc/passwd"), "passwd");
  EXPECT_EQ(SanitizeFileName("a\\b\\..\\c.docx"), "c.docx");
  EXPECT_EQ(SanitizeFileName(".."), "file");
  EXPECT_EQ(SanitizeFileName("..hidden"), "hidden");
  EXPECT_EQ(SanitizeFileName("x/"), "file");
  EXPECT_EQ(SanitizeFileName("a\"b\x01:c%.srt"), "abc.srt");
  EXPECT_EQ(SanitizeFileName("Übersicht 2026.docx"), "Übersicht 2026.docx");
  const std::string longest = SanitizeFileName(std::string(100, 'x') + std::string(20, '\xc3') + ".docx");
  EXPECT_LE(longest.size(), 120u);
  EXPECT_EQ(longest.substr(longest.size() - 5), ".docx");
  EXPECT_EQ(SanitizeFileName(std::string(300, 'x') + ".docx").size(), 120u);
}

}  // namespace
}  // namespace dolmetsch
