// Transitions between fixed points: where the unstable manifolds of the unstable points lead.
// Module maintainer: rnnatlas dynamics.
//
// From each point with unstable modes, for each unstable mode k and each sign, start at
//     s_0 = s* + sign * perturbation * d_k,
// with d_k the unit real direction of the mode (a real eigenvector; for a complex pair, the real
// part of its eigenvector for the first of the pair and the imaginary part for the second, which
// together span the unstable plane), and iterate s <- F(s, u) at the points' input u. A run has
// settled when
// ||F(s) - s|| <= tol_settled; it then reaches point j when ||s - s_j|| <= tol_match, and reaches
// no listed point otherwise (an attractor the finder missed); runs that never settle within
// max_steps are unresolved (for example a limit cycle or a slow drift). All runs advance together
// as one batch. The result is a directed graph on the points whose edge weight is the number of
// runs from i that reached j (paper: heteroclinic orbits between fixed points).
#pragma once

#include <Eigen/Core>
#include <vector>

#include "rnnatlas/dynamics/fixed_points.h"
#include "rnnatlas/dynamics/linearization.h"
#include "rnnatlas/models/network.h"

namespace rnnatlas {

struct TransitionOptions {
  double perturbation = 1e-3;  ///< step along each unit unstable direction (state units), > 0
  int max_steps = 5000;        ///< network steps per run, >= 1
  double tol_settled = 1e-10;  ///< a run has settled when ||F(s) - s|| <= tol_settled, > 0
  double tol_match = 1e-3;     ///< settled state matches point j when ||s - s_j|| <= tol_match, > 0
  /// Throws InvalidArgument naming the field ("TransitionOptions::..."), its value and the rule.
  void validate() const;
};

/// One perturbed run.
struct Transition {
  int from = 0;          ///< index of the unstable point
  int mode = 0;          ///< eigenvalue index (in the Linearization's order) of the direction
  int sign = 1;          ///< +1 or -1
  int to = -1;           ///< index of the point reached; -1 when none (see settled)
  bool settled = false;  ///< false: still moving after max_steps
  int n_steps = 0;       ///< steps until it settled (max_steps when it did not)
  Eigen::VectorXd final_state;  ///< [n_state]
};

struct TransitionGraph {
  std::vector<Transition> transitions;
  /// [n_points, n_points]: weights(i, j) = runs from point i that reached point j.
  Eigen::MatrixXi weights;
  int n_unresolved = 0;  ///< runs that did not settle
  int n_unmatched = 0;   ///< runs that settled away from every listed point
};

/// `linearizations` must be linearize(network, points) (same order). Throws InvalidArgument when
/// the sizes disagree or the options are invalid.
TransitionGraph find_transitions(const Network& network,
                                 const FixedPoints& points,
                                 const std::vector<Linearization>& linearizations,
                                 const TransitionOptions& options = {});

}  // namespace rnnatlas
