#include <gtest/gtest.h>

#include "markup/fake_translator_testing.h"
#include "markup/formats.h"

namespace dolmetsch::markup {
namespace {

using testing::ReversingTranslator;
using testing::UpperCaseTranslator;

std::string Md(std::string_view in, TranslateFn fn) {
  auto out = TranslateMarkdown(in, fn);
  EXPECT_TRUE(out.ok()) << out.status().ToString();
  return out.ok() ? *out : "";
}

TEST(MarkdownTest, EveryConstructKeepsItsSyntax) {
  const std::string in =
      "---\ntitle: Mein Dokument\ntags: [a, b]\n---\n"
      "# Titel mit *Betonung*\n\n"
      "Ein **fetter** Satz mit [einem Link](https://beispiel.de/x \"Titel\") und `code()` darin.\n"
      "Noch ein Satz.\n\n"
      "> Ein Zitat hier.\n\n"
      "- Punkt eins\n"
      "- [ ] Aufgabe offen\n"
      "1. Erster Schritt\n\n"
      "| Spalte A | Spalte B |\n"
      "|---|:-:|\n"
      "| Zelle *eins* | 42 |\n\n"
      "```\nCode bleibt so\n```\n\n"
      "![Ein Hund](hund.png) ~~Weg damit~~ <https://x.de>\n\n"
      "Setext Titel\n============\n";
  UpperCaseTranslator fake;
  EXPECT_EQ(
      Md(in, fake.fn()),
      "---\ntitle: Mein Dokument\ntags: [a, b]\n---\n"
      "# TITEL MIT *BETONUNG*\n\n"
      "EIN **FETTER** SATZ MIT [EINEM LINK](https://beispiel.de/x \"Titel\") UND `code()` DARIN. NOCH EIN "
      "SATZ.\n\n"
      "> EIN ZITAT HIER.\n\n"
      "- PUNKT EINS\n"
      "- [ ] AUFGABE OFFEN\n"
      "1. ERSTER SCHRITT\n\n"
      "| SPALTE A | SPALTE B |\n"
      "|---|:-:|\n"
      "| ZELLE *EINS* | 42 |\n\n"
      "```\nCode bleibt so\n```\n\n"
      "![EIN HUND](hund.png) ~~WEG DAMIT~~ <https://x.de>\n\n"
      "SETEXT TITEL\n============\n");
  for (const auto& s : fake.seen) {
    EXPECT_EQ(s.find("code()"), std::string::npos) << s;
    EXPECT_EQ(s.find("Mein Dokument"), std::string::npos) << s;
    EXPECT_EQ(s.find("Code bleibt"), std::string::npos) << s;
  }
}

TEST(MarkdownTest, EmphasisFollowsTheAlignment) {
  EXPECT_EQ(Md("eins **zwei** drei\n", ReversingTranslator()), "DREI **ZWEI** EINS\n");
}

TEST(MarkdownTest, TranslatedTextIsEscaped) {
  TranslateFn fn = [](const std::vector<std::string>& s) -> StatusOr<std::vector<SentenceTranslation>> {
    std::vector<SentenceTranslation> out;
    for (size_t i = 0; i < s.size(); ++i) out.push_back({"# not *a* [heading] | x", {}});
    return out;
  };
  EXPECT_EQ(Md("Hallo Welt\n", fn), "\\# not \\*a\\* \\[heading\\] \\| x\n");
}

TEST(MarkdownTest, CrLfAndHardBreaks) {
  UpperCaseTranslator fake;
  EXPECT_EQ(Md("Erste Zeile\\\r\nzweite Zeile\r\n\r\nAbsatz\r\n", fake.fn()),
            "ERSTE ZEILE\\\nZWEITE ZEILE\r\n\r\nABSATZ\r\n");
}

TEST(MarkdownTest, InvalidUtf8IsRefused) {
  UpperCaseTranslator fake;
  EXPECT_EQ(TranslateMarkdown("Hallo \xc3\x28", fake.fn()).status().code(), Status::Code::kInvalidArgument);
}

}  // namespace
}  // namespace dolmetsch::markup
