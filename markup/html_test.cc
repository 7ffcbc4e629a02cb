#include <gtest/gtest.h>

#include "markup/fake_translator_testing.h"
#include "markup/formats.h"

namespace dolmetsch::markup {
namespace {

using testing::ReversingTranslator;
using testing::UpperCaseTranslator;

std::string Html(std::string_view in, TranslateFn fn) {
  auto out = TranslateHtml(in, fn);
  EXPECT_TRUE(out.ok()) << out.status().ToString();
  return out.ok() ? *out : "";
}

TEST(HtmlTest, TagInTheMiddleOfASentenceKeepsTheSentenceWhole) {
  UpperCaseTranslator fake;
  EXPECT_EQ(Html("<p>Das ist <b>sehr</b> gut.</p>", fake.fn()), "<p>DAS IST <b>SEHR</b> GUT.</p>");
  EXPECT_EQ(fake.seen, std::vector<std::string>{"Das ist sehr gut."});
}

TEST(HtmlTest, NestedSpansFollowTheAlignment) {
  EXPECT_EQ(Html("<p>eins <b>zwei <i>drei</i></b> vier</p>", ReversingTranslator()),
            "<p>VIER <b><i>DREI</i> ZWEI</b> EINS</p>");
}

TEST(HtmlTest, DocumentWithHeadTitleAttributesAndKeptElements) {
  const std::string in =
      "<!DOCTYPE html>\n<html lang=\"de\"><head><title>Mein Titel</title>\n"
      "<style>p { color: red; }</style><script>var x = '<b>Hallo</b>';</script></head>\n"
      "<body>\n  <h1 class=\"big\">Guten Morgen</h1>\n"
      "  <p title=\"Ein Hinweis\">Text mit <a href=\"/pfad?a=1&amp;b=2\">einem Link</a> und "
      "<code>printf(\"hallo\")</code> darin.</p>\n"
      "  <img src=\"hund.png\" alt=\"Ein Hund\">\n"
      "  <pre>  Vorformatiert  bleibt </pre>\n"
      "  <p translate=\"no\">Markenname bleibt</p><p class=\"x notranslate\">auch dies</p>\n"
      "  <input placeholder=\"Suche hier\" aria-label=\"Suchfeld\">\n"
      "  <!-- ein Kommentar -->\n</body></html>\n";
  UpperCaseTranslator fake;
  const std::string out = Html(in, fake.fn());
  EXPECT_EQ(out,
            "<!DOCTYPE html><html lang=\"de\"><head><title>MEIN TITEL</title>\n"
            "<style>p { color: red; }</style><script>var x = '<b>Hallo</b>';</script></head>\n"
            "<body>\n  <h1 class=\"big\">GUTEN MORGEN</h1>\n"
            "  <p title=\"EIN HINWEIS\">TEXT MIT <a href=\"/pfad?a=1&amp;b=2\">EINEM LINK</a> UND "
            "<code>printf(\"hallo\")</code> DARIN.</p>\n"
            "  <img src=\"hund.png\" alt=\"EIN HUND\">\n"
            "  <pre>  Vorformatiert  bleibt </pre>\n"
            "  <p translate=\"no\">Markenname bleibt</p><p class=\"x notranslate\">auch dies</p>\n"
            "  <input placeholder=\"SUCHE HIER\" aria-label=\"SUCHFELD\">\n"
            // The parser moves the line break after </html> into the body (HTML's tree rules).
            "  <!-- ein Kommentar -->\n\n</body></html>");
  for (const auto& s : fake.seen) {
    EXPECT_EQ(s.find("printf"), std::string::npos) << s;
    EXPECT_EQ(s.find("Markenname"), std::string::npos) << s;
  }
}

TEST(HtmlTest, FragmentStaysAFragmentAndTablesAreTranslatedCellByCell) {
  UpperCaseTranslator fake;
  EXPECT_EQ(Html("<table><tr><td>Erste Zelle</td><td>42</td></tr></table>", fake.fn()),
            "<table><tr><td>ERSTE ZELLE</td><td>42</td></tr></table>");
  EXPECT_EQ(fake.seen, std::vector<std::string>{"Erste Zelle"});
}

TEST(HtmlTest, TranslatedTextIsEscaped) {
  TranslateFn fn = [](const std::vector<std::string>& s) -> StatusOr<std::vector<SentenceTranslation>> {
    std::vector<SentenceTranslation> out;
    for (size_t i = 0; i < s.size(); ++i) out.push_back({"a < b & \"c\" <script>", {}});
    return out;
  };
  EXPECT_EQ(
      Html("<p title=\"Hallo\">Hallo</p>", fn),
      "<p title=\"a &lt; b &amp; &quot;c&quot; &lt;script&gt;\">a &lt; b &amp; \"c\" &lt;script&gt;</p>");
}

TEST(HtmlTest, MissingEndTagsAreWrittenSoTheOutputIsWellFormed) {
  UpperCaseTranslator fake;
  EXPECT_EQ(Html("<ul><li>Eins<li>Zwei</ul><p>Absatz<div>Block</div>", fake.fn()),
            "<ul><li>EINS</li><li>ZWEI</li></ul><p>ABSATZ</p><div>BLOCK</div>");
}

TEST(HtmlTest, LineBreakAndEntitiesInText) {
  UpperCaseTranslator fake;
  EXPECT_EQ(Html("<p>Erste Zeile<br>zweite&nbsp;Zeile &amp; mehr</p>", fake.fn()),
            "<p>ERSTE ZEILE<br>ZWEITE\xC2\xA0ZEILE &amp; MEHR</p>");
}

TEST(HtmlTest, HostileInputIsRefusedWithAReason) {
  UpperCaseTranslator fake;
  std::string deep;
  for (int i = 0; i < 5000; ++i) deep += "<div>";
  auto r = TranslateHtml(deep, fake.fn());
  EXPECT_EQ(r.status().code(), Status::Code::kResourceExhausted);
  EXPECT_NE(r.status().message().find("nested"), std::string::npos);
  EXPECT_EQ(TranslateHtml("<p>\xff\xfe</p>", fake.fn()).status().code(), Status::Code::kInvalidArgument);
  DocumentTranslationOptions small;
  small.limits.max_input_bytes = 10;
  EXPECT_EQ(TranslateHtml("<p>Ein langer Satz</p>", fake.fn(), small).status().code(),
            Status::Code::kResourceExhausted);
}

TEST(HtmlTest, LargeDocument) {
  std::string in = "<html><body>";
  for (int i = 0; i < 3000; ++i) in += "<p>Satz <b>Nummer</b> " + std::to_string(i) + " ist hier.</p>\n";
  in += "</body></html>";
  ASSERT_GT(in.size(), 100000u);
  UpperCaseTranslator fake;
  const std::string out = Html(in, fake.fn());
  EXPECT_NE(out.find("<p>SATZ <b>NUMMER</b> 2999 IST HIER.</p>"), std::string::npos);
  EXPECT_EQ(fake.seen.size(), 3000u);
}

}  // namespace
}  // namespace dolmetsch::markup
