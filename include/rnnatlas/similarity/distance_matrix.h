// Distance matrices over a population of networks.
//
// Every network's activity is prepared once (centring, SVD, whitening or Gram matrix; see
// metrics.h), then the N (N - 1) / 2 pairs are computed on execution.n_threads threads. CCA, SVCCA,
// PWCCA and linear CKA compare two networks only through the product F_i^T F_j of one factor per
// network (its basis, or its centred activity), so their pairs are formed tile by tile, as GEMMs of
// the stacked factors of groups of networks, instead of one small product per pair (6x faster for
// SVCCA with k = 10). Their canonical correlations are the square roots of the eigenvalues of the
// small Gram matrix of F_i^T F_j, the same as the singular values of the per-pair functions to
// about 1e-15 for correlations above 1e-4 (about 1e-8 absolute for a correlation near 0), so
// entries agree with the pair functions of metrics.h to about 1e-12. Linear CKA needs only
// ||X_c^T Y_c||_F^2, the inner product of the two networks' [n, n] sample Gram matrices: when that
// is cheaper (few samples against the units squared, and enough networks; estimated from the sizes
// alone), it is accumulated block by block of sample space for all pairs at once, about n^2 flops
// a pair instead of 2 n p_x p_y (docs/similarity.md, "Speed"). Each entry is computed by the same
// code whatever thread runs it, so the matrix is bit-identical for any Execution.
//
// Across processes (MPI ranks): with Execution::runner set to an MpiRunner
// (rnnatlas/sweep/mpi_runner.h), every process of the job calls distance_matrix() with the same
// arguments and prepares every network itself; the runner hands out blocks of pairs (a tile pair,
// or a run of pairs) to the worker threads of all ranks, and the coordinator (rank 0) assembles
// the matrix, bit-identical to the threaded one. Preparing on every rank needs no transfer of
// prepared forms (whose size and layout differ by metric) and costs little where MPI pays: for
// the metrics whose pairs are expensive (linear CKA, shape, RBF CKA, DSA) the N preparations are a
// small fraction of the N (N - 1) / 2 pairs.
#pragma once

#include <Eigen/Core>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "rnnatlas/execution.h"
#include "rnnatlas/similarity/dsa.h"
#include "rnnatlas/similarity/metrics.h"

namespace rnnatlas::similarity {

/// The metric of a distance matrix, and how a similarity becomes a distance.
enum class Metric {
  kCca,    ///< 1 - mean canonical correlation (all of them; CcaOptions)
  kSvcca,  ///< 1 - mean rho of the top-k subspaces (SvccaOptions)
  kPwcca,  ///< (d(X_i, X_j) + d(X_j, X_i)) / 2 with d = 1 - weighted rho: PWCCA is asymmetric
  kCka,    ///< 1 - CKA (CkaOptions: linear, rbf, debiased; debiased CKA can give d slightly > 1)
  kShape,  ///< generalized shape metric (ShapeOptions: alpha, angular or euclidean)
  kDsa,    ///< dynamical similarity analysis (DsaOptions; its n_steps must be set), dsa.h
};
/// "cca", "svcca", "pwcca", "cka", "shape", "dsa".
std::string_view to_string(Metric metric);
/// Parses the names above; throws InvalidArgument listing them.
Metric parse_metric(std::string_view name);

struct DistanceMatrixOptions {
  Metric metric = Metric::kSvcca;
  CcaOptions cca{};      ///< for kCca and kPwcca
  SvccaOptions svcca{};  ///< for kSvcca
  CkaOptions cka{};      ///< for kCka
  ShapeOptions shape{};  ///< for kShape
  DsaOptions dsa{};      ///< for kDsa

  /// Validates the options of the selected metric.
  void validate() const;
};

/// The [N, N] distance matrix between the activities of N networks, each [n_samples, n_units_i]
/// with the same n_samples (units may differ). Symmetric with an exact zero diagonal.
/// Throws InvalidArgument for fewer than 2 networks, mismatched sample counts or bad activity (the
/// message names the network's index). Cost: N preparations plus N (N - 1) / 2 pair costs of the
/// metric, divided over the threads; memory: N prepared networks.
///
/// execution.n_threads threads prepare the networks and compute the pairs. With execution.runner
/// set, the pairs are computed by the runner's workers instead (the threads still prepare the
/// networks). With an MpiRunner the pairs spread over the ranks of an MPI job (see the file
/// comment): every process calls distance_matrix() with the same arguments; the coordinator
/// returns the matrix, the other processes an empty [0, 0] one.
Eigen::MatrixXd distance_matrix(const DistanceMatrixOptions& options,
                                const std::vector<Eigen::MatrixXd>& activities,
                                const Execution& execution = {});

/// The same for N = names.size() networks whose activity is produced on demand: activity(i)
/// returns network i's [n_samples, n_units_i] activity. It is called once per network, from up to
/// execution.n_threads threads at once, and its result is dropped as soon as it is prepared, so
/// memory holds only the N prepared networks (SVCCA: N x n_samples x k doubles) and never all the
/// activity. Messages name network i by names[i]; exceptions thrown by activity(i) propagate
/// unchanged.
Eigen::MatrixXd distance_matrix(const DistanceMatrixOptions& options,
                                const std::vector<std::string>& names,
                                const std::function<Eigen::MatrixXd(int)>& activity,
                                const Execution& execution = {});

}  // namespace rnnatlas::similarity
