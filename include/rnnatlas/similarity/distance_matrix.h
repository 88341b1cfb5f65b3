// Distance matrices over a population of networks. Module maintainer: rnnatlas similarity.
//
// Every network's activity is prepared once (centring, SVD, whitening or Gram matrix; see
// metrics.h), then the N (N - 1) / 2 pairs are computed on n_threads std::threads. CCA, SVCCA,
// PWCCA and linear CKA compare two networks only through the product F_i^T F_j of one factor per
// network (its basis, or its centred activity), so their pairs are formed tile by tile, as GEMMs of
// the stacked factors of groups of networks, instead of one small product per pair (6x faster for
// SVCCA with k = 10). Their canonical correlations are the square roots of the eigenvalues of the
// small Gram matrix of F_i^T F_j, the same as the singular values of the per-pair functions to
// about 1e-15 for correlations above 1e-4 (about 1e-8 absolute for a correlation near 0), so
// entries agree with the pair functions of metrics.h to about 1e-12. Each entry is computed by the
// same code whatever thread runs it, so the matrix is bit-identical for any n_threads.
#pragma once

#include <Eigen/Core>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "rnnatlas/similarity/metrics.h"

namespace rnnatlas::similarity {

/// The metric of a distance matrix, and how a similarity becomes a distance.
enum class Metric {
  kCca,    ///< 1 - mean canonical correlation (all of them; CcaOptions)
  kSvcca,  ///< 1 - mean rho of the top-k subspaces (SvccaOptions)
  kPwcca,  ///< (d(X_i, X_j) + d(X_j, X_i)) / 2 with d = 1 - weighted rho: PWCCA is asymmetric
  kCka,    ///< 1 - CKA (CkaOptions: linear, rbf, debiased; debiased CKA can give d slightly > 1)
  kShape,  ///< generalized shape metric (ShapeOptions: alpha, angular or euclidean)
};
/// "cca", "svcca", "pwcca", "cka", "shape".
std::string_view to_string(Metric metric);
/// Parses the names above; throws InvalidArgument listing them.
Metric parse_metric(std::string_view name);

struct DistanceMatrixOptions {
  Metric metric = Metric::kSvcca;
  CcaOptions cca{};      ///< for kCca and kPwcca
  SvccaOptions svcca{};  ///< for kSvcca
  CkaOptions cka{};      ///< for kCka
  ShapeOptions shape{};  ///< for kShape
  int n_threads = 1;     ///< threads preparing networks and computing pairs, >= 1

  /// Validates n_threads and the options of the selected metric.
  void validate() const;
};

/// The [N, N] distance matrix between the activities of N networks, each [n_samples, n_units_i]
/// with the same n_samples (units may differ). Symmetric with an exact zero diagonal.
/// Throws InvalidArgument for fewer than 2 networks, mismatched sample counts or bad activity (the
/// message names the network's index). Cost: N preparations plus N (N - 1) / 2 pair costs of the
/// metric, divided over n_threads; memory: N prepared networks.
Eigen::MatrixXd distance_matrix(const DistanceMatrixOptions& options,
                                const std::vector<Eigen::MatrixXd>& activities);

/// The same for N = names.size() networks whose activity is produced on demand: activity(i)
/// returns network i's [n_samples, n_units_i] activity. It is called once per network, from up to
/// n_threads threads at once, and its result is dropped as soon as it is prepared, so memory holds
/// only the N prepared networks (SVCCA: N x n_samples x k doubles) and never all the activity.
/// Messages name network i by names[i]; exceptions thrown by activity(i) propagate unchanged.
Eigen::MatrixXd distance_matrix(const DistanceMatrixOptions& options,
                                const std::vector<std::string>& names,
                                const std::function<Eigen::MatrixXd(int)>& activity);

}  // namespace rnnatlas::similarity
