// Dynamical similarity analysis: compare how two networks' activity evolves in time, not only
// where it lies.
//
// After Ostrow, Eisen, Kozachkov & Fiete 2023, "Beyond Geometry: Comparing the Temporal Structure
// of Computation in Neural Circuits with Dynamical Similarity Analysis" (NeurIPS). Each network's
// activity is delay-embedded, reduced to its top principal coordinates, and a linear operator A is
// fitted to their one-step evolution (a Koopman/DMD approximation of the dynamics, as HAVOK does);
// two networks are then compared by how close their operators can be brought by an orthogonal
// change of basis ("Procrustes analysis over vector fields"):
//
//   d(A_x, A_y) = min over orthogonal C of || A_x - C A_y C^T ||_F.
//
// The activity is X [n_samples, n_units] in the row order of activity.h: n_trials trials of n_steps
// kept steps each, row s * n_trials + b = step s of trial b. Successive rows of one trial are
// n_trials rows apart, and the delay embedding and the one-step pairs never join two trials.
//
// 1. Delay embedding (n_delays = d, delay_interval = tau, window w = (d - 1) tau): for every trial
//    and every step s in [w, n_steps), z_s = [x_s; x_{s - tau}; ...; x_{s - w}] (d n_units values).
//    The m = (n_steps - w) n_trials vectors z are the rows of Z [m, d n_units].
// 2. Principal coordinates: Z_c = Z - mean(Z) = U S W^T (thin SVD, s_1 >= s_2 >= ...); the top
//    `rank` = r coordinates of each sample are the rows of U_r = Z_c W_r S_r^-1 [m, r]: whitened
//    (U_r^T U_r = I), like HAVOK's V and DSA's reference implementation. Whitening divides out
//    the variance of each direction, so the operator describes how the coordinates evolve, not how
//    large they are.
// 3. Operator: the least-squares affine fit u_{s+1} = A u_s + c over the (n_steps - w - 1) n_trials
//    successive pairs of one trial (the intercept c absorbs constant drive and the centring, and is
//    dropped). A is [r, r]. For noise-free data of a linear system z_{s+1} = M z_s with r equal to
//    the rank of Z, W_r S_r A S_r^-1 W_r^T = M on the span of the data (embedding_dynamics()).
// 4. Comparison: the orthogonal C maximising <A_x, C A_y C^T> (the same C minimises the Euclidean
//    residual and the angle) is searched by Riemannian L-BFGS on O(r) from several starts
//    (DsaAlignmentOptions); then
//      euclidean: || A_x - C A_y C^T ||_F
//      angular:   arccos(<A_x, C A_y C^T> / (||A_x||_F ||A_y||_F)) in [0, pi], computed as
//                 2 asin(|| A_x/||A_x|| - C A_y C^T/||A_y|| ||_F / 2) for full precision near 0.
//    Operators of different sizes are zero-padded to the larger (as the reference implementation).
//
// Invariances. Both distances are symmetric, zero for X = Y, and metrics on operators modulo
// orthogonal similarity (a quotient of the Frobenius distance, resp. of the angle, by an isometric
// group action), so the triangle inequality holds for the true minima. The fitted operator, hence
// d, is invariant to translation of X, to isotropic scaling of X (whitening), and to orthogonal
// maps of X's units (they rotate Z's columns, leaving U up to the signs of its columns, which C
// absorbs). When r is the full rank of Z it is also invariant to any invertible linear map of the
// units (U_r then spans the same space). The angular distance also ignores the scale of each
// operator (A and 2 A are at angle 0); the Euclidean one does not. Neither is invariant to time
// reversal, to time rescaling, or to nonlinear maps of the activity.
//
// Differences from the reference implementation (github.com/mitchellostrow/DSA): activity is
// centred and the fit has an intercept (the reference fits uncentred data, so a nonzero mean
// appears as a mode with eigenvalue 1); the alignment uses Cayley-retracted Riemannian L-BFGS
// from 20 starts to a gradient tolerance instead of a fixed number of Adam steps on a Cayley
// parametrisation from two starts; distances are not rescaled.
//
// Costs (p = units, dp = n_delays p, m = embedded samples, r = rank):
//  - prepare_dsa: the [dp, dp] Gram matrix of Z_c (m dp^2 / 2 multiply-adds, from d (d + 1) / 2
//    blocks of X, without forming Z), its eigen-decomposition O(dp^3), U_r O(m dp r), the fit
//    O(m r^2). About 0.03 s of CPU for 12,800 x 128 activity with d = 1, 0.33 s with d = 5.
//  - a pair: O(r^3) per iteration of the alignment, about 900 to 1,200 iterations over all starts:
//    about 4-7, 15 and 45 ms of CPU at r = 10, 20, 30 (DsaAlignmentOptions).
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <tuple>

#include "rnnatlas/schema.h"
#include "rnnatlas/similarity/metrics.h"

namespace rnnatlas::similarity {

/// The orthogonal alignment of two operators: maximise g(C) = <A, C B C^T> over O(n). A and B
/// are first scaled to unit Frobenius norm, so g is in [-1, 1] and the tolerance is relative.
///
/// Local search: Riemannian L-BFGS on O(n). With M = C B C^T, the derivative of g(exp(tK) C) at
/// t = 0 along a skew K is <Omega, K>, Omega = skew(A M^T - M^T A), skew(X) = (X - X^T) / 2, so
/// the Riemannian gradient is Omega C. A step moves C <- R C, M <- R M R^T with the Cayley
/// transform R = (I - t/2 K)^-1 (I + t/2 K), which is exactly orthogonal; K is the L-BFGS
/// direction (the last 8 pairs of steps and gradient changes, kept as skew matrices) and t comes
/// from Armijo backtracking from t = 1 (Nocedal & Wright 2006, ch. 7; Wen & Yin 2013 for the
/// Cayley retraction). An iteration costs about six n x n products and one n x n LU.
///
/// Starts. g is not concave on O(n), whose two components (det C = +1, -1) gradient steps cannot
/// cross, and it has many local maxima (the problem contains quadratic assignment), so the search
/// runs from several starts C_0 = P_A D P_B^T that align a canonical basis P of each operator,
/// with signs D chosen by greedy flips that increase g (from the signs of the leading eigenvector
/// of the sign problem's weights and from D = I):
///  0. P = I: the operators' own coordinates (principal coordinates of two networks often agree
///     up to sign);
///  1. P = eigenvectors of the symmetric part (M + M^T)/2 by eigenvalue: for B = Q^T A Q this is
///     Q, and for symmetric A and B it is the optimum (sorted eigenvalues matched,
///     Hoffman-Wielandt);
///  2. P = the real Schur basis of the skew-symmetric part (M - M^T)/2, planes by frequency: the
///     optimum for the skew parts alone;
///  3. P = eigenvectors of M^T M (right singular vectors);
///  4+. n_random_starts Haar-random orthogonal matrices from stream `seed`.
/// Every start runs n_screening_iterations; the n_refined best (by g) then run until
/// ||Omega||_F <= tolerance or max_iterations in all. A start with residual
/// ||A - C B C^T||_F <= 1e-8 (unit norms) has found the global minimum 0 and ends the search.
///
/// Quality and cost, measured on operators fitted to 64-unit random tanh networks (7 networks, 21
/// pairs per rank) against the best of 100 fully converged random starts: the defaults reach that
/// value in 18/21 pairs at rank 10, 17/21 at rank 20 and 7/21 at rank 30; the mean excess is 0.3%,
/// 0.2% and 1% of the mean distance (the largest 4%, 3%, 4%), at about 4, 16 and 47 ms of CPU per
/// pair (a shared machine). The result is an upper bound of the true minimum; more starts
/// (n_random_starts, n_refined) tighten it at proportional cost. Deterministic: the result depends
/// only on A, B and these options, not on threads or order, and d(A, B) = d(B, A) exactly (the
/// pair is put in a canonical order first).
struct DsaAlignmentOptions {
  /// Haar-random orthogonal starts in addition to the four deterministic ones, >= 0.
  int n_random_starts = 16;
  /// Iterations every start runs before the n_refined best (by g) are continued, >= 1.
  int n_screening_iterations = 40;
  /// Starts continued after screening until convergence or max_iterations, >= 1.
  int n_refined = 3;
  /// Iterations per start, screening included, >= 1.
  int max_iterations = 1000;
  /// A start has converged when ||Omega||_F <= tolerance (unit-norm operators, ||Omega|| <= 2);
  /// the distance is then within about tolerance^2 / (curvature) of the local optimum. In (0, 1).
  double tolerance = 1e-6;
  /// Stream of the random starts; every pair uses the same stream, so results do not depend on
  /// the order or the threads computing them.
  std::uint64_t seed = 0;

  /// Every field, with its rule and help (rnnatlas/schema.h).
  static const Schema<DsaAlignmentOptions>& schema();
  /// Throws InvalidArgument naming the field, its value and the rule.
  void validate() const;
};

struct DsaOptions {
  /// Kept time steps per trial: the activity has n_samples = n_trials * n_steps rows in the order
  /// of activity.h (ActivityOptions::n_steps(task.n_time())). 0 = unset, which prepare_dsa()
  /// rejects: DSA must know where trials end. >= 0.
  int n_steps = 0;
  /// Delay vectors per embedded sample, d >= 1 (1 = no delay embedding).
  int n_delays = 1;
  /// Steps between successive delays, tau >= 1.
  int delay_interval = 1;
  /// Principal coordinates r kept for the operator, >= 1 and at most the numerical rank of the
  /// delay embedding.
  int rank = 10;
  /// Singular values of Z_c below rank_tolerance * s_1 count as zero. They come from the
  /// eigen-decomposition of Z_c^T Z_c (resolving about sqrt(eps)), so in [1e-7, 1).
  double rank_tolerance = 1e-7;
  /// Which distance dsa() returns in DsaResult::distance (both are always computed).
  ShapeDistance distance = ShapeDistance::kAngular;
  DsaAlignmentOptions alignment{};

  /// Every field but distance (an enum) and alignment's, with its rule and help
  /// (rnnatlas/schema.h).
  static const Schema<DsaOptions>& schema();
  static constexpr auto nested() {
    return std::tuple{Nest<DsaOptions, DsaAlignmentOptions>{"alignment", &DsaOptions::alignment}};
  }
  /// Throws InvalidArgument naming the field ("rank", "alignment.tolerance"), its value and the
  /// rule.
  void validate() const;
  /// Throws InvalidArgument unless activity of [n_samples, n_units] can be fitted with these
  /// options: n_steps set and dividing n_samples, n_steps - (n_delays - 1) delay_interval >= 2
  /// (at least one pair per trial), more one-step pairs than rank + 1, and rank <= n_delays
  /// n_units. The message names the field and the fix.
  void check_activity_shape(int n_samples, int n_units) const;
};

/// One side of DSA: the fitted linear operator of one network's activity.
struct PreparedDsa {
  int n_samples = 0;
  int n_units = 0;
  int n_steps = 0;
  int n_delays = 1;
  int delay_interval = 1;
  /// [rank, rank] A: u_{s+1} = A u_s + c in the whitened principal coordinates u (file comment)
  Eigen::MatrixXd dynamics;
  /// [n_delays * n_units, rank] W_r: the principal directions of the centred delay embedding
  Eigen::MatrixXd directions;
  /// [rank] s_1 >= ... >= s_r: their singular values
  Eigen::VectorXd singular_values;
  /// ||U+ - U- A^T - 1 c^T||_F / ||U+ - mean(U+)||_F over the one-step pairs: 0 for noise-free
  /// linear dynamics, near 1 when A explains nothing
  double fit_residual = 0.0;

  int rank() const { return static_cast<int>(dynamics.rows()); }
  /// The operator in delay-embedding coordinates, W_r S_r A S_r^-1 W_r^T
  /// [n_delays * n_units, n_delays * n_units]: maps z_s - mean to z_{s+1} - mean within the
  /// principal subspace.
  Eigen::MatrixXd embedding_dynamics() const;
};

/// Fits the operator of X [n_samples, n_units] (file comment, steps 1-3). Throws InvalidArgument
/// for invalid options, a shape check_activity_shape() rejects, non-finite entries, or a rank
/// above the numerical rank of the delay embedding (the message gives that rank). Cost: see the
/// file comment.
PreparedDsa prepare_dsa(const DsaOptions& options, const Eigen::Ref<const Eigen::MatrixXd>& x);

struct DsaResult {
  double distance = 0.0;   ///< options.distance: angular or euclidean
  double angular = 0.0;    ///< arccos(<A_x, C A_y C^T> / (||A_x|| ||A_y||)), in [0, pi]
  double euclidean = 0.0;  ///< ||A_x - C A_y C^T||_F
  /// [n, n], n = max(rank_x, rank_y): the best orthogonal C found, C A_y C^T ~ A_x
  Eigen::MatrixXd alignment;
  int n_starts = 0;          ///< starts run (fewer than all when one fits exactly)
  int best_start = 0;        ///< which gave C: 0-3 deterministic, 4+ random (DsaAlignmentOptions)
  int n_iterations = 0;      ///< gradient iterations over all starts
  double gradient_norm = 0;  ///< ||Omega||_F at C (unit-norm operators)
  bool converged = false;    ///< the best start met the tolerance
};

/// DSA between two prepared networks: the orthogonal alignment of their operators
/// (DsaAlignmentOptions) and both distances. Symmetric: dsa(x, y).distance == dsa(y, x).distance.
/// Non-convergence is reported in the result, not thrown.
DsaResult dsa(const DsaOptions& options, const PreparedDsa& x, const PreparedDsa& y);
/// Prepares both sides with `options`, then compares them. The two sides need not have the same
/// samples or units, only the same n_steps.
DsaResult dsa(const DsaOptions& options,
              const Eigen::Ref<const Eigen::MatrixXd>& x,   // [n_samples_x, n_units_x]
              const Eigen::Ref<const Eigen::MatrixXd>& y);  // [n_samples_y, n_units_y]

/// The comparison step alone, on two given square operators a [n_a, n_a] and b [n_b, n_b]
/// (zero-padded to the larger size): Procrustes analysis over vector fields with
/// options.alignment, distance per options.distance. Throws InvalidArgument for non-square,
/// empty or non-finite operators.
DsaResult operator_distance(const DsaOptions& options,
                            const Eigen::Ref<const Eigen::MatrixXd>& a,
                            const Eigen::Ref<const Eigen::MatrixXd>& b);

}  // namespace rnnatlas::similarity
