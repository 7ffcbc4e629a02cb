#include "langid/language_detector.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace dolmetsch::langid {
namespace {

struct Sample {
  const char* language;
  const char* text;
};

// Ordinary sentences, two per language, written for this test.
const std::vector<Sample> kSamples = {
    {"de", "Das Wetter ist heute schön, deshalb gehen wir am Nachmittag im Park spazieren."},
    {"de", "Bitte schicken Sie mir die Rechnung bis Ende der Woche per E-Mail zu."},
    {"en", "The weather is nice today, so we are going for a walk in the park this afternoon."},
    {"en", "Please send me the invoice by e-mail before the end of the week."},
    {"fr", "Il fait beau aujourd'hui, alors nous allons nous promener dans le parc cet après-midi."},
    {"fr", "Veuillez m'envoyer la facture par courriel avant la fin de la semaine."},
    {"es", "Hoy hace buen tiempo, así que vamos a pasear por el parque esta tarde."},
    {"es", "Por favor, envíeme la factura por correo electrónico antes del final de la semana."},
    {"it", "Oggi il tempo è bello, quindi questo pomeriggio andiamo a fare una passeggiata nel parco."},
    {"it", "Per favore, mi mandi la fattura via e-mail entro la fine della settimana."},
    {"nl", "Het weer is vandaag mooi, dus we gaan vanmiddag in het park wandelen."},
    {"ru", "Сегодня хорошая погода, поэтому днём мы пойдём гулять в парк."},
};

TEST(LanguageDetectorTest, RealSentencesOfSevenLanguages) {
  const std::vector<std::string> served = {"de", "en", "fr", "es", "it", "nl", "ru"};
  for (const Sample& s : kSamples) {
    const std::vector<LanguageGuess> guesses = DetectLanguages(s.text, served);
    ASSERT_FALSE(guesses.empty()) << s.text;
    EXPECT_EQ(guesses[0].language, s.language) << s.text;
    EXPECT_GT(guesses[0].confidence, 50) << s.text;
    EXPECT_LE(guesses[0].confidence, 100);
  }
}

TEST(LanguageDetectorTest, OnlyServedLanguagesAreAnswered) {
  // French text, but only German and English are served: nothing matches, the first candidate with 0.
  const std::vector<LanguageGuess> guesses = DetectLanguages(kSamples[4].text, {"de", "en"});
  ASSERT_EQ(guesses.size(), 1u);
  EXPECT_EQ(guesses[0], (LanguageGuess{"de", 0.0}));
  // No candidates: anything CLD2 knows.
  const std::vector<LanguageGuess> any = DetectLanguages(kSamples[4].text, {});
  ASSERT_FALSE(any.empty());
  EXPECT_EQ(any[0].language, "fr");
}

TEST(LanguageDetectorTest, MixedTextListsBothLanguagesBestFirst) {
  const std::string text = std::string(kSamples[0].text) + " " + kSamples[1].text + " " + kSamples[2].text;
  const std::vector<LanguageGuess> guesses = DetectLanguages(text, {"de", "en", "fr"});
  ASSERT_GE(guesses.size(), 2u);
  EXPECT_EQ(guesses[0].language, "de");
  EXPECT_EQ(guesses[1].language, "en");
  EXPECT_GE(guesses[0].confidence, guesses[1].confidence);
}

TEST(LanguageDetectorTest, ShortEmptyMalformedAndHugeTextsAreAnswered) {
  EXPECT_EQ(DetectLanguages("", {"en", "de"}), (std::vector<LanguageGuess>{{"en", 0.0}}));
  EXPECT_TRUE(DetectLanguages("", {}).empty());
  EXPECT_TRUE(DetectLanguages("12345 !!!", {}).empty());
  const std::vector<LanguageGuess> bad = DetectLanguages(
      std::string("Das ist \xff\xfe ein kaputter Text, aber man kann ihn noch gut lesen."), {"de", "en"});
  ASSERT_FALSE(bad.empty());
  EXPECT_EQ(bad[0].language, "de");
  std::string huge;
  while (huge.size() < 5 * 1024 * 1024) huge += std::string(kSamples[6].text) + " ";
  const std::vector<LanguageGuess> big = DetectLanguages(huge, {"es", "en"});
  ASSERT_FALSE(big.empty());
  EXPECT_EQ(big[0].language, "es");
}

}  // namespace
}  // namespace dolmetsch::langid
