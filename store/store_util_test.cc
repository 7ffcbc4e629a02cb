#include "store/store_util.h"

#include <gtest/gtest.h>

#include <set>

namespace dolmetsch::store {
namespace {

TEST(StoreUtilTest, UuidsAreVersion4AndDistinct) {
  // xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx, lower-case hex
  auto form = [](const std::string& u) {
    if (u.size() != 36) return false;
    for (size_t i = 0; i < u.size(); ++i) {
      const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
      if (dash != (u[i] == '-')) return false;
      if (!dash && !((u[i] >= '0' && u[i] <= '9') || (u[i] >= 'a' && u[i] <= 'f'))) return false;
    }
    return u[14] == '4' && (u[19] == '8' || u[19] == '9' || u[19] == 'a' || u[19] == 'b');
  };
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const std::string u = NewUuidV4();
    EXPECT_TRUE(form(u)) << u;
    seen.insert(u);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(StoreUtilTest, Utf8Validation) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("Größe € 😀 日本"));
  EXPECT_FALSE(IsValidUtf8("\xC3"));              // truncated
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xE0\x80\xAF"));      // overlong
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xFF"));
  EXPECT_FALSE(IsValidUtf8("a\x80z"));  // lone continuation
  EXPECT_EQ(Utf8Length("Größe😀"), 6u);
}

TEST(StoreUtilTest, Crc32KnownValues) {
  EXPECT_EQ(Crc32("123456789", 9), 0xCBF43926u);
  EXPECT_EQ(Crc32("", 0), 0u);
  // Incremental equals one-shot.
  EXPECT_EQ(Crc32("6789", 4, Crc32("12345", 5)), 0xCBF43926u);
}

TEST(StoreUtilTest, SearchWordsAndLikeEscaping) {
  EXPECT_EQ(SplitSearchWords("  Hund, \"Katze\"* -schläft (x_y) 100%"),
            (std::vector<std::string>{"Hund", "Katze", "schläft", "x", "y", "100"}));
  EXPECT_TRUE(SplitSearchWords("!!! ... ").empty());
  EXPECT_EQ(SplitSearchWords(std::string(100, 'a') + " b c d e f g h i j k l m n o p q r s").size(), 16u);
  EXPECT_EQ(EscapeLike("50%_off!"), "50!%!_off!!");
}

TEST(StoreUtilTest, ValidateNewTranslation) {
  NewTranslation ok;
  ok.text_de = "Hallo";
  ok.client_key = "abc-DEF_123";
  EXPECT_TRUE(ValidateNewTranslation(ok).ok());
  NewTranslation bad = ok;
  bad.client_key = std::string(kMaxClientKeyBytes + 1, 'k');
  EXPECT_EQ(ValidateNewTranslation(bad).code(), Status::Code::kInvalidArgument);
  bad = ok;
  bad.client_key = "semi;colon";
  EXPECT_EQ(ValidateNewTranslation(bad).code(), Status::Code::kInvalidArgument);
  bad = ok;
  bad.created_at_unix = -1;
  EXPECT_EQ(ValidateNewTranslation(bad).code(), Status::Code::kInvalidArgument);
  bad = ok;
  bad.model = "\xC3\x28";
  EXPECT_NE(ValidateNewTranslation(bad).message().find("model"), std::string::npos);
}

}  // namespace
}  // namespace dolmetsch::store
