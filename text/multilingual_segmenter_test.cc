#include "text/multilingual_segmenter.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "text/unicode.h"

namespace dolmetsch::text {
namespace {

std::vector<std::string> Sentences(std::string_view language, std::string_view text,
                                   const SegmenterOptions& options = {}) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  for (const Span& s : SegmentSentencesFor(language, text, options)) {
    EXPECT_GE(s.begin, pos);
    EXPECT_GT(s.end, s.begin);
    for (std::size_t i = pos; i < s.begin; ++i) {
      EXPECT_TRUE(IsSpace(DecodeUtf8(text, i).cp)) << "non-space between spans at " << i;
    }
    pos = s.end;
    out.push_back(std::string(text.substr(s.begin, s.size())));
  }
  return out;
}

struct Case {
  const char* language;
  const char* text;
  std::vector<std::string> sentences;
};

// Written for this test: abbreviations, numbers, quotes, questions and exclamations per language.
const std::vector<Case>& Cases() {
  static const std::vector<Case> cases = {
      // English
      {"en",
       "Mr. Smith went to Washington. He arrived at 5 p.m. on Monday.",
       {"Mr. Smith went to Washington.", "He arrived at 5 p.m. on Monday."}},
      {"en", "Did he come? Yes! He did.", {"Did he come?", "Yes!", "He did."}},
      {"en", "Version 2.5 costs $3.50. It ships today.", {"Version 2.5 costs $3.50.", "It ships today."}},
      {"en", "\"Stop!\" she shouted. Nobody listened.", {"\"Stop!\" she shouted.", "Nobody listened."}},
      {"en", "See e.g. chapter 3. Then read on.", {"See e.g. chapter 3.", "Then read on."}},
      {"en", "Dr. Brown lives in the U.S. now.", {"Dr. Brown lives in the U.S. now."}},
      {"en",
       "The meeting is at 10 a.m. Please be on time.",
       {"The meeting is at 10 a.m.", "Please be on time."}},
      {"en", "Wait... what happened? I don't know.", {"Wait... what happened?", "I don't know."}},
      // French
      {"fr", "M. Dupont est arrivé. Il était en retard.", {"M. Dupont est arrivé.", "Il était en retard."}},
      {"fr", "Il a dit « Bonjour ! » puis il est parti.", {"Il a dit « Bonjour ! » puis il est parti."}},
      {"fr", "Quelle heure est-il ? Il est trois heures.", {"Quelle heure est-il ?", "Il est trois heures."}},
      {"fr", "Le prix est de 3,50 €. C'est cher !", {"Le prix est de 3,50 €.", "C'est cher !"}},
      {"fr",
       "Mme Martin habite à Paris. Elle travaille beaucoup.",
       {"Mme Martin habite à Paris.", "Elle travaille beaucoup."}},
      {"fr", "Voir p. 12 pour les détails. Merci.", {"Voir p. 12 pour les détails.", "Merci."}},
      // Spanish
      {"es", "¿Qué hora es? Son las tres.", {"¿Qué hora es?", "Son las tres."}},
      {"es", "El Sr. García llegó tarde. ¡Qué sorpresa!", {"El Sr. García llegó tarde.", "¡Qué sorpresa!"}},
      {"es", "La reunión es a las 10. Después comemos.", {"La reunión es a las 10.", "Después comemos."}},
      {"es", "Compré 2,5 kg de manzanas. Eran baratas.", {"Compré 2,5 kg de manzanas.", "Eran baratas."}},
      {"es", "La Dra. López trabaja aquí. Es muy amable.", {"La Dra. López trabaja aquí.", "Es muy amable."}},
      {"es", "Vivo en EE. UU. desde 2010.", {"Vivo en EE. UU. desde 2010."}},
      // Italian
      {"it", "Il sig. Rossi è arrivato. Era stanco.", {"Il sig. Rossi è arrivato.", "Era stanco."}},
      {"it", "Che ore sono? Sono le tre.", {"Che ore sono?", "Sono le tre."}},
      {"it", "Costa 3,50 euro. Non è caro!", {"Costa 3,50 euro.", "Non è caro!"}},
      {"it", "Vedi pag. 5 per i dettagli. Grazie.", {"Vedi pag. 5 per i dettagli.", "Grazie."}},
      {"it", "Roma è bella. Firenze anche.", {"Roma è bella.", "Firenze anche."}},
      // Dutch
      {"nl", "Dhr. Jansen is er niet. Hij komt morgen.", {"Dhr. Jansen is er niet.", "Hij komt morgen."}},
      {"nl", "Hoe laat is het? Het is drie uur.", {"Hoe laat is het?", "Het is drie uur."}},
      {"nl", "Het kost 3,50 euro. Dat is goedkoop!", {"Het kost 3,50 euro.", "Dat is goedkoop!"}},
      {"nl", "Amsterdam is groot. Utrecht is kleiner.", {"Amsterdam is groot.", "Utrecht is kleiner."}},
      {"nl", "Zie blz. 7 voor meer. Dank u.", {"Zie blz. 7 voor meer.", "Dank u."}},
      // Russian
      {"ru", "Он пришёл домой. Было уже поздно.", {"Он пришёл домой.", "Было уже поздно."}},
      {"ru", "Который час? Уже три часа.", {"Который час?", "Уже три часа."}},
      {"ru", "Это стоит 3,50 рубля. Дёшево!", {"Это стоит 3,50 рубля.", "Дёшево!"}},
  };
  return cases;
}

TEST(MultilingualSegmenterTest, WrittenCasesPerLanguage) {
  int passed = 0;
  for (const Case& c : Cases()) {
    const std::vector<std::string> got = Sentences(c.language, c.text);
    if (got == c.sentences) {
      ++passed;
    } else {
      ADD_FAILURE() << c.language << ": " << c.text << "\n  got " << ::testing::PrintToString(got);
    }
  }
  std::cout << "multilingual segmenter: " << passed << "/" << Cases().size() << " cases\n";
}

TEST(MultilingualSegmenterTest, GermanUsesItsOwnRules) {
  EXPECT_TRUE(HasOwnSegmentationRules("de"));
  EXPECT_TRUE(HasOwnSegmentationRules("DE"));
  EXPECT_FALSE(HasOwnSegmentationRules("en"));
  const std::string text = "Das ist z. B. ein Satz. Am 3. Oktober kam Dr. Meier.";
  EXPECT_EQ(SegmentSentencesFor("de", text), SegmentSentences(text));
}

TEST(MultilingualSegmenterTest, HardWrappedLinesAreJoinedAndLayoutEndsSentences) {
  EXPECT_EQ(Sentences("en", "This sentence was wrapped\nby a mail client. A second one.\n\nNew paragraph"),
            (std::vector<std::string>{"This sentence was wrapped\nby a mail client.", "A second one.",
                                      "New paragraph"}));
  EXPECT_EQ(Sentences("en", "Shopping list:\n- milk\n- bread\n1. eggs"),
            (std::vector<std::string>{"Shopping list:", "- milk", "- bread", "1. eggs"}));
  EXPECT_EQ(Sentences("en", "Heading\r\n\r\nBody text here."),
            (std::vector<std::string>{"Heading", "Body text here."}));
}

TEST(MultilingualSegmenterTest, LongSpansAreBoundedAndMalformedBytesSurvive) {
  std::string text;
  for (int i = 0; i < 200; ++i) text += "word, ";
  SegmenterOptions options;
  options.max_segment_bytes = 100;
  for (const std::string& s : Sentences("en", text, options)) EXPECT_LE(s.size(), 100u);
  const std::string bad = "Bad \xff bytes here. And \xc3 more.";
  const std::vector<std::string> got = Sentences("fr", bad);
  EXPECT_FALSE(got.empty());
  std::string joined;
  for (const std::string& s : got) joined += s;
  EXPECT_NE(joined.find("\xff"), std::string::npos);
}

TEST(MultilingualSegmenterTest, EmptyAndWhitespaceOnly) {
  EXPECT_TRUE(SegmentSentencesFor("en", "").empty());
  EXPECT_TRUE(SegmentSentencesFor("en", " \n\t ").empty());
  EXPECT_EQ(Sentences("xx", "Unknown language. Root rules."),
            (std::vector<std::string>{"Unknown language.", "Root rules."}));
}

}  // namespace
}  // namespace dolmetsch::text
