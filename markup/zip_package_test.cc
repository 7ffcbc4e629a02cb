#include "markup/zip_package.h"

#include <gtest/gtest.h>

#include "markup/office_testing.h"

namespace dolmetsch::markup {
namespace {

TEST(ZipPackageTest, WriterAndReaderRoundTripInOrderWithMethods) {
  ZipWriter writer;
  ASSERT_TRUE(writer.Add("mimetype", "application/epub+zip", /*stored=*/true).ok());
  ASSERT_TRUE(writer.Add("OEBPS/a.xhtml", std::string(5000, 'a')).ok());
  ASSERT_TRUE(writer.Add("empty", "").ok());
  auto bytes = writer.Finish();
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  auto p = ZipPackage::Open(*bytes);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  const auto& e = (*p)->entries();
  ASSERT_EQ(e.size(), 3u);
  EXPECT_EQ(e[0].name, "mimetype");
  EXPECT_TRUE(e[0].stored);
  EXPECT_FALSE(e[1].stored);
  EXPECT_LT(e[1].compressed_size, 200u);
  EXPECT_EQ(*(*p)->Read("OEBPS/a.xhtml"), std::string(5000, 'a'));
  EXPECT_EQ(*(*p)->Read("empty"), "");
  EXPECT_EQ((*p)->Read("nope").status().code(), Status::Code::kNotFound);
}

TEST(ZipPackageTest, ReplaceKeepsPositionMethodAndOtherEntriesRaw) {
  const std::string in = testing::Zip({{"mimetype", "application/vnd.oasis.opendocument.text"},
                                       {"content.xml", "<a>alt</a>"},
                                       {"Pictures/p.png", std::string(3000, 'p')}},
                                      /*stored_first=*/true);
  auto p = ZipPackage::Open(in);
  ASSERT_TRUE(p.ok());
  ASSERT_TRUE((*p)->Replace("content.xml", "<a>neu</a>").ok());
  EXPECT_EQ((*p)->Replace("missing.xml", "x").code(), Status::Code::kNotFound);
  auto out = (*p)->Write();
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  auto q = ZipPackage::Open(*out);
  ASSERT_TRUE(q.ok());
  ASSERT_EQ((*q)->entries().size(), 3u);
  EXPECT_EQ((*q)->entries()[0].name, "mimetype");
  EXPECT_TRUE((*q)->entries()[0].stored);
  EXPECT_EQ(*(*q)->Read("content.xml"), "<a>neu</a>");
  EXPECT_EQ(*(*q)->Read("Pictures/p.png"), std::string(3000, 'p'));
  EXPECT_EQ((*q)->entries()[2].compressed_size, (*p)->entries()[2].compressed_size);
  // Unchanged package: the same entries come back.
  auto r = ZipPackage::Open(in);
  ASSERT_TRUE(r.ok());
  auto same = (*r)->Write();
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(*(*ZipPackage::Open(*same))->Read("content.xml"), "<a>alt</a>");
}

TEST(ZipPackageTest, EntryNames) {
  EXPECT_TRUE(CheckEntryName("word/document.xml").ok());
  EXPECT_TRUE(CheckEntryName("a..b/c").ok());
  for (const char* bad : {"", "..", "../x", "a/../../x", "a/..", "/abs", "C:/x", "c:x", "a\\b"})
    EXPECT_FALSE(CheckEntryName(bad).ok()) << bad;
}

TEST(ZipPackageTest, LimitsNameTheEntryAndTheLimit) {
  ZipLimits limits;
  limits.max_entry_bytes = 1000;
  const std::string in = testing::Zip({{"big.xml", std::string(2000, 'x')}});
  auto p = ZipPackage::Open(in, limits);
  ASSERT_TRUE(p.ok());
  const Status s = (*p)->Read("big.xml").status();
  EXPECT_EQ(s.code(), Status::Code::kResourceExhausted);
  EXPECT_NE(s.message().find("\"big.xml\" unpacks to 2000 bytes; the limit for one entry is 1000"),
            std::string::npos)
      << s.message();
  // A duplicate name is refused.
  const std::string dup = testing::RawZip({{"a", "1"}, {"a", "2"}});
  if (!dup.empty()) {  // libzip may itself refuse to write it
    auto d = ZipPackage::Open(dup);
    if (!d.ok()) {
      EXPECT_NE(d.status().message().find("\"a\""), std::string::npos) << d.status().message();
    }
  }
}

TEST(ZipPackageTest, DataBeyondTheDeclaredSizeIsRefused) {
  std::string in = testing::Zip({{"lie.xml", std::string(5000, 'a')}});
  ASSERT_GE(in.size(), 22u + 46u);
  auto put32 = [&](std::size_t at, std::uint32_t v) {
    for (int k = 0; k < 4; ++k) in[at + k] = static_cast<char>((v >> (8 * k)) & 0xff);
  };
  auto get32 = [&](std::size_t at) {
    std::uint32_t v = 0;
    for (int k = 3; k >= 0; --k) v = (v << 8) | static_cast<unsigned char>(in[at + k]);
    return v;
  };
  const std::size_t eocd = in.size() - 22;  // no archive comment
  ASSERT_EQ(get32(eocd), 0x06054b50u);
  const std::size_t central = get32(eocd + 16);
  ASSERT_EQ(get32(central), 0x02014b50u);
  ASSERT_EQ(get32(0), 0x04034b50u);
  put32(central + 24, 100);  // the central directory and the local header both claim 100 bytes
  put32(22, 100);
  auto p = ZipPackage::Open(in);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ASSERT_EQ((*p)->entries()[0].size, 100u);
  const Status s = (*p)->Read("lie.xml").status();
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(s.message().find("\"lie.xml\""), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("more than its declared 100 bytes"), std::string::npos) << s.message();
}

TEST(ZipPackageTest, DamagedDataIsAnErrorNotACrash) {
  std::string in = testing::Zip({{"a.xml", std::string(20000, 'q') + "Ende"}});
  ASSERT_FALSE(in.empty());
  // Flip bytes inside the compressed data (after the 30-byte local header and the name).
  for (std::size_t i = 40; i < 60 && i < in.size(); ++i) in[i] = static_cast<char>(in[i] ^ 0x5a);
  auto p = ZipPackage::Open(in);
  if (!p.ok()) return;  // refused at opening: fine
  const Status s = (*p)->Read("a.xml").status();
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("a.xml"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace dolmetsch::markup
