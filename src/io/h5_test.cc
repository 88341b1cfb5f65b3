// Tests of the internal HDF5 plumbing: every value type round-trips through a file image, and
// shape and type mismatches are IoErrors naming the dataset.
#include "io/h5.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <limits>

#include "rnnatlas/error.h"

namespace rnnatlas::h5 {
namespace {

using ::testing::HasSubstr;

std::vector<unsigned char> example_image() {
  ImageWriter writer;
  const Node& root = writer.root();
  write_attribute(root, "format", "rnnatlas.test");
  write_attribute(root, "format_version", 2);
  write_attribute(root, "flag", true);
  write_attribute(root, "big", std::uint64_t{1} << 63);
  write_attribute(root, "x", -0.125);
  const Node group = create_group(root, "group");
  Eigen::MatrixXd m(2, 3);
  m << 1, 2, 3, 4, 5, std::numeric_limits<double>::quiet_NaN();
  write_matrix(group, "m", m);
  Eigen::MatrixXi mi(3, 2);
  mi << 1, -2, 3, -4, 5, -6;
  write_matrix(group, "mi", mi);
  write_vector(group, "v", Eigen::VectorXd::LinSpaced(4, 0.0, 1.0).eval());
  write_vector(group, "vi", std::vector<int>{7, -8, 9});
  write_vector(group, "flags", std::vector<bool>{true, false, true});
  write_strings(group, "names", {"gru", "lstm", "", "ünïcode"});
  write_vector(group, "empty", std::vector<double>{});
  return writer.finish();
}

TEST(H5, EveryValueTypeRoundTrips) {
  const ImageReader reader(example_image());
  const Node& root = reader.root();
  EXPECT_EQ(check_format(root, "rnnatlas.test", 2, "test file"), 2);
  EXPECT_TRUE(read_bool(root, "flag"));
  EXPECT_EQ(read_uint64(root, "big"), std::uint64_t{1} << 63);
  EXPECT_EQ(read_double(root, "x"), -0.125);
  const Node group = open_group(root, "group");
  const Eigen::MatrixXd m = read_matrix(group, "m", 2, 3);
  EXPECT_EQ(m(0, 2), 3.0);  // row-major order preserved
  EXPECT_EQ(m(1, 0), 4.0);
  EXPECT_TRUE(std::isnan(m(1, 2)));
  const Eigen::MatrixXi mi = read_int_matrix(group, "mi", 3, 2);
  EXPECT_EQ(mi(2, 1), -6);
  EXPECT_EQ(mi(0, 1), -2);
  EXPECT_EQ(read_vector(group, "v", 4)(3), 1.0);
  EXPECT_EQ(read_int_vector(group, "vi")(1), -8);
  EXPECT_EQ(read_bool_vector(group, "flags"), (std::vector<bool>{true, false, true}));
  EXPECT_EQ(read_strings(group, "names"), (std::vector<std::string>{"gru", "lstm", "", "ünïcode"}));
  EXPECT_EQ(read_vector(group, "empty").size(), 0);
  EXPECT_EQ(child_names(group),
            (std::vector<std::string>{"empty", "flags", "m", "mi", "names", "v", "vi"}));
  EXPECT_EQ(attribute_names(root),
            (std::vector<std::string>{"big", "flag", "format", "format_version", "x"}));
}

TEST(H5, MismatchesAreIoErrorsNamingThePath) {
  const ImageReader reader(example_image());
  const Node group = open_group(reader.root(), "group");
  const auto message = [](auto&& f) {
    try {
      f();
    } catch (const IoError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_THAT(message([&] { read_matrix(group, "m", 3, 3); }),
              HasSubstr("/group/m has shape [2, 3], expected [3, 3]"));
  EXPECT_THAT(message([&] { read_vector(group, "m"); }), HasSubstr("expected [n]"));
  EXPECT_THAT(message([&] { read_int_vector(group, "v"); }), HasSubstr("must hold integers"));
  EXPECT_THAT(message([&] { read_bool_vector(group, "vi"); }), HasSubstr("must hold 0 or 1"));
  EXPECT_THAT(message([&] { read_matrix(group, "absent"); }),
              HasSubstr("missing dataset /group/absent"));
  EXPECT_THAT(message([&] { open_group(group, "nope"); }), HasSubstr("missing group /group/nope"));
  EXPECT_THAT(message([&] { read_int(reader.root(), "big"); }), HasSubstr("out of range"));
  EXPECT_THAT(message([&] { check_format(reader.root(), "rnnatlas.test", 1, "test file"); }),
              HasSubstr("newer rnnatlas (format version 2 > 1"));
  EXPECT_THAT(message([&] { check_format(reader.root(), "other", 9, "other file"); }),
              HasSubstr("not an other file"));
}

TEST(H5, GarbageAndEmptyImagesAreRejected) {
  std::vector<unsigned char> image = example_image();
  image.resize(image.size() / 2);
  EXPECT_THROW(ImageReader{image}, IoError);
  EXPECT_THROW(ImageReader{std::vector<unsigned char>{}}, IoError);
  EXPECT_THROW(ImageReader{std::vector<unsigned char>(100, 'x')}, IoError);
}

TEST(H5, AtomicWriteReplacesAndLeavesNoTemporaryFiles) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("rnnatlas_h5_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "x.h5").string();
  write_file_atomically(path, {1, 2, 3});
  write_file_atomically(path, {4, 5});
  EXPECT_EQ(read_file(path), (std::vector<unsigned char>{4, 5}));
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir), {}), 1);
  EXPECT_THROW(read_file((dir / "absent").string()), IoError);
  EXPECT_THROW(write_file_atomically((dir / "no" / "such" / "dir.h5").string(), {1}), IoError);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace rnnatlas::h5
