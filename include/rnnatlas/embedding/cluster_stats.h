// How well labels (architecture, nonlinearity, size, L2) cluster in a distance matrix, with
// label-permutation p-values; and the Mantel test between two distance matrices.
//
// Distance matrices are [n, n], symmetric, zero diagonal, non-negative and finite (checked).
// Labels are [n] integers (any values; only equality matters).
//
// Permutation p-values are one-sided, p = (1 + #{permutations with statistic >= observed}) / (1 +
// n_permutations), so never 0 (Phipson & Smyth 2010). Permutation t shuffles the labels (Mantel:
// the points of the second matrix) by Fisher-Yates from the stream (seed, t): reproducible and
// independent of the threads it runs on.
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <vector>

#include "rnnatlas/execution.h"

namespace rnnatlas::embedding {

/// Mean silhouette (Rousseeuw 1987): for point i with a_i = mean distance to the other members of
/// its cluster and b_i = the smallest mean distance to the members of another cluster,
/// s_i = (b_i - a_i) / max(a_i, b_i); s_i = 0 for a point alone in its cluster (scikit-learn's
/// convention). Needs 2 <= number of distinct labels <= n - 1. In [-1, 1]. Cost O(n^2).
double silhouette_score(const Eigen::Ref<const Eigen::MatrixXd>& distances,
                        const std::vector<int>& labels);

/// Leave-one-out k-nearest-neighbour accuracy: each point is labelled by a majority vote of its k
/// nearest other points; the fraction of points labelled correctly. Neighbours at equal distance
/// are taken in index order; a tied vote goes to the tied label whose nearest member is closest.
/// Needs 1 <= k <= n - 1. Cost O(n^2 log n).
double knn_accuracy(const Eigen::Ref<const Eigen::MatrixXd>& distances,
                    const std::vector<int>& labels,
                    int k);

struct ClusterStatsOptions {
  int k = 5;                 ///< neighbours for knn_accuracy, in [1, n - 1]
  int n_permutations = 999;  ///< label permutations for the p-values, >= 0 (0: p-values are 1)
  std::uint64_t seed = 0;    ///< permutation stream

  void validate() const;
};

struct ClusterStats {
  double silhouette = 0.0;
  double silhouette_p_value = 1.0;
  double knn_accuracy = 0.0;
  double knn_p_value = 1.0;
  /// Accuracy of always guessing the most frequent label, for comparison.
  double majority_accuracy = 0.0;
  int n_permutations = 0;
};

/// Silhouette and k-NN accuracy of `labels`, each with its label-permutation p-value. The
/// permutations run on execution.n_threads threads. Cost O(n_permutations n^2 log n) / n_threads.
ClusterStats cluster_stats(const ClusterStatsOptions& options,
                           const Eigen::Ref<const Eigen::MatrixXd>& distances,
                           const std::vector<int>& labels,
                           const Execution& execution = {});

struct MantelOptions {
  int n_permutations = 999;  ///< >= 0
  std::uint64_t seed = 0;

  void validate() const;
};

struct MantelResult {
  double r = 0.0;        ///< Pearson correlation of the upper triangles (i < j)
  double p_value = 1.0;  ///< one-sided (positive association), as above
  int n_permutations = 0;
};

/// Mantel test (Mantel 1967): Pearson r between the n (n - 1) / 2 upper-triangle entries of the
/// two matrices; the null distribution permutes the points (rows and columns together) of b.
/// Needs n >= 3 and neither matrix constant off the diagonal. Cost O(n_permutations n^2).
MantelResult mantel_test(const MantelOptions& options,
                         const Eigen::Ref<const Eigen::MatrixXd>& a,
                         const Eigen::Ref<const Eigen::MatrixXd>& b);

}  // namespace rnnatlas::embedding
