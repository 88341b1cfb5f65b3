// Tests of the output checks: writable places pass and are left as they were; every way a path
// can be unwritable (a directory, a missing directory, a regular file in the way, a file system
// that refuses new files even to root) is an IoError naming the path and the problem.
#include "rnnatlas/io/output_path.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "rnnatlas/error.h"

namespace rnnatlas {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::HasSubstr;

class OutputPathTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("rnnatlas_output_path_test_" +
            std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    std::ofstream(dir_ / "file") << "x";
  }
  void TearDown() override { fs::remove_all(dir_); }

  /// The names in the test directory, to show that a check left nothing behind.
  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir_)) names.push_back(entry.path().filename());
    std::sort(names.begin(), names.end());
    return names;
  }

  template <typename Check>
  static std::string error_of(Check check, const std::string& path) {
    try {
      check(path);
    } catch (const IoError& e) {
      return e.what();
    }
    return "no error";
  }

  fs::path dir_;
};

TEST_F(OutputPathTest, AWritableFilePassesAndLeavesNothing) {
  EXPECT_NO_THROW(check_file_writable((dir_ / "net.h5").string()));
  EXPECT_NO_THROW(check_file_writable((dir_ / "file").string()));  // replacing a file is fine
  EXPECT_EQ(entries(), std::vector<std::string>{"file"});
}

TEST_F(OutputPathTest, ADirectoryIsNotAFileName) {
  EXPECT_THAT(
      error_of(check_file_writable, dir_.string()),
      AllOf(HasSubstr(dir_.string()), HasSubstr("is a directory"), HasSubstr("give a file name")));
}

TEST_F(OutputPathTest, AMissingDirectoryIsNamed) {
  const fs::path path = dir_ / "no" / "such" / "net.h5";
  EXPECT_THAT(error_of(check_file_writable, path.string()),
              AllOf(HasSubstr((dir_ / "no" / "such").string()), HasSubstr("does not exist")));
}

TEST_F(OutputPathTest, ARegularFileInThePathIsNamed) {
  const fs::path path = dir_ / "file" / "sub" / "net.h5";
  EXPECT_THAT(error_of(check_file_writable, path.string()),
              AllOf(HasSubstr((dir_ / "file").string() + "' is a file, not a directory")));
  EXPECT_THAT(error_of(check_directory_writable, (dir_ / "file" / "sweep").string()),
              HasSubstr((dir_ / "file").string() + "' is a file, not a directory"));
  EXPECT_THAT(error_of(check_directory_writable, (dir_ / "file").string()),
              HasSubstr("is a file, not a directory"));
  EXPECT_EQ(entries(), std::vector<std::string>{"file"});
}

// /proc refuses new files to every user, root included, so the probe (not a permission bit) is
// what finds the problem.
TEST_F(OutputPathTest, AFileSystemThatRefusesNewFilesIsReportedWithItsReason) {
  ASSERT_TRUE(fs::is_directory("/proc/self"));
  EXPECT_THAT(error_of(check_file_writable, "/proc/self/net.h5"),
              AllOf(HasSubstr("no file can be created in '/proc/self'"),
                    HasSubstr("choose a writable directory")));
  EXPECT_THAT(error_of(check_directory_writable, "/proc/self"),
              HasSubstr("no file can be created in '/proc/self'"));
  // A directory that does not exist yet is checked where it would be created.
  EXPECT_THAT(error_of(check_directory_writable, "/proc/self/new_sweep/deeper"),
              HasSubstr("no file can be created in '/proc/self'"));
}

TEST_F(OutputPathTest, AWritableOrCreatableDirectoryPassesAndLeavesNothing) {
  EXPECT_NO_THROW(check_directory_writable(dir_.string()));
  EXPECT_NO_THROW(check_directory_writable((dir_ / "new" / "sweep").string()));
  EXPECT_EQ(entries(), std::vector<std::string>{"file"});
}

TEST_F(OutputPathTest, AnEmptyPathIsACallerMistake) {
  EXPECT_THROW(check_file_writable(""), InvalidArgument);
  EXPECT_THROW(check_directory_writable(""), InvalidArgument);
}

}  // namespace
}  // namespace rnnatlas
