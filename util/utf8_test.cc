#include "util/utf8.h"

#include <gtest/gtest.h>

#include <string>

namespace dolmetsch {
namespace {

TEST(Utf8Test, AcceptsWellFormedText) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("Grüße, „Zitat“ – 😀 東京"));
  EXPECT_TRUE(IsValidUtf8(std::string("a\0b", 3)));
  EXPECT_TRUE(IsValidUtf8("\xF4\x8F\xBF\xBF"));  // U+10FFFF
}

TEST(Utf8Test, RejectsIllFormedSequencesWithTheirOffset) {
  struct Case {
    std::string bytes;
    size_t offset;
  } cases[] = {
      {"ab\xFF", 2},           // never valid
      {"\xC0\xAF", 0},         // overlong '/'
      {"x\xE0\x80\xAF", 1},    // overlong 3-byte
      {"\xED\xA0\x80", 0},     // surrogate U+D800
      {"\xF4\x90\x80\x80", 0}, // above U+10FFFF
      {"ok\xE2\x82", 2},       // truncated at the end
      {"\xC3(", 0},            // bad continuation
      {"\x80", 0},             // lone continuation
  };
  for (const auto& c : cases) {
    size_t offset = 999;
    EXPECT_FALSE(IsValidUtf8(c.bytes, &offset)) << c.offset;
    EXPECT_EQ(offset, c.offset);
  }
}

}  // namespace
}  // namespace dolmetsch
