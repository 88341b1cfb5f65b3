// Transitions between fixed points: where the unstable manifolds of the unstable points lead.
//
// From each point with unstable modes, for each unstable mode k and each sign, start at
//     s_0 = s* + sign * perturbation * d_k,
// with d_k the unit real direction of the mode (a real eigenvector; for a complex pair, the real
// part of its eigenvector for the first of the pair and the imaginary part for the second, which
// together span the unstable plane), and iterate s <- F(s, u) at the points' input u. All runs
// advance together as one batch. A run has settled when ||F(s) - s|| <= tol_settled; it then
// reaches point j when ||s - s_j|| <= tol_match, and reaches no listed point otherwise (an
// attractor the finder missed: unmatched).
//
// A run still moving after max_steps (a limit cycle, a slow approach, chaos, a divergence) is
// examined from its final state by classify_attractors() of limit_cycles.h (options.limit_cycles;
// resolve_unsettled_runs() below), all such runs in one call:
//   - a fixed point (the run was settling slowly): matched to the listed points as above;
//   - a periodic orbit of period >= 2 or an attracting or neutral invariant closed curve: a limit
//     cycle. Runs reach the same limit cycle when classify_attractors() finds them on the same
//     attractor (same period and points within tol_unique, up to phase; or, for curves, the final
//     state near the other run's curve), so each distinct cycle is listed once;
//   - chaotic, unresolved or diverged: the run stays unresolved.
// The result is a directed graph on the points whose edge weight is the number of runs from i that
// reached j (paper: heteroclinic orbits between fixed points), plus edges from the points to the
// limit cycles their unstable manifolds reach.
#pragma once

#include <Eigen/Core>
#include <tuple>
#include <vector>

#include "rnnatlas/dynamics/fixed_points.h"
#include "rnnatlas/dynamics/limit_cycles.h"
#include "rnnatlas/dynamics/linearization.h"
#include "rnnatlas/execution.h"
#include "rnnatlas/models/network.h"
#include "rnnatlas/schema.h"

namespace rnnatlas {

struct TransitionOptions {
  double perturbation = 1e-3;  ///< step along each unit unstable direction (state units), > 0
  int max_steps = 5000;        ///< network steps per run, >= 1
  double tol_settled = 1e-10;  ///< a run has settled when ||F(s) - s|| <= tol_settled, > 0
  double tol_match = 1e-3;     ///< settled state matches point j when ||s - s_j|| <= tol_match, > 0
  /// Examine the runs still moving after max_steps for a periodic attractor (see the top of this
  /// file); false leaves them unresolved.
  bool find_limit_cycles = true;
  /// classify_attractors() options for that examination. Its n_transient steps come on top of
  /// max_steps.
  LimitCycleOptions limit_cycles;

  /// Every field but limit_cycles', with its rule and help (rnnatlas/schema.h).
  static const Schema<TransitionOptions>& schema();
  static constexpr auto nested() {
    return std::tuple{Nest<TransitionOptions, LimitCycleOptions>{"limit_cycles",
                                                                 &TransitionOptions::limit_cycles}};
  }
  /// Throws InvalidArgument naming the field ("max_steps", "limit_cycles.n_record"), its value and
  /// the rule.
  void validate() const;
};

/// One perturbed run.
struct Transition {
  int from = 0;          ///< index of the unstable point
  int mode = 0;          ///< eigenvalue index (in the Linearization's order) of the direction
  int sign = 1;          ///< +1 or -1
  int to = -1;           ///< index of the fixed point reached; -1 when none
  int cycle = -1;        ///< index in TransitionGraph::cycles of the limit cycle reached; -1: none
  bool settled = false;  ///< ||F(s) - s|| <= tol_settled within max_steps
  /// What the run reached: kFixedPoint for a settled run; for one still moving after max_steps,
  /// the class classify_attractors() gave it (kPeriodicOrbit or kInvariantCurve with cycle >= 0,
  /// kFixedPoint, kChaotic, kUnresolved, kDiverged), kUnresolved when it was not examined, and
  /// kDiverged when the run itself left the finite numbers.
  AttractorKind attractor = AttractorKind::kUnresolved;
  int n_steps = 0;              ///< steps until it settled (max_steps when it did not)
  Eigen::VectorXd final_state;  ///< [n_state], the state after n_steps steps
};

/// A limit cycle reached by transition runs, from the classify_attractors() run that found it
/// first (its representative).
struct LimitCycle {
  AttractorKind kind = AttractorKind::kPeriodicOrbit;  ///< kPeriodicOrbit or kInvariantCurve
  /// Steps per revolution: the minimal period P of a periodic orbit, 2 pi / frequency for a curve.
  double period = 0.0;
  /// Rad/step in [0, pi]: PeriodicOrbit::frequency (2 pi |w| / P) or InvariantCurve::frequency.
  double frequency = 0.0;
  /// A periodic orbit: the class of its Floquet multipliers (linearization.h's bands,
  /// ShootingOptions::stability_tol). A curve: kStable when it attracts (lambda_2 <
  /// -tol_lyapunov), kMarginal otherwise (lambda_1 ~ 0 along a curve, so never kStable by
  /// multipliers).
  StabilityClass stability = StabilityClass::kStable;
  /// [n_state] for a periodic orbit: the Floquet multipliers, |mu| descending (complex pair:
  /// Im > 0 first). Empty for a curve, which has none.
  Eigen::VectorXcd multipliers;
  /// [min(n_lyapunov, n_state)] per step, descending: log|mu_i| / P for a periodic orbit, the QR
  /// estimate over the recorded window for a curve.
  Eigen::VectorXd lyapunov_exponents;
  /// Of the orbit's P points, or of the curve's recorded window (see InvariantCurve::amplitude).
  OrbitAmplitude amplitude;
  /// [n_state], a state on the cycle: the refined orbit's first point, or the curve's last
  /// simulated state.
  Eigen::VectorXd state;
};

struct TransitionGraph {
  std::vector<Transition> transitions;
  /// [n_points, n_points]: weights(i, j) = runs from point i that reached point j.
  Eigen::MatrixXi weights;
  /// The distinct limit cycles reached, in the order of the first run reaching each.
  std::vector<LimitCycle> cycles;
  /// [n_points, n_cycles]: cycle_weights(i, c) = runs from point i that reached cycle c.
  Eigen::MatrixXi cycle_weights;
  /// Runs that reached neither a fixed point nor a limit cycle (still moving when examined or not
  /// examined, chaotic, diverged).
  int n_unresolved = 0;
  int n_unmatched = 0;  ///< runs that settled (or converged) away from every listed point
};

/// `linearizations` must be linearize(network, points) (same order). Throws InvalidArgument when
/// the sizes disagree or the options are invalid. The examination of the runs still moving runs on
/// execution.n_threads; the result does not depend on it.
TransitionGraph find_transitions(const Network& network,
                                 const FixedPoints& points,
                                 const std::vector<Linearization>& linearizations,
                                 const TransitionOptions& options = {},
                                 const Execution& execution = {});

/// The examination of find_transitions() on its own (which runs it when find_limit_cycles is
/// true): classifies, by classify_attractors(network, final states, points.input, options), every
/// run of `graph` that reached nothing yet (to < 0, cycle < 0, not settled, finite final state)
/// and records what it reached in the run, `weights` (a fixed point within tol_match), `cycles`
/// and `cycle_weights`, n_unresolved and n_unmatched. For callers that resolve some runs their
/// own way first (analyze_network()'s capture rule). `graph` must come from find_transitions() on
/// the same network and points, with limit cycles not sought (its `cycles` empty; InvalidArgument
/// otherwise).
void resolve_unsettled_runs(const Network& network,
                            const FixedPoints& points,
                            const LimitCycleOptions& options,
                            double tol_match,
                            TransitionGraph& graph,
                            const Execution& execution = {});

}  // namespace rnnatlas
