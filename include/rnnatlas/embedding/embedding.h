// Embeddings of a distance matrix: classical MDS and metric MDS by stress majorization.
//
// Input: a distance matrix D [n, n], symmetric, zero diagonal, finite, non-negative entries (as
// returned by similarity::distance_matrix()). Output: coordinates [n, n_components], row i =
// point i.
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <string>
#include <vector>

#include "rnnatlas/schema.h"
#include "rnnatlas/types.h"

namespace rnnatlas::embedding {

struct ClassicalMdsResult {
  Eigen::MatrixXd coordinates;  ///< [n, n_components]
  /// [n] all eigenvalues of B = -1/2 J D^2 J, descending (negative ones show non-Euclidean D).
  Eigen::VectorXd eigenvalues;
};

/// Classical (Torgerson) MDS: B = -1/2 J D^(2) J with J = I - 11^T/n and D^(2) the elementwise
/// squares; coordinates = V_k diag(sqrt(max(lambda_k, 0))) from the top n_components eigenpairs.
/// Deterministic: each eigenvector's sign is chosen so that its largest-magnitude entry is
/// positive. Recovers a Euclidean configuration up to rotation, reflection and translation. Throws
/// InvalidArgument unless 1 <= n_components <= n and D is a valid distance matrix. Cost O(n^3).
ClassicalMdsResult classical_mds(const Eigen::Ref<const Eigen::MatrixXd>& distances,
                                 int n_components = 2);

struct SmacofOptions {
  int n_components = 2;         ///< embedding dimension, in [1, n]
  int n_starts = 4;             ///< random starts (plus the classical MDS start when enabled), >= 1
  bool classical_start = true;  ///< also start from classical MDS (deterministic)
  int max_iterations = 300;     ///< Guttman transforms per start, >= 1
  /// Stop a start when the relative decrease of stress, (s_old - s_new) / s_old, is below this
  /// value or stress is 0. >= 0.
  double tolerance = 1e-9;
  std::uint64_t seed = 0;  ///< start s draws from stream (seed, s): independent of anything else

  /// Every field, with its rule and help (rnnatlas/schema.h).
  static const Schema<SmacofOptions>& schema();
  void validate() const;
};

struct SmacofSummary {
  Termination termination = Termination::kNotRun;
  std::string message = "smacof() was not called.";
  Eigen::MatrixXd coordinates;  ///< [n, n_components] of the best start
  double stress = 0.0;          ///< raw stress sum_{i<j} (d_ij - ||x_i - x_j||)^2 of the best
  /// sqrt(stress / sum_{i<j} d_ij^2) (Kruskal's stress-1 with distances in the denominator).
  double normalized_stress = 0.0;
  int best_start = 0;    ///< 0 = classical start when enabled, then the random starts
  int n_iterations = 0;  ///< iterations of the best start
  std::vector<double>
      stress_history;                ///< raw stress of the best start: initial, then per iteration
  std::vector<double> start_stress;  ///< final raw stress of every start
};

/// Metric MDS by SMACOF (de Leeuw 1977; Borg & Groenen, Modern MDS, ch. 8): minimises the raw
/// stress by the Guttman transform X <- (1/n) B(X) X with B_ij = -d_ij / ||x_i - x_j|| (i != j,
/// 0 when x_i = x_j), B_ii = -sum_{j != i} B_ij. Stress never increases along the iterations.
/// Random starts are N(0, 1) scaled to the RMS of D. Deterministic for a given seed.
/// Cost O(n^2 n_components) per iteration.
SmacofSummary smacof(const SmacofOptions& options,
                     const Eigen::Ref<const Eigen::MatrixXd>& distances);

}  // namespace rnnatlas::embedding
