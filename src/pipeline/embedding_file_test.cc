// Embedding files: exact round trip, clusters in the canonical label order, and loads that reject
// foreign and damaged files naming the path and the problem.
#include "rnnatlas/pipeline/embedding_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "io/h5.h"
#include "rnnatlas/error.h"

namespace rnnatlas::embedding {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::HasSubstr;

class EmbeddingFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("rnnatlas_embedding_file_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  fs::path dir_;
};

EmbeddingFile example() {
  EmbeddingFile f;
  f.metric = "cka";
  f.network_ids = {"a", "b", "c", "d"};
  f.classical.resize(4, 2);
  f.classical << 1, 2, 3, 4, 5, 6, 7, 8.5;
  f.classical_eigenvalues = Eigen::Vector4d(3.0, 1.0, 0.0, -0.25);
  f.smacof = f.classical * 0.5;
  f.stress = 0.125;
  f.normalized_stress = 0.0625;
  // Deliberately not in name order: the file lists groups by name, the loader restores this order.
  f.clusters = {
      {.label = "cell", .n_groups = 2, .k = 3, .stats = {0.5, 0.01, 0.75, 0.02, 0.5, 99}},
      {.label = "n_hidden", .n_groups = 3, .k = 3, .stats = {-0.1, 0.9, 0.25, 0.8, 0.5, 99}},
      {.label = "l2", .n_groups = 2, .k = 3, .stats = {0.0, 1.0, 0.5, 1.0, 0.5, 0}}};
  f.options = {{"distances_digest", std::string("00ff")}, {"seed", std::uint64_t{3}}};
  return f;
}

TEST_F(EmbeddingFileTest, RoundTripsEveryFieldExactly) {
  const EmbeddingFile f = example();
  save_embedding_file(path("e.h5"), f);
  const EmbeddingFile g = load_embedding_file(path("e.h5"));
  EXPECT_EQ(g.metric, f.metric);
  EXPECT_EQ(g.network_ids, f.network_ids);
  EXPECT_EQ(g.classical, f.classical);
  EXPECT_EQ(g.classical_eigenvalues, f.classical_eigenvalues);
  EXPECT_EQ(g.smacof, f.smacof);
  EXPECT_EQ(g.stress, f.stress);
  EXPECT_EQ(g.normalized_stress, f.normalized_stress);
  EXPECT_EQ(g.options, f.options);
  ASSERT_EQ(g.clusters.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    const LabelClusters& a = f.clusters[i];
    const LabelClusters& b = g.clusters[i];
    EXPECT_EQ(b.label, a.label);
    EXPECT_EQ(b.n_groups, a.n_groups);
    EXPECT_EQ(b.k, a.k);
    EXPECT_EQ(b.stats.silhouette, a.stats.silhouette);
    EXPECT_EQ(b.stats.silhouette_p_value, a.stats.silhouette_p_value);
    EXPECT_EQ(b.stats.knn_accuracy, a.stats.knn_accuracy);
    EXPECT_EQ(b.stats.knn_p_value, a.stats.knn_p_value);
    EXPECT_EQ(b.stats.majority_accuracy, a.stats.majority_accuracy);
    EXPECT_EQ(b.stats.n_permutations, a.stats.n_permutations);
  }
}

TEST_F(EmbeddingFileTest, SaveRejectsInconsistentContents) {
  const auto message = [&](const EmbeddingFile& f) {
    try {
      save_embedding_file(path("bad.h5"), f);
    } catch (const InvalidArgument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EmbeddingFile f = example();
  f.smacof.conservativeResize(4, 3);
  EXPECT_THAT(message(f), HasSubstr("smacof is [4, 3]; must be [4, 2]"));
  f = example();
  f.classical_eigenvalues.resize(3);
  EXPECT_THAT(message(f), HasSubstr("classical_eigenvalues"));
  f = example();
  f.clusters[1].label = "cell";
  EXPECT_THAT(message(f), HasSubstr("'cell' appears twice"));
  f = example();
  f.network_ids[3] = "a";
  EXPECT_THAT(message(f), HasSubstr("'a' appears twice"));
  EXPECT_FALSE(fs::exists(path("bad.h5")));
}

TEST_F(EmbeddingFileTest, LoadNamesThePathAndTheProblem) {
  const auto message = [&](const std::string& file) {
    try {
      load_embedding_file(file);
    } catch (const IoError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_THAT(message(path("missing.h5")),
              AllOf(HasSubstr("cannot read embedding file"), HasSubstr("missing.h5")));
  // A file without the smacof coordinates.
  std::vector<unsigned char> bytes;
  {
    h5::ImageWriter writer;
    const h5::Node& root = writer.root();
    h5::write_attribute(root, "format", "rnnatlas.embedding");
    h5::write_attribute(root, "format_version", 1);
    h5::write_attribute(root, "library_version", "0");
    h5::write_attribute(root, "created", "0");
    h5::write_attribute(root, "metric", "cka");
    h5::write_attribute(root, "stress", 0.0);
    h5::write_attribute(root, "normalized_stress", 0.0);
    h5::write_strings(root, "network_ids", {"a", "b"});
    h5::write_matrix(root, "classical", Eigen::MatrixXd(Eigen::MatrixXd::Zero(2, 2)));
    h5::write_vector(root, "classical_eigenvalues", Eigen::VectorXd(Eigen::VectorXd::Zero(2)));
    bytes = writer.finish();
  }
  h5::write_file_atomically(path("partial.h5"), bytes);
  EXPECT_THAT(message(path("partial.h5")), AllOf(HasSubstr("partial.h5"), HasSubstr("smacof")));
  // A distance file is not an embedding file.
  similarity::DistanceFile d;
  d.metric = "cka";
  d.network_ids = {"a", "b"};
  d.distances = Eigen::MatrixXd::Zero(2, 2);
  d.labels = {{"gru", "gru"}, {"tanh", "tanh"}, {8, 8}, {0, 0}, {0, 0}, {0, 1}};
  similarity::save_distance_file(path("cka.h5"), d);
  EXPECT_THAT(message(path("cka.h5")), HasSubstr("rnnatlas.distances"));
}

}  // namespace
}  // namespace rnnatlas::embedding
