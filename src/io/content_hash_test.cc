// Tests of the content hash: the published FNV-1a 64 test values, files hashed in chunks agree
// with the hash of their bytes, and one changed byte changes the hash.
#include "rnnatlas/io/content_hash.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "rnnatlas/error.h"

namespace rnnatlas {
namespace {

namespace fs = std::filesystem;

TEST(ContentHashTest, MatchesTheFnv1a64ReferenceValues) {
  EXPECT_EQ(content_hash(""), "cbf29ce484222325");
  EXPECT_EQ(content_hash("a"), "af63dc4c8601ec8c");
  EXPECT_EQ(content_hash("foobar"), "85944171f73967e8");
}

TEST(ContentHashTest, FileHashIsTheHashOfItsBytesAndSeesOneChangedByte) {
  const fs::path path = fs::temp_directory_path() /
                        ("rnnatlas_content_hash_test_" +
                         std::to_string(::testing::UnitTest::GetInstance()->random_seed()));
  std::string bytes(200000, '\0');  // several read chunks
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 7 % 251);
  std::ofstream(path, std::ios::binary) << bytes;
  const std::string hash = file_content_hash(path.string());
  EXPECT_EQ(hash, content_hash(bytes));
  EXPECT_TRUE(is_content_hash(hash));
  bytes[123456] ^= 1;
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
  EXPECT_NE(file_content_hash(path.string()), hash);
  fs::remove(path);
  EXPECT_THROW(
      {
        try {
          file_content_hash(path.string());
        } catch (const IoError& e) {
          EXPECT_THAT(e.what(), ::testing::HasSubstr(path.string()));
          throw;
        }
      },
      IoError);
}

TEST(ContentHashTest, RecognisesItsOwnForm) {
  EXPECT_TRUE(is_content_hash("0123456789abcdef"));
  EXPECT_FALSE(is_content_hash(""));
  EXPECT_FALSE(is_content_hash("0123456789ABCDEF"));
  EXPECT_FALSE(is_content_hash("0123456789abcde"));
}

}  // namespace
}  // namespace rnnatlas
