// embed_population(): the embedding file holds classical MDS, SMACOF and the cluster statistics of
// the distance file's labels, equal to the library calls; it resumes, refreshes a stale file,
// refuses other options without force, and reports a missing distance file clearly.
#include "rnnatlas/pipeline/embed.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "rnnatlas/error.h"
#include "rnnatlas/format.h"
#include "rnnatlas/pipeline/distance_file.h"
#include "testing/random_matrix.h"

namespace rnnatlas::embedding {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::HasSubstr;

class EmbedPopulation : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("rnnatlas_embed_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "similarity");
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string dir() const { return dir_.string(); }

  // 12 points in the plane: 2 cells far apart (shifted further by `shift`), alternating
  // activations and 3 sizes that do not cluster, a single l2.
  similarity::DistanceFile write_distances(double shift = 0.0) const {
    internal::Rng rng(5);
    Eigen::MatrixXd points = testing::random_normal(12, 2, 0.3, rng);
    similarity::DistanceFile f;
    f.metric = "svcca";
    f.params = {{"k", std::int64_t{10}}};
    for (int i = 0; i < 12; ++i) {
      const bool gru = i < 6;
      points(i, 0) += gru ? 0.0 : 3.0 + shift;
      f.network_ids.push_back("net" + std::to_string(i));
      f.labels.cell.emplace_back(gru ? "gru" : "lstm");
      f.labels.activation.emplace_back(i % 2 == 0 ? "tanh" : "relu");
      f.labels.n_hidden.push_back(8 << (i % 3));
      f.labels.l2.push_back(0.0);
      f.labels.learning_rate.push_back(1e-3);
      f.labels.seed.push_back(i);
    }
    f.distances = testing::distances_of(points);
    similarity::save_distance_file(dir() + "/similarity/svcca.h5", f);
    return f;
  }

  fs::path dir_;
};

EmbedOptions fast() {
  EmbedOptions options;
  options.k_neighbors = 3;
  options.n_permutations = 99;
  options.seed = 4;
  return options;
}

TEST_F(EmbedPopulation, WritesMdsAndClusterStatisticsOfTheLabels) {
  const similarity::DistanceFile d = write_distances();
  const EmbedSummary summary = embed_population(dir(), "svcca", fast());
  EXPECT_EQ(summary.path, dir() + "/similarity/svcca.embedding.h5");
  EXPECT_FALSE(summary.resumed);
  const EmbeddingFile f = load_embedding_file(summary.path);
  EXPECT_EQ(f.metric, "svcca");
  EXPECT_EQ(f.network_ids, d.network_ids);
  const ClassicalMdsResult classical = classical_mds(d.distances, 2);
  EXPECT_EQ(f.classical, classical.coordinates);
  EXPECT_EQ(f.classical_eigenvalues, classical.eigenvalues);
  // Planar points: both embeddings reproduce the distances.
  EXPECT_LT(f.normalized_stress, 1e-6);
  EXPECT_LT((testing::distances_of(f.smacof) - d.distances).cwiseAbs().maxCoeff(), 1e-4);

  // cell, activation and n_hidden have 2 .. N - 1 groups; l2 has one and is left out.
  ASSERT_EQ(f.clusters.size(), 3u);
  EXPECT_EQ(f.clusters[0].label, "cell");
  EXPECT_EQ(f.clusters[1].label, "activation");
  EXPECT_EQ(f.clusters[2].label, "n_hidden");
  const LabelClusters& cell = f.clusters[0];
  EXPECT_EQ(cell.n_groups, 2);
  EXPECT_EQ(cell.k, 3);
  EXPECT_EQ(cell.stats.knn_accuracy, 1.0);
  EXPECT_GT(cell.stats.silhouette, 0.7);
  // p = (1 + #{permutations as good}) / 100; a permutation that swaps the two groups is as good.
  EXPECT_LE(cell.stats.knn_p_value, 0.02);
  EXPECT_LE(cell.stats.silhouette_p_value, 0.02);
  EXPECT_EQ(cell.stats.n_permutations, 99);
  EXPECT_EQ(f.clusters[2].n_groups, 3);
  // The same numbers as the library call with the integer codes of the labels.
  const ClusterStats direct = cluster_stats({.k = 3, .n_permutations = 99, .seed = 4}, d.distances,
                                            {0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1});
  EXPECT_EQ(cell.stats.silhouette_p_value, direct.silhouette_p_value);
  EXPECT_EQ(cell.stats.silhouette, direct.silhouette);
  // Sizes do not cluster: accuracy near chance, p far from significant.
  EXPECT_GT(f.clusters[2].stats.knn_p_value, 0.05);

  // The file's options are the fields of EmbedOptions::schema(), with the values used.
  const EmbedOptions used = fast();
  std::size_t n_fields = 0;
  for (const OptionField<EmbedOptions>& field : EmbedOptions::schema().fields) {
    ++n_fields;
    ASSERT_EQ(f.options.count(std::string(field.name)), 1u) << field.name;
    const similarity::ParamValue stored = f.options.at(std::string(field.name));
    field.visit(used, [&](const auto& value) {
      EXPECT_EQ(similarity::to_string(stored), format_shortest(static_cast<double>(value)))
          << field.name;
    });
  }
  EXPECT_EQ(f.options.size(), n_fields + 1);  // and the digest of the distances
}

TEST_F(EmbedPopulation, ResumesRefreshesAStaleFileAndReplacesOtherOptionsOnlyWithForce) {
  write_distances();
  const EmbedSummary first = embed_population(dir(), "svcca", fast());
  const auto written = fs::last_write_time(first.path);
  const EmbedSummary again = embed_population(dir(), "svcca", fast());
  EXPECT_TRUE(again.resumed);
  EXPECT_EQ(fs::last_write_time(first.path), written);
  EXPECT_EQ(again.embedding.clusters.size(), 3u);  // the table comes from the file

  EmbedOptions other = fast();
  other.n_permutations = 199;
  EXPECT_THAT([&] { embed_population(dir(), "svcca", other); },
              ::testing::ThrowsMessage<InvalidArgument>(
                  AllOf(HasSubstr("n_permutations = 99 there, 199 now"), HasSubstr("--force"))));
  other.force = true;
  EXPECT_TRUE(embed_population(dir(), "svcca", other).replaced);
  EXPECT_EQ(load_embedding_file(first.path).clusters[0].stats.n_permutations, 199);

  // The distance file was recomputed: the embedding is stale and is replaced without force.
  const similarity::DistanceFile moved = write_distances(1.0);
  const EmbedSummary refreshed = embed_population(dir(), "svcca", other);
  EXPECT_TRUE(refreshed.replaced);
  EXPECT_EQ(load_embedding_file(first.path).classical,
            classical_mds(moved.distances, 2).coordinates);
}

TEST_F(EmbedPopulation, ReportsAMissingDistanceFileAndBadOptions) {
  EXPECT_THAT([&] { embed_population(dir(), "cka", fast()); },
              ::testing::ThrowsMessage<IoError>(
                  AllOf(HasSubstr("similarity/cka.h5"), HasSubstr("rnnatlas compare"))));
  write_distances();
  EmbedOptions bad = fast();
  bad.k_neighbors = 0;
  EXPECT_THAT([&] { embed_population(dir(), "svcca", bad); },
              ::testing::ThrowsMessage<InvalidArgument>(HasSubstr("k_neighbors = 0")));
  bad = fast();
  bad.n_starts = 0;
  EXPECT_THROW(embed_population(dir(), "svcca", bad), InvalidArgument);
  EXPECT_THROW(embed_population(dir(), "../svcca", fast()), InvalidArgument);
  // k larger than the population is clamped to N - 1 and recorded.
  EmbedOptions wide = fast();
  wide.k_neighbors = 50;
  EXPECT_EQ(embed_population(dir(), "svcca", wide).embedding.clusters[0].k, 11);
}

}  // namespace
}  // namespace rnnatlas::embedding
