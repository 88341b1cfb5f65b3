// The pair computations of metrics.cc, from the cross product of the two sides' factors (internal).
//
// A pair of CCA, SVCCA, PWCCA or linear CKA depends on the two networks only through the small
// cross product F_x^T F_y of one factor per side (an orthonormal basis, or the centred activity)
// and per-network data. metrics.cc forms that product pair by pair; distance_matrix() forms the
// products of many pairs at once, as GEMMs of stacked factors, and finishes each pair here.
#pragma once

#include <Eigen/Core>
#include <vector>

#include "rnnatlas/similarity/metrics.h"

namespace rnnatlas::similarity::internal {

/// Throws InvalidArgument unless rank_x + rank_y < n_samples (CCA-type metrics).
void check_cca_pair(int n_samples, int rank_x, int rank_y, const char* what);

/// The cosines of the principal angles between two subspaces from the cross product m
/// [k_x, k_y] of their orthonormal bases, descending and clamped to [0, 1]: the square roots of
/// the eigenvalues of the smaller Gram matrix of m (m^T m or m m^T). About 5x faster than an SVD of
/// m for k = 10; the same as its singular values to about eps / rho relative, and to about
/// sqrt(eps) absolute for a cosine near 0.
Eigen::VectorXd principal_cosines_from_gram(const Eigen::MatrixXd& m);

/// PWCCA with the weights from x, given cross = Q_x^T Q_y [rank_x, rank_y].
PwccaResult pwcca_from_cross(const PreparedCca& x, const Eigen::MatrixXd& cross);

/// Linear CKA given cross_sq = ||X_c^T Y_c||_F^2 (of the sides' `centred` factors).
double cka_linear_from_cross(const PreparedCka& x, const PreparedCka& y, double cross_sq);

/// Whether distance_matrix() forms the linear-CKA cross terms of N networks with n_samples
/// samples and factors of `widths` [N] columns through the samples' Gram matrices (about n^2
/// flops a pair) rather than through products of factor tiles (2 n c_x c_y a pair): an estimate
/// of both times from the sizes alone, so every thread and rank makes the same choice.
bool cka_by_gram_is_cheaper(Eigen::Index n_samples, const std::vector<Eigen::Index>& widths);

}  // namespace rnnatlas::similarity::internal
