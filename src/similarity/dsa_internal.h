// The orthogonal alignment of DSA, exposed for tests (internal).
#pragma once

#include <Eigen/Core>
#include <vector>

#include "rnnatlas/similarity/dsa.h"

namespace rnnatlas::similarity::internal {

/// g(C) = <A, C B C^T> = tr(A^T C B C^T); a, b, c [n, n].
double alignment_value(const Eigen::MatrixXd& a,
                       const Eigen::MatrixXd& b,
                       const Eigen::MatrixXd& c);

/// Omega = skew(A M^T - M^T A) [n, n] with M = C B C^T, skew(X) = (X - X^T) / 2: for orthogonal C
/// and skew K, the derivative of g(exp(t K) C) at t = 0 is <Omega, K>, so the Riemannian gradient
/// of g at C is Omega C.
Eigen::MatrixXd alignment_gradient(const Eigen::MatrixXd& a, const Eigen::MatrixXd& m);

/// The Cayley transform (I - t/2 K)^-1 (I + t/2 K): orthogonal for skew K, with derivative K at
/// t = 0 (a retraction: C <- cayley(K, t) C moves C along K C).
Eigen::MatrixXd cayley(const Eigen::MatrixXd& k, double t);

/// Signs d in {-1, 1}^n that locally maximise h(d) = sum_ij a_ij b_ij d_i d_j = <A, D B D>
/// (D = diag(d)): single flips while one increases h, from the signs of the leading eigenvector of
/// the symmetrised weights and from d = 1, keeping the better.
Eigen::VectorXd greedy_signs(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b);

struct AlignmentRun {
  Eigen::MatrixXd c;         ///< [n, n] orthogonal
  double value = 0.0;        ///< g(c)
  double gradient_norm = 0;  ///< ||Omega||_F at c
  int n_iterations = 0;
  bool converged = false;
};

/// Riemannian L-BFGS ascent of g from the orthogonal c0 (see DsaAlignmentOptions).
AlignmentRun maximise_alignment(const Eigen::MatrixXd& a,
                                const Eigen::MatrixXd& b,
                                const Eigen::MatrixXd& c0,
                                const DsaAlignmentOptions& options);

/// The deterministic starts (identity, symmetric-part and M^T M eigenbases, each with greedy
/// signs) followed by options.n_random_starts random ones, [n, n] each.
std::vector<Eigen::MatrixXd> alignment_starts(const Eigen::MatrixXd& a,
                                              const Eigen::MatrixXd& b,
                                              const DsaAlignmentOptions& options);

}  // namespace rnnatlas::similarity::internal
