// Distance files: exact round trip of every field and parameter type, atomic writes, and loads
// that reject foreign, newer or damaged files with a message naming the path and the problem.
#include "rnnatlas/pipeline/distance_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "io/h5.h"
#include "rnnatlas/error.h"

namespace rnnatlas::similarity {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::HasSubstr;

class DistanceFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("rnnatlas_distance_file_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  fs::path dir_;
};

DistanceFile example() {
  DistanceFile f;
  f.metric = "svcca";
  f.params = {{"k", std::int64_t{10}},
              {"variance_fraction", 0.0},
              {"rank_tolerance", 1e-7},
              {"kernel", std::string("linear")},
              {"debiased", true},
              {"activity_seed", std::uint64_t{18446744073709551615ULL}},
              {"first_step", std::int64_t{-3}}};
  f.network_ids = {"0000-gru-tanh-h8-s0", "0001-lstm-relu-h16-s1", "0002-vanilla-tanh-h8-s2"};
  f.distances.resize(3, 3);
  f.distances << 0.0, 0.25, 1.0 / 3.0, 0.25, 0.0, 0.5, 1.0 / 3.0, 0.5, 0.0;
  f.labels.cell = {"gru", "lstm", "vanilla"};
  f.labels.activation = {"tanh", "relu", "tanh"};
  f.labels.n_hidden = {8, 16, 8};
  f.labels.l2 = {0.0, 1e-4, 1e-5};
  f.labels.learning_rate = {1e-3, 1e-2, 1e-3};
  f.labels.seed = {0, 1, 2};
  return f;
}

TEST_F(DistanceFileTest, RoundTripsEveryFieldExactly) {
  const DistanceFile f = example();
  save_distance_file(path("svcca.h5"), f);
  const DistanceFile g = load_distance_file(path("svcca.h5"));
  EXPECT_EQ(g.metric, f.metric);
  EXPECT_EQ(g.params, f.params);  // types included: a bool stays a bool, a uint64 a uint64
  EXPECT_EQ(g.network_ids, f.network_ids);
  EXPECT_EQ(g.distances, f.distances);
  EXPECT_EQ(g.labels.cell, f.labels.cell);
  EXPECT_EQ(g.labels.activation, f.labels.activation);
  EXPECT_EQ(g.labels.n_hidden, f.labels.n_hidden);
  EXPECT_EQ(g.labels.l2, f.labels.l2);
  EXPECT_EQ(g.labels.learning_rate, f.labels.learning_rate);
  EXPECT_EQ(g.labels.seed, f.labels.seed);
  EXPECT_FALSE(g.library_version.empty());
  EXPECT_EQ(g.created.size(), 20u);  // 2026-11-29T04:09:03Z
  EXPECT_EQ(g.n_networks(), 3);
  // No temporary file is left behind.
  int n_files = 0;
  for (const auto& entry : fs::directory_iterator(dir_)) n_files += entry.is_regular_file();
  EXPECT_EQ(n_files, 1);
}

TEST_F(DistanceFileTest, ParamValuesPrintForMessages) {
  EXPECT_EQ(to_string(ParamValue{true}), "true");
  EXPECT_EQ(to_string(ParamValue{std::int64_t{-4}}), "-4");
  EXPECT_EQ(to_string(ParamValue{std::uint64_t{7}}), "7");
  EXPECT_EQ(to_string(ParamValue{0.1}), "0.1");
  EXPECT_EQ(to_string(ParamValue{std::string("rbf")}), "rbf");
}

TEST_F(DistanceFileTest, SaveRejectsInconsistentContents) {
  const auto message = [&](const DistanceFile& f) {
    try {
      save_distance_file(path("bad.h5"), f);
    } catch (const InvalidArgument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  DistanceFile f = example();
  f.distances(0, 1) = 0.3;
  EXPECT_THAT(message(f), HasSubstr("not symmetric"));
  f = example();
  f.distances(2, 2) = 0.1;
  EXPECT_THAT(message(f), HasSubstr("diagonal"));
  f = example();
  f.distances.resize(2, 2);
  f.distances.setZero();
  EXPECT_THAT(message(f), HasSubstr("must be [3, 3]"));
  f = example();
  f.network_ids[2] = f.network_ids[0];
  EXPECT_THAT(message(f), HasSubstr("appears twice"));
  f = example();
  f.labels.l2.pop_back();
  EXPECT_THAT(message(f), HasSubstr("labels.l2 has 2 entries for 3 networks"));
  f = example();
  f.metric.clear();
  EXPECT_THAT(message(f), HasSubstr("metric is empty"));
  EXPECT_FALSE(fs::exists(path("bad.h5")));
}

// Writes an image built by `fill` (on a root that already has the identity attributes) to `name`.
template <typename Fill>
std::string write_image(const std::string& file, const char* format, int version, Fill fill) {
  std::vector<unsigned char> bytes;
  {
    h5::ImageWriter writer;
    const h5::Node& root = writer.root();
    h5::write_attribute(root, "format", format);
    h5::write_attribute(root, "format_version", version);
    h5::write_attribute(root, "library_version", "0.0.0");
    h5::write_attribute(root, "created", "2026-01-01T00:00:00Z");
    fill(root);
    bytes = writer.finish();
  }
  h5::write_file_atomically(file, bytes);
  return file;
}

// A complete file whose `distances` is `d` and whose labels have `n_labels` entries.
void fill_distances(const h5::Node& root, const Eigen::MatrixXd& d, int n_labels) {
  h5::write_attribute(root, "metric", "cka");
  h5::create_group(root, "params");
  std::vector<std::string> ids;
  ids.reserve(d.rows());
  for (int i = 0; i < d.rows(); ++i) ids.push_back("n" + std::to_string(i));
  h5::write_strings(root, "network_ids", ids);
  h5::write_matrix(root, "distances", d);
  const h5::Node labels = h5::create_group(root, "labels");
  const std::vector<std::string> text(n_labels, "gru");
  const std::vector<std::int64_t> ints(n_labels, 8);
  const std::vector<double> reals(n_labels, 0.0);
  const std::vector<hsize_t> dims{static_cast<hsize_t>(n_labels)};
  h5::write_strings(labels, "cell", text);
  h5::write_strings(labels, "activation", text);
  h5::write_dataset(labels, "n_hidden", dims, ints.data());
  h5::write_vector(labels, "l2", reals);
  h5::write_vector(labels, "learning_rate", reals);
  h5::write_dataset(labels, "seed", dims, ints.data());
}

TEST_F(DistanceFileTest, LoadRejectsForeignNewerAndDamagedFiles) {
  const auto message = [&](const std::string& file) {
    try {
      load_distance_file(file);
    } catch (const IoError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const Eigen::MatrixXd good = example().distances;
  // A well-formed file built by hand loads (the checks below are what breaks it).
  EXPECT_EQ(message(write_image(path("ok.h5"), "rnnatlas.distances", 1,
                                [&](const h5::Node& r) { fill_distances(r, good, 3); })),
            "no error");
  EXPECT_THAT(message(path("missing.h5")),
              AllOf(HasSubstr("cannot read distance file"), HasSubstr("missing.h5"),
                    HasSubstr("no such file")));
  EXPECT_THAT(message(write_image(path("net.h5"), "rnnatlas.network", 1, [](const h5::Node&) {})),
              HasSubstr("rnnatlas.network"));
  EXPECT_THAT(message(write_image(path("new.h5"), "rnnatlas.distances", 2,
                                  [&](const h5::Node& r) { fill_distances(r, good, 3); })),
              HasSubstr("version"));
  Eigen::MatrixXd asymmetric = good;
  asymmetric(0, 2) += 1e-3;
  EXPECT_THAT(message(write_image(path("asym.h5"), "rnnatlas.distances", 1,
                                  [&](const h5::Node& r) { fill_distances(r, asymmetric, 3); })),
              AllOf(HasSubstr("asym.h5"), HasSubstr("not symmetric")));
  EXPECT_THAT(message(write_image(path("short.h5"), "rnnatlas.distances", 1,
                                  [&](const h5::Node& r) { fill_distances(r, good, 2); })),
              AllOf(HasSubstr("/labels/cell"), HasSubstr("3")));
  EXPECT_THAT(message(write_image(path("nolabels.h5"), "rnnatlas.distances", 1,
                                  [&](const h5::Node& r) {
                                    h5::write_attribute(r, "metric", "cka");
                                    h5::create_group(r, "params");
                                    h5::write_strings(r, "network_ids", {"a", "b", "c"});
                                    h5::write_matrix(r, "distances", good);
                                  })),
              HasSubstr("labels"));
  // Truncated bytes are not a readable HDF5 file.
  {
    std::vector<unsigned char> bytes = h5::read_file(path("ok.h5"));
    bytes.resize(bytes.size() / 2);
    h5::write_file_atomically(path("cut.h5"), bytes);
  }
  EXPECT_THAT(message(path("cut.h5")), HasSubstr("cut.h5"));
}

}  // namespace
}  // namespace rnnatlas::similarity
