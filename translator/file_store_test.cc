#include "translator/file_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

namespace dolmetsch::translator {
namespace {

namespace fs = std::filesystem;

TEST(FileStoreTest, TokensAre128RandomBits) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    auto token = RandomToken();
    ASSERT_TRUE(token.ok());
    ASSERT_EQ(token->size(), 32u);
    EXPECT_EQ(token->find_first_not_of("0123456789abcdef"), std::string::npos);
    seen.insert(*token);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(FileStoreTest, PutGetExpireAndQuota) {
  auto store = FileStore::Open({.dir = "", .ttl_seconds = 0.3, .quota_bytes = 10});
  ASSERT_TRUE(store.ok());
  auto a = (*store)->Put("a.txt", "12345");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(*(*store)->Get(a->token, "a.txt"), "12345");
  EXPECT_EQ((*store)->Get(a->token, "b.txt").status().code(), Status::Code::kNotFound);
  EXPECT_EQ((*store)->Get(std::string(32, '0'), "a.txt").status().code(), Status::Code::kNotFound);
  EXPECT_TRUE((*store)->Fits(5));
  EXPECT_FALSE((*store)->Fits(6));
  auto full = (*store)->Put("b.txt", "123456");
  EXPECT_EQ(full.status().code(), Status::Code::kResourceExhausted);
  EXPECT_NE(full.status().message().find("--files-quota-mib"), std::string::npos);
  EXPECT_EQ((*store)->used_bytes(), 5u);
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  (*store)->Sweep();
  EXPECT_EQ((*store)->files(), 0u);
  EXPECT_EQ((*store)->used_bytes(), 0u);
  EXPECT_FALSE(fs::exists(fs::path((*store)->dir()) / a->token));
  EXPECT_TRUE((*store)->Put("b.txt", "123456").ok());  // room again
}

TEST(FileStoreTest, LeftoversOfAnEarlierRunAreDeletedAndAPrivateFolderGoesWithTheStore) {
  const std::string dir = ::testing::TempDir() + "dolmetsch-files-leftover-" + std::to_string(::getpid());
  fs::create_directories(dir + "/0123456789abcdef0123456789abcdef");
  std::ofstream(dir + "/0123456789abcdef0123456789abcdef/old.txt") << "old";
  std::ofstream(dir + "/keep.me") << "not ours";
  {
    auto store = FileStore::Open({.dir = dir});
    ASSERT_TRUE(store.ok());
    EXPECT_FALSE(fs::exists(dir + "/0123456789abcdef0123456789abcdef"));
    EXPECT_TRUE(fs::exists(dir + "/keep.me"));
    auto a = (*store)->Put("x.txt", "1");
    auto b = (*store)->Put("x.txt", "2");
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_NE(a->token, b->token);
    EXPECT_EQ(*(*store)->Get(b->token, "x.txt"), "2");
  }
  EXPECT_TRUE(fs::exists(dir + "/keep.me"));
  EXPECT_FALSE(fs::exists(dir + "/0123456789abcdef0123456789abcdef"));
  fs::remove_all(dir);
  std::string private_dir;
  {
    auto store = FileStore::Open({});
    ASSERT_TRUE(store.ok());
    private_dir = (*store)->dir();
    EXPECT_TRUE(fs::is_directory(private_dir));
  }
  EXPECT_FALSE(fs::exists(private_dir));
  EXPECT_FALSE(FileStore::Open({.dir = "/proc/dolmetsch-cannot-be-here"}).ok());
}

}  // namespace
}  // namespace dolmetsch::translator
