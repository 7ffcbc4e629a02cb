#include "engine/io/zip_archive.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "engine/io/numeric_formats.h"

namespace dolmetsch::engine {
namespace {

using ::testing::HasSubstr;

std::string Sample(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 31) % 7);  // compressible, not constant
  return s;
}

TEST(ZipArchiveTest, WriterAndReaderRoundTripInEveryMode) {
  for (ZipWriter::Options options : {ZipWriter::Options{false, false}, ZipWriter::Options{true, false},
                                     ZipWriter::Options{false, true}, ZipWriter::Options{true, true}}) {
    ZipWriter writer(options);
    writer.Add("a/data.pkl", "hello");
    writer.Add("a/data/0", Sample(100000));
    writer.Add("a/empty", "");
    const std::string archive = writer.Finish();
    StatusOr<ZipReader> reader = ZipReader::Open(archive);
    ASSERT_TRUE(reader.ok()) << reader.status().ToString();
    ASSERT_EQ(reader->entries().size(), 3u);
    EXPECT_EQ(reader->Find("nope"), nullptr);
    std::string scratch;
    const ZipEntry* big = reader->Find("a/data/0");
    ASSERT_NE(big, nullptr);
    EXPECT_EQ(big->method, options.deflate ? 8 : 0);
    if (options.deflate) {
      EXPECT_LT(big->compressed_size, 50000u);
    }
    StatusOr<std::string_view> data = reader->Read(*big, &scratch);
    ASSERT_TRUE(data.ok()) << data.status().ToString();
    EXPECT_EQ(*data, Sample(100000));
    StatusOr<std::string_view> hello = reader->Read(*reader->Find("a/data.pkl"), &scratch);
    ASSERT_TRUE(hello.ok());
    EXPECT_EQ(*hello, "hello");
    StatusOr<std::string_view> empty = reader->Read(*reader->Find("a/empty"), &scratch);
    ASSERT_TRUE(empty.ok());
    EXPECT_TRUE(empty->empty());
  }
}

TEST(ZipArchiveTest, EveryTruncationIsRejected) {
  for (bool deflate : {false, true}) {
    ZipWriter writer({deflate, false});
    writer.Add("x", Sample(300));
    const std::string archive = writer.Finish();
    for (size_t n = 0; n < archive.size(); ++n) {
      StatusOr<ZipReader> reader = ZipReader::Open(std::string_view(archive).substr(0, n));
      if (!reader.ok()) continue;
      // The directory may survive a cut at its very end; then reading the data must fail.
      std::string scratch;
      const ZipEntry* e = reader->Find("x");
      if (e) {
        EXPECT_FALSE(reader->Read(*e, &scratch).ok()) << n;
      }
    }
  }
}

// Patches the first central directory entry (offsets as in the zip specification).
std::string PatchCentral(std::string archive, size_t field_offset, const std::string& bytes) {
  const size_t cd = archive.find("PK\x01\x02");
  archive.replace(cd + field_offset, bytes.size(), bytes);
  return archive;
}

std::string U16(uint16_t v) {
  std::string s;
  AppendU16(&s, v);
  return s;
}
std::string U32(uint32_t v) {
  std::string s;
  AppendU32(&s, v);
  return s;
}

TEST(ZipArchiveTest, DamagedArchivesGiveClearErrors) {
  ZipWriter writer({true, false});
  writer.Add("x", Sample(1000));
  const std::string good = writer.Finish();
  std::string scratch;

  auto read_error = [&](const std::string& archive) -> Status {
    StatusOr<ZipReader> reader = ZipReader::Open(archive);
    if (!reader.ok()) return reader.status();
    const ZipEntry* e = reader->Find("x");
    if (!e) return Status::NotFound("x");
    StatusOr<std::string_view> data = reader->Read(*e, &scratch);
    return data.ok() ? Status::Ok() : data.status();
  };
  ASSERT_TRUE(read_error(good).ok());

  // A "zip bomb" claim: 4 GiB from a few bytes is refused before anything is allocated.
  Status bomb = read_error(PatchCentral(good, 24, U32(0xfffffff0u)));
  EXPECT_EQ(bomb.code(), Status::Code::kCorruption);
  EXPECT_THAT(bomb.message(), HasSubstr("more than deflate can produce"));
  // A smaller lie is caught by inflate itself.
  EXPECT_THAT(read_error(PatchCentral(good, 24, U32(5000))).message(),
              HasSubstr("does not give the declared"));
  EXPECT_THAT(read_error(PatchCentral(good, 16, U32(1234))).message(), HasSubstr("CRC-32"));
  EXPECT_EQ(read_error(PatchCentral(good, 8, U16(1))).code(), Status::Code::kUnsupported);  // encrypted
  EXPECT_THAT(read_error(PatchCentral(good, 10, U16(12))).message(), HasSubstr("compression method 12"));
  EXPECT_THAT(read_error(PatchCentral(good, 42, U32(7))).message(), HasSubstr("no local header signature"));
  EXPECT_THAT(read_error(PatchCentral(good, 42, U32(0xfffffff0u))).message(),
              HasSubstr("outside the archive"));
  EXPECT_THAT(read_error(PatchCentral(good, 20, U32(0x7ffffff0u))).message(), HasSubstr("run past the end"));
  EXPECT_THAT(read_error(PatchCentral(good, 28, U16(0xffff))).message(),
              HasSubstr("runs past the directory"));
  EXPECT_THAT(read_error(PatchCentral(good, 0, "PK\x09\x09")).message(), HasSubstr("damaged or truncated"));
  // Sizes marked as zip64 without a zip64 extra field.
  EXPECT_THAT(read_error(PatchCentral(good, 20, U32(0xffffffffu))).message(), HasSubstr("zip64"));

  // End-of-central-directory lies.
  const size_t end = good.rfind("PK\x05\x06");
  std::string many = good;
  many.replace(end + 8, 4, U16(5000) + U16(5000));
  EXPECT_THAT(read_error(many).message(), HasSubstr("claims 5000 entries"));
  std::string far = good;
  far.replace(end + 16, 4, U32(0x7fffffff));
  EXPECT_THAT(read_error(far).message(), HasSubstr("lies outside the archive"));
  std::string disks = good;
  disks.replace(end + 4, 2, U16(1));
  EXPECT_EQ(read_error(disks).code(), Status::Code::kUnsupported);
  std::string z64 = good;
  z64.replace(end + 16, 4, U32(0xffffffffu));
  EXPECT_THAT(read_error(z64).message(), HasSubstr("no zip64 locator"));

  ZipWriter dup;
  dup.Add("x", "1");
  dup.Add("x", "2");
  EXPECT_THAT(read_error(dup.Finish()).message(), HasSubstr("two entries are named 'x'"));
}

TEST(ZipArchiveTest, Zip64RecordsAreCheckedToo) {
  ZipWriter writer({false, true});
  writer.Add("x", Sample(1000));
  const std::string good = writer.Finish();
  ASSERT_TRUE(ZipReader::Open(good).ok());
  const size_t locator = good.rfind("PK\x06\x07");
  std::string bad_pointer = good;
  bad_pointer.replace(locator + 8, 8, std::string("\xff\xff\xff\xff\xff\xff\xff\x0f", 8));
  EXPECT_THAT(ZipReader::Open(bad_pointer).status().message(), HasSubstr("zip64 end record offset"));
  std::string wrong_target = good;
  wrong_target.replace(locator + 8, 8, std::string(8, '\0'));
  EXPECT_THAT(ZipReader::Open(wrong_target).status().message(),
              HasSubstr("does not point to a zip64 end record"));
  const size_t end64 = good.rfind("PK\x06\x06");
  std::string huge_count = good;
  huge_count.replace(end64 + 24, 16, std::string(16, '\x7f'));
  EXPECT_THAT(ZipReader::Open(huge_count).status().message(), HasSubstr("entries"));
}

}  // namespace
}  // namespace dolmetsch::engine
