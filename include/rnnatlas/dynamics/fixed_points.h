// Fixed and slow points of a network's autonomous dynamics at a constant input.
//
// Sussillo & Barak (2013), as in FixedPointFinder (Golub & Sussillo 2018): for a constant input u,
// minimise the speed
//     q(s) = 1/2 || F(s, u) - s ||^2,        grad q(s) = J(s)^T (F(s, u) - s) - (F(s, u) - s),
// J = dF/ds, from many initial states at once. One batched forward step of the cell gives F for
// every candidate; one backward step seeded with dL/dS_1 = F - s gives J^T (F - s) for every
// candidate. The minimiser is Adam with an adaptive learning rate; a candidate stops when
//     q <= tol_q (converged),  |q_k - q_{k-1}| < tol_dq * lr (stalled),  or  k = max_iters.
// rnnatlas adds damped Newton in double precision with the exact Jacobian:
//     (J - I) ds = -(F(s) - s),    s <- s + alpha ds,   alpha = 1, 1/2, 1/4, ... until q decreases,
// (Levenberg-Marquardt when J - I is numerically singular), so that true fixed points reach q near
// machine precision (typically below 1e-25). Newton is not only a final polish: Adam is the global
// stage, and every newton.round_iters iterations a Newton round takes candidates out of it, one
// fixed point at a time. Newton is tried on the running candidates of lowest q; a point it finds
// is factorised once (J* - I at the point), and the chord iteration s <- s - (J* - I)^{-1} (F(s)
// - s), batched over candidates, resolves the candidates already near that point: those that
// reach q <= tol_q within tol_unique of it join it as duplicates, without a Newton run of their
// own. A candidate leaves Adam only once Adam has brought it deep into a point's neighbourhood
// (within a tenth of the way to the nearest other known point, at least tol_unique), so the set
// of points is the one Adam alone leads to: the rounds only spare Adam the slow end of its
// convergence. Candidates Adam finishes are
// resolved the same way at the end. On a trained GRU, where
// update gates near 1 make q nearly flat around the memories, Adam alone ends at q ~ 1e-7 after
// 5000 iterations while Newton converges in a few steps (bench/README.md, fixed points). With
// Newton on, Adam runs in single precision (it only carries the candidates towards the points)
// and so do Newton's Jacobians while q > 1e-10; every residual and every q reported is double.
// Candidates whose q stays above tol_q are slow points: they are kept and flagged.
// Candidates closer than tol_unique are merged (the lower q is kept), and points farther from the
// centroid of the initial states than outlier_distance_scale times the mean distance of the initial
// states to that centroid are dropped.
//
// Differences from FixedPointFinder: every candidate has its own Adam state, learning rate and
// stopping test (FixedPointFinder drives one rate with the mean q and stops when all candidates
// satisfy the test), and there is no adaptive gradient clipping; the Newton rounds and refinement
// are rnnatlas's own. The points found include every fixed point that Adam alone (Newton off)
// finds from the same starts: trained_flip_flop_test checks it for 20 draws of starts on trained
// networks of every architecture.
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "rnnatlas/models/network.h"
#include "rnnatlas/schema.h"
#include "rnnatlas/types.h"

namespace rnnatlas {

class Task;

/// Newton rounds during the Adam search and refinement after it (rnnatlas's addition to
/// FixedPointFinder; see the top of this file).
struct NewtonOptions {
  bool enabled = true;  ///< false: Adam alone, to its own end, and its result as it is
  int max_iters = 20;   ///< Newton steps per try, >= 0 (0 disables Newton like enabled = false)
  /// Adam iterations between the Newton rounds that take resolved candidates out of Adam, >= 1
  /// (the top of this file explains the rounds).
  int round_iters = 10;
  /// Stop refining a candidate once q <= tol_q, >= 0. The default is about machine precision for
  /// states of norm ~1; refinement also stops when no step along the Newton direction lowers q.
  double tol_q = 1e-30;
  /// Backtracking halvings of the step before giving up on a candidate, >= 0.
  int max_backtracks = 30;
  /// J - I counts as singular when the reciprocal condition estimate of its LU factorisation is
  /// below min_rcond, in [0, 1); the step is then Levenberg-Marquardt:
  /// (A^T A + mu I) ds = -A^T r with A = J - I, r = F(s) - s, mu = lm_damping * ||A||_F^2.
  double min_rcond = 1e-12;
  double lm_damping = 1e-10;  ///< > 0

  /// Every field, with its rule and help (rnnatlas/schema.h).
  static const Schema<NewtonOptions>& schema();
  /// Throws InvalidArgument naming the field, its value and what is allowed.
  void validate() const;
};

/// Options of find_fixed_points(). Defaults are FixedPointFinder's (docs/study.md, fixed points)
/// where it has one, except lr_initial; the rest are rnnatlas's and documented here. The same
/// defaults serve find_fixed_points() and analyze_network().
struct FixedPointOptions {
  // Stopping (per candidate) -----------------------------------------------------------------
  double tol_q = 1e-12;   ///< converged when q <= tol_q, >= 0
  double tol_dq = 1e-20;  ///< stalled when |q_k - q_{k-1}| < tol_dq * (its learning rate), >= 0
  int max_iters = 5000;   ///< Adam iterations, >= 0 (0 = Newton only)
  // Adam -------------------------------------------------------------------------------------
  double adam_beta1 = 0.9;     ///< in [0, 1)
  double adam_beta2 = 0.999;   ///< in [0, 1)
  double adam_epsilon = 0.01;  ///< > 0 (FixedPointFinder's value; larger than for training)
  // Adaptive learning rate (FixedPointFinder's AdaptiveLearningRate) ---------------------------
  /// The initial Adam learning rate, > 0. FixedPointFinder starts at 1.0, which stays an option
  /// (the perfect flip-flop's saddles and origin need its large first steps). The default is 0.01:
  /// at 1.0 Adam's first steps move every coordinate by ~1 (there is no adaptive gradient
  /// clipping), which throws a gated network's candidates into regions of saturated gates where
  /// q -> 0 without a fixed point. On a GRU (n_hidden 32) trained on the flip-flop, 1.0 found 0
  /// of the 8 memories and 0.01 all 8 (FixedPointDefaults in fixed_points_test.cc checks the
  /// memories of trained gated networks at the defaults).
  double lr_initial = 0.01;
  double lr_min = 1e-3;  ///< floor of the rate, in (0, lr_initial]
  double lr_max = 1e3;   ///< ceiling of the rate, >= lr_initial
  /// The rate is multiplied by lr_decrease_factor whenever q increases, in (0, 1).
  double lr_decrease_factor = 0.95;
  /// ... and by lr_increase_factor after lr_steps_per_increase consecutive decreases of q, >= 1.
  double lr_increase_factor = 1.0 / 0.95;
  int lr_steps_per_increase = 5;  ///< >= 1
  // Post-processing --------------------------------------------------------------------------
  NewtonOptions newton;
  /// Two points are one when || s1 - s2 ||_2 <= tol_unique (the input is shared); the lower q is
  /// kept. >= 0; 0 merges only identical points.
  double tol_unique = 1e-3;
  /// Points farther from the centroid of the initial states than this times the mean distance of
  /// the initial states to their centroid are dropped as outliers. >= 0; 0 disables the test.
  double outlier_distance_scale = 10.0;

  /// Every field but newton's, with its rule and help (rnnatlas/schema.h).
  static const Schema<FixedPointOptions>& schema();
  static constexpr auto nested() {
    return std::tuple{Nest<FixedPointOptions, NewtonOptions>{"newton", &FixedPointOptions::newton}};
  }
  /// Throws InvalidArgument naming the first field (e.g. "tol_q", "newton.max_iters") that breaks
  /// its rule, with its value and the rule; lr_min <= lr_initial <= lr_max is checked last.
  void validate() const;
};

/// Why the Adam stage stopped for one candidate.
enum class FixedPointStop {
  kTolQ,       ///< q <= tol_q
  kTolDq,      ///< |dq| < tol_dq * lr: stalled
  kMaxIters,   ///< ran max_iters iterations
  kNonFinite,  ///< q or the state became NaN/infinite (the candidate is dropped)
  kNewton,     ///< left Adam early: a Newton round resolved it (see find_fixed_points())
};
/// "tol_q", "tol_dq", "max_iters", "non_finite", "newton".
std::string_view to_string(FixedPointStop stop);

/// The points found, after refinement, de-duplication and outlier exclusion, sorted by q ascending.
struct FixedPoints {
  Eigen::VectorXd input;   ///< [n_input], the constant input u
  Eigen::MatrixXd states;  ///< [n_state, n_points], column i = point i (LSTM: [h; c])
  Eigen::VectorXd q;       ///< [n_points], 1/2 ||F(s) - s||^2 after Newton
  /// [n_points]: q > tol_q, a slow point rather than a fixed point.
  std::vector<bool> is_slow;
  std::vector<FixedPointStop> stop;  ///< [n_points], how the Adam stage ended for this point
  Eigen::VectorXi n_adam_iters;      ///< [n_points]
  Eigen::VectorXi n_newton_iters;    ///< [n_points], accepted Newton steps
  Eigen::VectorXi initial_index;     ///< [n_points], column of initial_states it started from
  Eigen::VectorXi n_merged;          ///< [n_points], candidates merged into it (itself included)

  int n_points() const { return static_cast<int>(states.cols()); }
  int n_slow() const;
};

struct FixedPointSummary {
  Termination termination = Termination::kNotRun;
  std::string message = "find_fixed_points() was not called.";
  int n_candidates = 0;      ///< initial states
  int n_converged = 0;       ///< candidates whose final q <= tol_q (see n_slow)
  int n_slow = 0;            ///< finite candidates with final q > tol_q. A candidate's final q is
                             ///< its Newton-refined q if it represents its cluster, else its Adam q
  int n_stalled = 0;         ///< ... of which Adam stopped on tol_dq
  int n_max_iters = 0;       ///< ... of which Adam ran out of iterations
  int n_non_finite = 0;      ///< candidates dropped because q became NaN/infinite
  int n_merged = 0;          ///< candidates dropped as duplicates (within tol_unique of a lower q)
  int n_outliers = 0;        ///< unique points dropped as distance outliers
  int n_points = 0;          ///< points returned
  int n_slow_points = 0;     ///< ... of which slow points
  int n_adam_iters = 0;      ///< Adam iterations of the batch (the slowest candidate)
  int n_newton_refined = 0;  ///< candidates that Newton improved
  double max_q = 0.0;        ///< largest q among the returned non-slow points
  double seconds_adam = 0.0;
  double seconds_newton = 0.0;
  /// Mean q over the candidates still running, one entry per Adam iteration.
  std::vector<double> mean_q_history;

  /// One line for the CLI, e.g. "completed: 27 points (0 slow) from 512 candidates ...".
  std::string brief_report() const;
};

struct FixedPointResult {
  FixedPoints points;
  FixedPointSummary summary;
};

/// Finds fixed and slow points of s -> F(s, input) from each column of `initial_states`
/// [n_state, n_init] (n_init >= 1, finite). `input` is [n_input]. Non-convergence is reported in
/// the summary, never thrown; shapes and options are checked (InvalidArgument). Runs on the
/// calling thread: its Newton rounds are sequential (each point found decides which candidates
/// still need Newton); callers parallelise over conditions or networks.
FixedPointResult find_fixed_points(const Network& network,
                                   const Eigen::Ref<const Eigen::MatrixXd>& initial_states,
                                   const Eigen::Ref<const Eigen::VectorXd>& input,
                                   const FixedPointOptions& options = {});

/// q(s) = 1/2 ||F(s, u) - s||^2 for each column of `states` [n_state, n] into *q [n], and its
/// gradient J^T (F - s) - (F - s) into *gradient [n_state, n] when non-null. One batched step.
void fixed_point_objective(const Network& network,
                           const Eigen::Ref<const Eigen::MatrixXd>& states,
                           const Eigen::Ref<const Eigen::VectorXd>& input,
                           Eigen::VectorXd* q,
                           Eigen::MatrixXd* gradient = nullptr);

/// How initial states are drawn from task trajectories.
struct InitialStateOptions {
  int n_states = 1024;       ///< states to return, >= 1
  int n_trials = 64;         ///< task trials to run the network on, >= 1
  double noise_scale = 0.5;  ///< std of the Gaussian noise added to each state, >= 0
  std::uint64_t seed = 0;    ///< trials, the choice of time steps and the noise all derive from it
  void validate() const;
};

/// States visited by `network` on `n_trials` trials of `task` (from the zero state), `n_states` of
/// them drawn uniformly over trials and time steps with replacement, plus noise_scale * N(0, 1) in
/// every coordinate: [n_state, n_states]. Deterministic in `seed`.
Eigen::MatrixXd sample_initial_states(const Network& network,
                                      const Task& task,
                                      const InitialStateOptions& options = {});

/// The same from given states [n_state, n_pool] (n_pool >= 1), for example a trajectory.
Eigen::MatrixXd sample_initial_states(const Eigen::Ref<const Eigen::MatrixXd>& pool,
                                      const InitialStateOptions& options = {});

}  // namespace rnnatlas
