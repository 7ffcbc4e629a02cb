#include "hub/digest.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

namespace dolmetsch::hub {
namespace {

std::filesystem::path WriteTemp(const std::string& name, const std::string& content) {
  auto path =
      std::filesystem::temp_directory_path() / ("dolmetsch_digest_test_" + std::to_string(getpid()) + name);
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

TEST(Digest, Sha256KnownVectors) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Digest, StreamEqualsOneShotAndResets) {
  Sha256Stream stream;
  stream.Update("a", 1);
  stream.Update("bc", 2);
  EXPECT_EQ(stream.FinishHex(), Sha256Hex("abc"));
  stream.Update("abc", 3);  // FinishHex reset the stream
  EXPECT_EQ(stream.FinishHex(), Sha256Hex("abc"));
  stream.Update("zzz", 3);
  stream.Reset();
  EXPECT_EQ(stream.FinishHex(), Sha256Hex(""));
}

TEST(Digest, GitBlobSha1MatchesGitHashObject) {
  // `printf 'hello\n' | git hash-object --stdin` and the empty blob.
  EXPECT_EQ(GitBlobSha1Hex("hello\n"), "ce013625030ba8dba906f756967f9e9ca394464a");
  EXPECT_EQ(GitBlobSha1Hex(""), "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391");
}

TEST(Digest, FilesHashLikeStrings) {
  std::string content(3 << 20, 'x');  // several read chunks
  content[12345] = 'y';
  auto path = WriteTemp("big", content);
  EXPECT_EQ(Sha256OfFile(path).value(), Sha256Hex(content));
  EXPECT_EQ(GitBlobSha1OfFile(path).value(), GitBlobSha1Hex(content));
  Sha256Stream prefix;
  ASSERT_TRUE(HashFilePrefix(path, 1000, prefix).ok());
  EXPECT_EQ(prefix.FinishHex(), Sha256Hex(content.substr(0, 1000)));
  Sha256Stream too_long;
  EXPECT_EQ(HashFilePrefix(path, content.size() + 1, too_long).code(), Status::Code::kIoError);
  std::filesystem::remove(path);
}

TEST(Digest, MissingFileIsIoErrorNamingIt) {
  auto status = Sha256OfFile("/nonexistent/dolmetsch/file.bin").status();
  EXPECT_EQ(status.code(), Status::Code::kIoError);
  EXPECT_NE(status.message().find("/nonexistent/dolmetsch/file.bin"), std::string::npos);
  EXPECT_EQ(GitBlobSha1OfFile("/nonexistent/x").status().code(), Status::Code::kIoError);
}

TEST(Digest, HexShapeChecks) {
  EXPECT_TRUE(IsSha256Hex(std::string(64, 'a')));
  EXPECT_TRUE(IsSha256Hex(std::string(64, 'F')));
  EXPECT_FALSE(IsSha256Hex(std::string(63, 'a')));
  EXPECT_FALSE(IsSha256Hex(std::string(64, 'g')));
  EXPECT_TRUE(IsSha1Hex(std::string(40, '0')));
  EXPECT_FALSE(IsSha1Hex(std::string(64, '0')));
  EXPECT_FALSE(IsSha1Hex(""));
}

}  // namespace
}  // namespace dolmetsch::hub
