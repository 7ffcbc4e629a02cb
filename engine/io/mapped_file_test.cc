#include "engine/io/mapped_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace dolmetsch::engine {
namespace {

// A file of `size` bytes with a position-dependent pattern, written in one large write (the case that
// puts it in large page-cache folios), removed at the end of the test.
class PatternFile {
 public:
  explicit PatternFile(size_t size) {
    path_ = (std::filesystem::temp_directory_path() /
             ("dolmetsch_mapped_file_test_" + std::to_string(::getpid()) + "_" + std::to_string(size)))
                .string();
    bytes_.resize(size);
    for (size_t i = 0; i < size; ++i) bytes_[i] = static_cast<char>((i * 7 + i / 4096) & 0xff);
    std::ofstream(path_, std::ios::binary).write(bytes_.data(), static_cast<std::streamsize>(size));
  }
  ~PatternFile() { std::filesystem::remove(path_); }
  const std::string& path() const { return path_; }
  const std::vector<char>& bytes() const { return bytes_; }

 private:
  std::string path_;
  std::vector<char> bytes_;
};

TEST(MappedFileTest, CopyOutReadsTheFileAtAnyOffsetAndSurvivesDroppedPages) {
  PatternFile file(3 * 1024 * 1024 + 123);
  StatusOr<MappedFile> mapped = MappedFile::Open(file.path());
  ASSERT_TRUE(mapped.ok()) << mapped.status().ToString();
  const std::string_view view = mapped->bytes();
  ASSERT_EQ(view.size(), file.bytes().size());
  mapped->DropAllPages();  // the view stays valid; CopyOut does not need it resident
  for (size_t offset :
       {size_t{0}, size_t{1}, size_t{4095}, size_t{2 * 1024 * 1024 - 3}, view.size() - 2048}) {
    std::vector<char> got(2048, 0);
    mapped->CopyOut(view.data() + offset, got.size(), got.data());
    ASSERT_EQ(0, std::memcmp(got.data(), file.bytes().data() + offset, got.size())) << offset;
    EXPECT_TRUE(mapped->Contains(view.data() + offset));
  }
  EXPECT_FALSE(mapped->Contains(view.data() + view.size()));
  EXPECT_FALSE(mapped->Contains(nullptr));
  // Still readable through the mapping after the drop (pages come back from the file).
  EXPECT_EQ(0, std::memcmp(view.data(), file.bytes().data(), view.size()));
}

TEST(MappedFileTest, MovedFromKeepsNothingAndTheMoveTargetStillCopiesOut) {
  PatternFile file(10000);
  StatusOr<MappedFile> mapped = MappedFile::Open(file.path());
  ASSERT_TRUE(mapped.ok());
  MappedFile moved = std::move(mapped).value();
  MappedFile target;
  target = std::move(moved);
  EXPECT_TRUE(moved.bytes().empty());
  char got[100];
  target.CopyOut(target.bytes().data() + 5000, sizeof got, got);
  EXPECT_EQ(0, std::memcmp(got, file.bytes().data() + 5000, sizeof got));
}

}  // namespace
}  // namespace dolmetsch::engine
