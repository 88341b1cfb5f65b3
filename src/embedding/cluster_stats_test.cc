// Silhouette and k-NN against hand-computed cases; permutation p-values; the Mantel test.
#include "rnnatlas/embedding/cluster_stats.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "rnnatlas/error.h"
#include "testing/random_matrix.h"

namespace rnnatlas::embedding {
namespace {

using Eigen::MatrixXd;
using testing::distances_of;
using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

MatrixXd on_a_line(std::initializer_list<double> xs) {
  MatrixXd p(xs.size(), 1);
  int i = 0;
  for (double x : xs) p(i++, 0) = x;
  return distances_of(p);
}

// Three clusters of n_per points in the plane, centres 10 apart; labels 0, 1, 2.
struct Clusters {
  MatrixXd d;
  std::vector<int> labels;
};
Clusters three_clusters(int n_per, std::uint64_t seed) {
  internal::Rng rng(seed);
  MatrixXd p = testing::random_normal(3 * n_per, 2, 1.0, rng);
  Clusters c;
  for (int i = 0; i < 3 * n_per; ++i) {
    const int group = i / n_per;
    p(i, 0) += 10.0 * group;
    c.labels.push_back(7 * group);  // any label values work
  }
  c.d = distances_of(p);
  return c;
}

TEST(Silhouette, MatchesHandComputedValues) {
  // Points 0, 1 | 5, 6: s = (5.5 - 1) / 5.5 for the outer points, (4.5 - 1) / 4.5 for the inner.
  EXPECT_NEAR(silhouette_score(on_a_line({0, 1, 5, 6}), {0, 0, 1, 1}),
              0.5 * (4.5 / 5.5 + 3.5 / 4.5), 1e-15);
  // A singleton cluster contributes 0: points 0, 1 | 5.
  EXPECT_NEAR(silhouette_score(on_a_line({0, 1, 5}), {3, 3, 9}), (0.8 + 0.75 + 0.0) / 3.0, 1e-15);
  // Wrong grouping is negative.
  EXPECT_LT(silhouette_score(on_a_line({0, 1, 5, 6}), {0, 1, 0, 1}), 0.0);
}

TEST(KnnAccuracy, MatchesHandComputedValuesWithTieRules) {
  const MatrixXd d = on_a_line({0, 1, 2, 10, 11});
  const std::vector<int> labels = {0, 0, 1, 1, 1};
  // k = 1: point 1's neighbours 0 and 2 tie in distance, index order picks 0 (right);
  // point 2's nearest is 1 (wrong).
  EXPECT_DOUBLE_EQ(knn_accuracy(d, labels, 1), 0.8);
  // k = 2: point 0 sees labels {0, 1}, a tied vote won by the closer neighbour 1 (label 0).
  EXPECT_DOUBLE_EQ(knn_accuracy(d, labels, 2), 0.8);
  // k = 4: every point sees the other four. Points 0 and 1 are outvoted by label 1 (wrong);
  // points 2, 3, 4 see a 2-2 tie, won by their nearest neighbour: 1 (label 0, wrong) for point 2,
  // the other of {3, 4} (right) for points 3 and 4.
  EXPECT_DOUBLE_EQ(knn_accuracy(d, labels, 4), 0.4);
}

TEST(ClusterStats, PermutationPValuesSeparateClustersFromRandomLabels) {
  const Clusters c = three_clusters(10, 1);
  const ClusterStatsOptions o{.k = 3, .n_permutations = 199, .seed = 5};
  const ClusterStats s = cluster_stats(o, c.d, c.labels);
  EXPECT_GT(s.silhouette, 0.6);
  EXPECT_DOUBLE_EQ(s.knn_accuracy, 1.0);
  EXPECT_NEAR(s.majority_accuracy, 1.0 / 3.0, 1e-15);
  EXPECT_DOUBLE_EQ(s.silhouette_p_value, 1.0 / 200.0);
  EXPECT_DOUBLE_EQ(s.knn_p_value, 1.0 / 200.0);
  EXPECT_EQ(s.n_permutations, 199);

  // Labels unrelated to the geometry.
  std::vector<int> random_labels(30);
  internal::Rng rng(9);
  for (int& l : random_labels) l = static_cast<int>(rng.uniform_int(3));
  const ClusterStats r = cluster_stats(o, c.d, random_labels);
  EXPECT_GT(r.silhouette_p_value, 0.05);
  EXPECT_GT(r.knn_p_value, 0.05);
  EXPECT_LT(r.knn_accuracy, 0.6);

  // Same seed, any thread count: identical.
  const ClusterStats r3 = cluster_stats(o, c.d, random_labels, Execution{3});
  EXPECT_EQ(r3.silhouette_p_value, r.silhouette_p_value);
  EXPECT_EQ(r3.knn_p_value, r.knn_p_value);
}

TEST(Mantel, CorrelationAndPermutationPValue) {
  internal::Rng rng(2);
  const MatrixXd a = distances_of(testing::random_normal(15, 3, 1.0, rng));
  MatrixXd noisy = a + 0.1 * distances_of(testing::random_normal(15, 3, 1.0, rng));
  const MantelResult m = mantel_test(MantelOptions{.n_permutations = 199, .seed = 1}, a, noisy);
  // Pearson r of the upper triangles, computed directly.
  std::vector<double> x, y;
  for (int j = 1; j < 15; ++j)
    for (int i = 0; i < j; ++i) {
      x.push_back(a(i, j));
      y.push_back(noisy(i, j));
    }
  const Eigen::Map<Eigen::VectorXd> vx(x.data(), x.size()), vy(y.data(), y.size());
  const Eigen::VectorXd cx = vx.array() - vx.mean(), cy = vy.array() - vy.mean();
  EXPECT_NEAR(m.r, cx.dot(cy) / (cx.norm() * cy.norm()), 1e-12);
  EXPECT_GT(m.r, 0.8);
  EXPECT_DOUBLE_EQ(m.p_value, 1.0 / 200.0);

  const MatrixXd unrelated = distances_of(testing::random_normal(15, 3, 1.0, rng));
  const MantelResult u = mantel_test(MantelOptions{.n_permutations = 199, .seed = 1}, a, unrelated);
  EXPECT_LT(std::abs(u.r), 0.3);
  EXPECT_GT(u.p_value, 0.05);
  EXPECT_DOUBLE_EQ(mantel_test(MantelOptions{.n_permutations = 0}, a, noisy).p_value, 1.0);
}

TEST(Mantel, MatrixConstantUpToRoundingIsRefused) {
  // 0.1 + 0.2 - 0.2 and 0.1 differ in the last bit: a naive "is the spread zero" test lets this
  // matrix through and returns the correlation of rounding noise.
  MatrixXd flat = MatrixXd::Constant(6, 6, 0.1);
  flat(0, 1) = flat(1, 0) = 0.1 + 0.2 - 0.2;
  flat.diagonal().setZero();
  internal::Rng rng(4);
  const MatrixXd other = distances_of(testing::random_normal(6, 2, 1.0, rng));
  EXPECT_THAT([&] { mantel_test(MantelOptions{}, flat, other); },
              ThrowsMessage<InvalidArgument>(HasSubstr("a is constant off the diagonal")));
}

TEST(ClusterStatsInputs, BadInputFailsWithClearMessages) {
  const MatrixXd d = on_a_line({0, 1, 2, 3});
  EXPECT_THAT(
      [&] {
        silhouette_score(d, {0, 1, 0});
      },
      ThrowsMessage<InvalidArgument>(HasSubstr("3 labels for a distance matrix of 4 points")));
  EXPECT_THAT(
      [&] {
        silhouette_score(d, {1, 1, 1, 1});
      },
      ThrowsMessage<InvalidArgument>(HasSubstr("1 distinct labels for 4 points")));
  EXPECT_THAT(
      [&] {
        knn_accuracy(d, {0, 0, 1, 1}, 4);
      },
      ThrowsMessage<InvalidArgument>(HasSubstr("k = 4: must be in [1, 3]")));
  EXPECT_THAT(
      [&] {
        cluster_stats(ClusterStatsOptions{.n_permutations = -1}, d, {0, 0, 1, 1});
      },
      ThrowsMessage<InvalidArgument>(HasSubstr("n_permutations = -1")));
  EXPECT_THAT(
      [&] {
        mantel_test(MantelOptions{}, d, on_a_line({0, 1, 2}));
      },
      ThrowsMessage<InvalidArgument>(HasSubstr("a has 4 points but b has 3")));
  MatrixXd flat = MatrixXd::Ones(4, 4);
  flat.diagonal().setZero();
  EXPECT_THAT([&] { mantel_test(MantelOptions{}, d, flat); },
              ThrowsMessage<InvalidArgument>(HasSubstr("b is constant off the diagonal")));
}

}  // namespace
}  // namespace rnnatlas::embedding
