#include "web/html.h"

#include <gtest/gtest.h>

namespace dolmetsch::web {
namespace {

TEST(EscapeHtmlTest, EscapesMarkupCharacters) {
  EXPECT_EQ(EscapeHtml("<script>alert(1)</script>"), "&lt;script&gt;alert(1)&lt;/script&gt;");
  EXPECT_EQ(EscapeHtml("\" onmouseover=\"alert(1)"), "&quot; onmouseover=&quot;alert(1)");
  EXPECT_EQ(EscapeHtml("' autofocus onfocus='x"), "&#39; autofocus onfocus=&#39;x");
  EXPECT_EQ(EscapeHtml("Tom & Jerry"), "Tom &amp; Jerry");
  EXPECT_EQ(EscapeHtml("&lt;"), "&amp;lt;");  // no double-decoding surprises
}

TEST(EscapeHtmlTest, KeepsUmlautsAndNewlines) {
  EXPECT_EQ(EscapeHtml("Grüße\n\nÄrger – „Zitat“"), "Grüße\n\nÄrger – „Zitat“");
}

TEST(EscapeHtmlTest, JavascriptUrlStaysInertText) {
  // Text is never placed in a URL position, so escaping only has to keep it from breaking out of quotes.
  EXPECT_EQ(EscapeHtml("javascript:alert(\"x\")"), "javascript:alert(&quot;x&quot;)");
}

TEST(EscapeHtmlTest, ReplacesInvalidUtf8AndNul) {
  EXPECT_EQ(EscapeHtml(std::string("a\xC3") + "<"), "a\xEF\xBF\xBD&lt;");
  EXPECT_EQ(EscapeHtml(std::string("a\0b", 3)),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(EscapeHtml("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // a surrogate
  EXPECT_EQ(EscapeHtml("\xC0\xBC"), "\xEF\xBF\xBD\xEF\xBF\xBD");                  // overlong '<'
}

TEST(Utf8Test, ValidatesSequences) {
  EXPECT_TRUE(IsValidUtf8("Straße 🙂"));
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xE2\x82"));          // truncated
  EXPECT_EQ(SanitizeUtf8("ok"), "ok");
}

}  // namespace
}  // namespace dolmetsch::web
