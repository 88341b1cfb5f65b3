// Limit cycles of a network's autonomous dynamics at a constant input u: s_{t+1} = F(s_t, u).
//
// A discrete-time map has two kinds of periodic attractor, and both are handled here.
//
// (a) Periodic orbits of integer period P, s_{t+P} = s_t (P = 1: a fixed point). Each point of the
//     orbit is an isolated fixed point of the P-step map F^P, so plain Newton ("shooting") on
//         G(s) = F^P(s) - s,   DG(s) = M(s) - I,   M(s) = J(s_{P-1}) ... J(s_1) J(s_0),
//     with s_k = F^k(s) and the exact Jacobians J = dF/ds, converges quadratically; unlike in
//     continuous time no phase condition is needed. M at a point of the orbit is the monodromy
//     matrix; its eigenvalues, the Floquet multipliers mu, are the same at every point of the
//     orbit, and the orbit is stable when every |mu| < 1 (discrete-time stability bands of
//     linearization.h, applied to M). The Lyapunov exponents of the orbit are log|mu_i| / P.
//
// (b) Invariant closed curves. The map restricted to the curve is a circle map whose rotation
//     number rho is irrational in general (quasi-periodic motion, the typical "limit cycle" of a
//     smooth RNN trained to generate a sine wave), so no integer period exists. Its frequency is
//     omega = 2 pi rho in rad/step, taken in [0, pi] like |arg lambda| of an eigenvalue, and its
//     period is 2 pi / omega steps. rnnatlas measures omega as the mean angular advance per step of
//     the orbit around its mean, in the plane of its two leading principal components, with the
//     weighted Birkhoff average of Das, Saiki, Sander & Yorke (2017, "Quantitative
//     quasiperiodicity", Nonlinearity 30:4111):
//         omega = | sum_t w(t / N) d_t | / sum_t w(t / N),   w(x) = exp(-1 / (x (1 - x))),
//     d_t = the angle change from step t to t + 1 wrapped into (-pi, pi]. For a smooth
//     quasi-periodic orbit it converges faster than any power of 1/N (the plain mean: as 1/N).
//     Transverse stability comes from the Lyapunov spectrum lambda_1 >= lambda_2 >= ..., by the QR
//     method on the Jacobian products (Benettin et al. 1980): lambda_1 ~ 0 along the curve, and the
//     curve attracts when lambda_2 < 0.
//
// Classification of where a simulation from s_0 goes (classify_attractors):
//   1. run n_transient steps (all starts batched); a state that is not finite or whose norm exceeds
//      divergence_norm is kDiverged;
//   2. record N = n_record more steps x_0 .. x_{N-1}; the smallest P in 1..max_period with
//          d_P = max over the last max_period t of || x_{t+P} - x_t || <= tol_recurrence
//      is the candidate period; Newton shooting refines it from x_{N-1}. It is accepted when the
//      residual ||F^P(s) - s|| <= shooting.tol_residual and the refined point is within tol_match
//      of x_{N-1}: kFixedPoint (P = 1) or kPeriodicOrbit;
//   3. otherwise the recorded window is analysed as a curve (projected angle, winding, gaps, radius
//      drift) and its Lyapunov exponents are computed: lambda_1 > tol_lyapunov is kChaotic; a curve
//      (at least min_turns turns with a consistent direction, no gap in the angle-sorted points
//      larger than max_curve_gap times its RMS radius, mean radius equal in both halves of the
//      window to max_radius_drift) with |lambda_1| <= tol_lyapunov is kInvariantCurve (attracting
//      when lambda_2 < -tol_lyapunov, neutral otherwise); anything else is kUnresolved (for example
//      still converging, lambda_1 < -tol_lyapunov, or a torus) and the message says which test
//      failed.
//
// The Lyapunov exponents are computed by the QR method on the transposed products: the singular
// values of M = J_{N-1} ... J_0 and of M^T = J_0^T ... J_{N-1}^T are the same, so iterating
// Q <- qr(J(x_t)^T Q) backward over the stored window estimates the same exponents, and J^T Q for
// k columns is one batched reverse-mode step of the cell: O(k n^2) per step for k exponents
// instead of the O(n^3) of a full Jacobian.
#pragma once

#include <Eigen/Core>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "rnnatlas/dynamics/fixed_points.h"
#include "rnnatlas/dynamics/linearization.h"
#include "rnnatlas/execution.h"
#include "rnnatlas/models/network.h"
#include "rnnatlas/schema.h"

namespace rnnatlas {

// ==== Orbits and their measures ==================================================================

/// Size of an orbit around its mean, from a set of its points.
struct OrbitAmplitude {
  Eigen::VectorXd center;      ///< [n_state], mean of the points
  Eigen::VectorXd half_range;  ///< [n_state], (max - min) / 2 per coordinate
  double rms_radius = 0.0;     ///< sqrt(mean ||s - center||^2)
  double max_radius = 0.0;     ///< max ||s - center||
};

/// The amplitude of the points, the columns of `points` [n_state, n_points], n_points >= 1.
OrbitAmplitude orbit_amplitude(const Eigen::Ref<const Eigen::MatrixXd>& points);

/// F^n_steps(state, input) [n_state], and when `jacobian` is non-null the exact Jacobian of the
/// n_steps-step map, J(s_{n-1}) ... J(s_1) J(s_0) [n_state, n_state] (the monodromy matrix when the
/// state lies on an orbit of period n_steps). n_steps >= 0 (0: the state and the identity).
Eigen::VectorXd iterate_map(const Network& network,
                            const Eigen::Ref<const Eigen::VectorXd>& state,
                            const Eigen::Ref<const Eigen::VectorXd>& input,
                            int n_steps,
                            Eigen::MatrixXd* jacobian = nullptr);

// ==== (a) Periodic orbits: Newton shooting and Floquet multipliers ===============================

/// Newton shooting on G(s) = F^P(s) - s.
struct ShootingOptions {
  /// The damped Newton iteration of fixed_points.h, on q = 1/2 ||F^P(s) - s||^2 with
  /// DG = M - I: max_iters (default 20), tol_q (stop when q <= tol_q), max_backtracks, and the
  /// Levenberg-Marquardt fallback when M - I is numerically singular (min_rcond, lm_damping).
  /// enabled = false reports the starting point as it is.
  NewtonOptions newton;
  /// The orbit is converged when ||F^P(s) - s||_2 <= tol_residual (state units), > 0. Rounding
  /// in F^P grows with P and with the expansion along the orbit, so keep it well above 1e-15.
  double tol_residual = 1e-10;
  /// Floquet multipliers with | |mu| - 1 | <= stability_tol are marginal, in [0, 1) (as
  /// LinearizationOptions::stability_tol).
  double stability_tol = 1e-3;

  /// Every field but newton's, with its rule and help (rnnatlas/schema.h).
  static const Schema<ShootingOptions>& schema();
  static constexpr auto nested() {
    return std::tuple{Nest<ShootingOptions, NewtonOptions>{"newton", &ShootingOptions::newton}};
  }
  /// Throws InvalidArgument naming the field ("tol_residual", "newton.max_iters"), its value and
  /// the rule.
  void validate() const;
};

/// A periodic orbit of the autonomous map (period 1: a fixed point).
struct PeriodicOrbit {
  /// Minimal period P: for a converged orbit the smallest divisor d of the requested period with
  /// ||F^d(s) - s|| <= max(tol_residual, 2 residual); otherwise the requested period.
  int period = 0;
  Eigen::VectorXd input;   ///< [n_input]
  Eigen::MatrixXd points;  ///< [n_state, P]: s, F(s), ..., F^{P-1}(s)
  double residual = 0.0;   ///< ||F^P(s) - s||_2 at the returned s
  bool converged = false;  ///< residual <= tol_residual
  int n_newton_iters = 0;  ///< accepted Newton steps
  /// ||F^P(s) - s|| before each Newton step and at the end: [n_newton_iters + 1].
  std::vector<double> residual_history;
  Eigen::MatrixXd monodromy;  ///< [n_state, n_state], M = J(s_{P-1}) ... J(s_0) at points.col(0)
  /// [n_state], eigenvalues of M sorted by |mu| descending (complex pair: Im > 0 first).
  Eigen::VectorXcd multipliers;
  int n_unstable = 0;  ///< multipliers with |mu| > 1 + stability_tol (a complex pair counts 2)
  int n_marginal = 0;  ///< multipliers with | |mu| - 1 | <= stability_tol
  /// stable / marginal / saddle / unstable, from the multipliers as in linearization.h.
  StabilityClass stability = StabilityClass::kStable;
  /// Angular advance per step in rad/step, in [0, pi]: 0 for P = 1, pi for P = 2, and for P >= 3
  /// 2 pi |w| / P with w the winding number of the closed polygon through the points around their
  /// mean, in their leading principal plane (NaN when n_state = 1).
  double frequency = 0.0;
  int winding_number = 0;    ///< w above (0 for P <= 2)
  OrbitAmplitude amplitude;  ///< of the P points

  /// log|mu_i| / P [n_state], descending: the orbit's Lyapunov exponents (-inf for mu = 0).
  Eigen::VectorXd lyapunov_exponents() const;
};

/// Refines a periodic orbit of period `period` (>= 1) through `state` [n_state] at `input`
/// [n_input] by Newton shooting, then computes its monodromy matrix, Floquet multipliers,
/// stability, frequency and amplitude. Non-convergence is reported (converged = false), never
/// thrown; shapes and options are checked (InvalidArgument). Cost per Newton step: P exact
/// Jacobians and P products of [n_state, n_state] matrices, plus an LU of M - I.
PeriodicOrbit refine_periodic_orbit(const Network& network,
                                    const Eigen::Ref<const Eigen::VectorXd>& state,
                                    const Eigen::Ref<const Eigen::VectorXd>& input,
                                    int period,
                                    const ShootingOptions& options = {});

// ==== Lyapunov exponents =========================================================================

/// The n_exponents leading Lyapunov exponents (per step, descending) of the trajectory of n_steps
/// steps from `state` [n_state] at `input` [n_input], after n_transient discarded steps: the QR
/// method on the transposed Jacobian products (see the top of this file), started from the first
/// n_exponents columns of the identity. 1 <= n_exponents <= n_state, n_steps >= 1,
/// n_transient >= 0. The estimates carry an O(1/n_steps) bias. Returns [n_exponents]; NaN when the
/// trajectory leaves the finite numbers.
Eigen::VectorXd lyapunov_exponents(const Network& network,
                                   const Eigen::Ref<const Eigen::VectorXd>& state,
                                   const Eigen::Ref<const Eigen::VectorXd>& input,
                                   int n_steps,
                                   int n_exponents,
                                   int n_transient = 0);

// ==== (b) Invariant curves and the classification of attractors ==================================

/// What a simulation from one initial state converges to.
enum class AttractorKind {
  kFixedPoint,      ///< a period-1 orbit
  kPeriodicOrbit,   ///< an orbit of period 2 .. max_period
  kInvariantCurve,  ///< a closed curve, quasi-periodic motion on it
  kChaotic,         ///< bounded, lambda_1 > tol_lyapunov
  kUnresolved,      ///< bounded, none of the above within the budget (the message says why)
  kDiverged,        ///< a state became non-finite or its norm exceeded divergence_norm
};
/// "fixed_point", "periodic_orbit", "invariant_curve", "chaotic", "unresolved", "diverged".
std::string_view to_string(AttractorKind kind);

/// Options of classify_attractors().
struct LimitCycleOptions {
  // Simulation ------------------------------------------------------------------------------------
  int n_transient = 2000;  ///< steps discarded before the analysis, >= 0
  /// Steps recorded and analysed, >= 2 max_period + 1 and >= 16. The frequency, the Lyapunov
  /// exponents and the curve tests are computed on this window; memory per thread: n_record
  /// states and the cell's cache for them.
  int n_record = 4000;
  /// A run diverged when a state is not finite or its 2-norm exceeds this, > 0.
  double divergence_norm = 1e6;
  // Periodic orbits -------------------------------------------------------------------------------
  int max_period = 64;  ///< periods 1 .. max_period are tried, >= 1
  /// Candidate period P when max || x_{t+P} - x_t || over the last max_period steps of the window
  /// is <= tol_recurrence (state units), > 0. Loose on purpose: shooting refines the orbit.
  double tol_recurrence = 1e-5;
  ShootingOptions shooting;  ///< Newton shooting from the last recorded state
  /// The refined orbit must pass within tol_match of the last recorded state, > 0.
  double tol_match = 1e-3;
  // Invariant curves ------------------------------------------------------------------------------
  /// The projected orbit must turn at least this many times around its mean over the window, > 0.
  double min_turns = 3.0;
  /// ... with at least this fraction of the steps turning in the dominant direction, in (0.5, 1].
  double min_winding_consistency = 0.99;
  /// The largest distance between neighbours in the angle-sorted window points, over the RMS
  /// radius, must be <= max_curve_gap (a thin closed curve, not a cloud or separate pieces), > 0.
  double max_curve_gap = 0.25;
  /// The (weighted Birkhoff) mean distance to the center in the two halves of the window may
  /// differ by this fraction of their average at most (not still spiralling in or out), > 0.
  double max_radius_drift = 1e-2;
  /// Consecutive window points kept in InvariantCurve::points (the last min(n_curve_points,
  /// n_record) ones), >= 0.
  int n_curve_points = 512;
  // Lyapunov exponents and stability --------------------------------------------------------------
  /// Exponents computed for non-periodic runs, >= 1 (capped at n_state). Two decide
  /// the classification; more cost O(k n^2) per step each.
  int n_lyapunov = 2;
  /// |lambda| <= tol_lyapunov (per step) counts as zero, > 0. The estimates over n_record steps
  /// carry an O(1 / n_record) bias, so keep it well above 1 / n_record.
  double tol_lyapunov = 2e-3;
  // De-duplication --------------------------------------------------------------------------------
  /// Two runs reached the same periodic orbit when they have the same period and points within
  /// tol_unique; the same curve when the final state of one lies within tol_unique plus the
  /// largest angle-sorted gap of the other's kept points (never with n_curve_points = 0). >= 0.
  double tol_unique = 1e-3;

  /// Every field but shooting's, with its rule and help (rnnatlas/schema.h).
  static const Schema<LimitCycleOptions>& schema();
  static constexpr auto nested() {
    return std::tuple{
        Nest<LimitCycleOptions, ShootingOptions>{"shooting", &LimitCycleOptions::shooting}};
  }
  /// Throws InvalidArgument naming the first field ("n_record", "shooting.tol_residual") that
  /// breaks its rule, with its value and the rule.
  void validate() const;
};

/// The measures of a non-periodic bounded run over its recorded window (filled for
/// kInvariantCurve, and as diagnostics for kChaotic and kUnresolved).
struct InvariantCurve {
  /// Mean angular advance per step in rad/step, in [0, pi] (weighted Birkhoff average):
  /// 2 pi times the rotation number.
  double frequency = 0.0;
  /// |frequency over the first half - over the second half of the window|: an error estimate,
  /// near machine precision on a smooth quasi-periodic curve, large for chaos.
  double frequency_error = 0.0;
  double period = 0.0;               ///< 2 pi / frequency, in steps (infinite for frequency 0)
  double n_turns = 0.0;              ///< turns around the center over the window
  double winding_consistency = 0.0;  ///< fraction of steps turning in the dominant direction
  double curve_gap = 0.0;  ///< largest neighbour distance of the angle-sorted points / rms_radius
  double radius_drift = 0.0;  ///< relative change of the mean radius between the window halves
  Eigen::MatrixXd plane;      ///< [n_state, 2], the two leading principal directions
  Eigen::Vector2d plane_variance = Eigen::Vector2d::Zero();  ///< their variances
  double plane_radius = 0.0;  ///< mean distance to the center within the plane
  /// Over the whole window, in state space; center, rms_radius and plane_radius are weighted
  /// Birkhoff means (as the frequency), half_range and max_radius plain extremes.
  OrbitAmplitude amplitude;
  Eigen::MatrixXd points;   ///< [n_state, n_curve_points], the last consecutive window points
  bool attracting = false;  ///< lambda_2 < -tol_lyapunov
};

/// Where one simulation went.
struct Attractor {
  AttractorKind kind = AttractorKind::kUnresolved;
  std::string message;          ///< the numbers that justify the class
  int initial_index = 0;        ///< column of initial_states
  Eigen::VectorXd final_state;  ///< [n_state], the last simulated state
  int n_steps = 0;              ///< steps simulated (fewer than the budget when it diverged)
  /// Smallest d_P over P = 1..max_period (see the top of this file), and that P.
  double recurrence_distance = 0.0;
  int recurrence_period = 0;
  /// Valid for kFixedPoint and kPeriodicOrbit (period 0 otherwise; it also holds a shooting
  /// attempt that was rejected, see the message).
  PeriodicOrbit orbit;
  InvariantCurve curve;  ///< valid for kInvariantCurve; diagnostics for kChaotic, kUnresolved
  /// [n_lyapunov] per step, descending: from the window (QR method), or log|mu| / P for orbits.
  Eigen::VectorXd lyapunov_exponents;
  /// Index of the first run that reached the same attractor (itself if none before it); -1 for
  /// kChaotic, kUnresolved and kDiverged.
  int same_as = -1;
};

struct AttractorResult {
  Eigen::VectorXd input;        ///< [n_input]
  std::vector<Attractor> runs;  ///< one per initial state, in their order
  int n_unique = 0;             ///< distinct attractors (runs with same_as == own index)
  /// Runs per kind, indexed by static_cast<int>(AttractorKind): [6].
  std::vector<int> counts = std::vector<int>(6, 0);
  /// One line, e.g. "64 runs: 0 fixed_point, 0 periodic_orbit, 64 invariant_curve, ...".
  std::string brief_report() const;
};

/// Simulates s <- F(s, input) from each column of `initial_states` [n_state, n_init] (n_init >= 1,
/// finite) and classifies where each run goes (see the top of this file); `input` is [n_input].
/// The transient runs batched; the analysis of the runs is spread over execution.n_threads
/// (results do not depend on it). Outcomes are data, never thrown; shapes and options are checked
/// (InvalidArgument).
AttractorResult classify_attractors(const Network& network,
                                    const Eigen::Ref<const Eigen::MatrixXd>& initial_states,
                                    const Eigen::Ref<const Eigen::VectorXd>& input,
                                    const LimitCycleOptions& options = {},
                                    const Execution& execution = {});

/// The curve measures (everything in InvariantCurve but `attracting`) of consecutive orbit
/// points, the columns of `window` [n_state, N], N >= 3, keeping the last n_points of them.
/// Public for tests and for trajectories from elsewhere.
InvariantCurve analyze_curve(const Eigen::Ref<const Eigen::MatrixXd>& window, int n_points = 0);

}  // namespace rnnatlas
