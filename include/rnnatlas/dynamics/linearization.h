// Linearized dynamics around a point: s_{t+1} - s* ~= J (s_t - s*) + B (u_t - u*).
//
// J = dF/ds [n_state, n_state] and B = dF/du [n_state, n_input] are exact (reverse mode, see
// Cell::jacobians). The eigen-decomposition J = R diag(lambda) R^{-1} is sorted by |lambda|
// descending (a complex pair: positive imaginary part first). The left eigenvectors are the rows of
// R^{-1}, stored as columns l_i, so that l_i^T J = lambda_i l_i^T and l_i^T r_j = delta_ij
// (biorthonormal); right eigenvectors have unit 2-norm.
//
// Discrete-time stability with tolerance band tol = stability_tol: a mode is unstable when
// |lambda| > 1 + tol, marginal when 1 - tol <= |lambda| <= 1 + tol, stable otherwise. A complex
// pair counts as two modes. The class of the point:
//   stable    every mode stable;
//   marginal  no unstable mode, at least one marginal one (e.g. a line attractor);
//   saddle    0 < n_unstable < n_state;
//   unstable  n_unstable = n_state (a repeller).
// The rotation frequency of a complex mode is |arg lambda| in rad/step.
#pragma once

#include <Eigen/Core>
#include <string_view>
#include <vector>

#include "rnnatlas/dynamics/fixed_points.h"
#include "rnnatlas/execution.h"
#include "rnnatlas/models/network.h"
#include "rnnatlas/schema.h"

namespace rnnatlas {

enum class StabilityClass { kStable, kMarginal, kSaddle, kUnstable };
/// "stable", "marginal", "saddle", "unstable".
std::string_view to_string(StabilityClass stability);

struct LinearizationOptions {
  double stability_tol = 1e-3;  ///< half-width of the marginal band around |lambda| = 1, in [0, 1)
  bool compute_eigenvectors = true;  ///< right and left eigenvectors (else only eigenvalues)
  /// Every field, with its rule and help (rnnatlas/schema.h).
  static const Schema<LinearizationOptions>& schema();
  /// Throws InvalidArgument naming the field, its value and the rule.
  void validate() const;
};

struct Linearization {
  Eigen::VectorXd state;                ///< [n_state], the point s*
  Eigen::VectorXd input;                ///< [n_input], the input u*
  Eigen::MatrixXd J;                    ///< [n_state, n_state], dF/ds
  Eigen::MatrixXd B;                    ///< [n_state, n_input], dF/du
  Eigen::VectorXcd eigenvalues;         ///< [n_state], sorted by |lambda| descending
  Eigen::MatrixXcd right_eigenvectors;  ///< [n_state, n_state], column i pairs with eigenvalue i
  Eigen::MatrixXcd left_eigenvectors;   ///< [n_state, n_state], column i = l_i, l_i^T r_i = 1
  /// Reciprocal condition estimate of R (small: J is nearly defective and the left eigenvectors are
  /// inaccurate). 0 when eigenvectors were not computed.
  double eigenvector_rcond = 0.0;
  int n_unstable = 0;  ///< modes with |lambda| > 1 + tol (a complex pair counts 2)
  int n_marginal = 0;  ///< modes with | |lambda| - 1 | <= tol
  StabilityClass stability = StabilityClass::kStable;
  /// |arg lambda| (rad/step) of the complex eigenvalue of largest modulus; NaN when every
  /// eigenvalue is real.
  double leading_frequency = 0.0;

  /// |arg lambda_i| for every eigenvalue, [n_state] (0 for positive real, pi for negative real).
  Eigen::VectorXd frequencies() const;
  /// |lambda| > 1 + tol for each mode, in eigenvalue order (the tol this was built with).
  std::vector<int> unstable_modes() const;

  double stability_tol = 1e-3;  ///< the tolerance it was classified with
};

/// Linearizes the network at (state [n_state], input [n_input]).
Linearization linearize(const Network& network,
                        const Eigen::Ref<const Eigen::VectorXd>& state,
                        const Eigen::Ref<const Eigen::VectorXd>& input,
                        const LinearizationOptions& options = {});

/// Linearizes at every point of `points` (in their order), execution.n_threads points at a time.
std::vector<Linearization> linearize(const Network& network,
                                     const FixedPoints& points,
                                     const LinearizationOptions& options = {},
                                     const Execution& execution = {});

/// Eigen-decomposition and classification of a given J [n, n] (used by linearize(); public for
/// tests and for maps other than one network step). state, input and B are left empty.
Linearization analyze_jacobian(const Eigen::Ref<const Eigen::MatrixXd>& J,
                               const LinearizationOptions& options = {});

}  // namespace rnnatlas
