#include "translator/document.h"

#include <gtest/gtest.h>

namespace dolmetsch::translator {
namespace {

TEST(DocumentTest, SplitsSentencesAndKeepsGaps) {
  std::string text = "  Das ist gut. Das auch!\n\n• Punkt eins\nEnde.  ";
  SplitText split = SplitDocument(text, 1000);
  ASSERT_GE(split.sentences.size(), 3u);
  EXPECT_EQ(split.sentences[0], "Das ist gut.");
  EXPECT_EQ(split.gaps[0], "  ");
  EXPECT_EQ(split.gaps.size(), split.sentences.size() + 1);
  EXPECT_EQ(Join(split, split.sentences), text);
  std::vector<std::string> upper;
  for (size_t i = 0; i < split.sentences.size(); ++i) upper.push_back("S" + std::to_string(i));
  std::string joined = Join(split, upper);
  EXPECT_EQ(joined.substr(0, 4), "  S0");
  EXPECT_NE(joined.find("\n\n• S2"), std::string::npos) << joined;  // the list marker is copied
  EXPECT_EQ(joined.substr(joined.size() - 2), "  ");
}

TEST(DocumentTest, EmptyAndWhitespaceOnly) {
  EXPECT_TRUE(SplitDocument("", 1000).sentences.empty());
  SplitText ws = SplitDocument(" \n\t", 1000);
  EXPECT_TRUE(ws.sentences.empty());
  EXPECT_EQ(Join(ws, {}), " \n\t");
}

TEST(DocumentTest, LongSentencesAreCapped) {
  std::string text;
  for (int i = 0; i < 200; ++i) text += "wort" + std::to_string(i) + " ";
  SplitText split = SplitDocument(text, 100);
  EXPECT_GT(split.sentences.size(), 5u);
  for (const auto& s : split.sentences) EXPECT_LE(s.size(), 100u);
}

}  // namespace
}  // namespace dolmetsch::translator
