#include "common/files.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "rnnatlas/error.h"

namespace rnnatlas::internal {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class FilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("rnnatlas_files_test_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    fs::permissions(dir_, fs::perms::owner_all, fs::perm_options::add);
    fs::remove_all(dir_);
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  int n_entries() const {
    return static_cast<int>(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()));
  }

  fs::path dir_;
};

TEST_F(FilesTest, WritesReplacesAndReadsBackEveryByte) {
  const std::string bytes("a\0b\nc\xff", 6);  // a NUL and a non-ASCII byte survive
  write_file_atomically(path("f"), bytes);
  EXPECT_EQ(read_text_file(path("f")), bytes);
  write_file_atomically(path("f"), "second");
  EXPECT_EQ(read_text_file(path("f")), "second");
  write_file_atomically(path("empty"), "");
  EXPECT_EQ(read_text_file(path("empty")), "");
  EXPECT_EQ(n_entries(), 2);  // no temporary file is left
}

TEST_F(FilesTest, AFailedWriteLeavesTheOldFileAndNoTemporary) {
  write_file_atomically(path("f"), "old");
  fs::create_directory(path("d"));
  // A directory cannot be replaced by a file: the rename fails after the temporary was written.
  EXPECT_THROW(write_file_atomically(path("d"), "new"), IoError);
  EXPECT_TRUE(fs::is_directory(path("d")));
  try {
    write_file_atomically(path("missing/f"), "new");
    FAIL() << "no error for a missing directory";
  } catch (const IoError& e) {
    EXPECT_THAT(e.what(), HasSubstr("missing/f.tmp-"));
  }
  EXPECT_EQ(read_text_file(path("f")), "old");
  EXPECT_EQ(n_entries(), 2);  // f and d
}

TEST_F(FilesTest, ReadErrorsNameThePathAndTheReason) {
  try {
    read_text_file(path("nope"));
    FAIL() << "no error for a missing file";
  } catch (const IoError& e) {
    EXPECT_THAT(e.what(), HasSubstr("cannot read '" + path("nope") + "': no such file"));
  }
  try {
    read_text_file(dir_.string());
    FAIL() << "no error for a directory";
  } catch (const IoError& e) {
    EXPECT_THAT(e.what(), HasSubstr("is a directory"));
  }
}

}  // namespace
}  // namespace rnnatlas::internal
