// The dynamics analysis of one trained network: fixed points, linearizations and transitions at
// every constant input of its task, example trajectories, and the task analysis of docs/study.md
// (section 6).
//
// Conditions (the constant inputs at which the fixed points are sought), by Task::name():
//   flip_flop            one condition: zero input;
//   sine_wave            condition k: the static input u_j of frequency index j = 1 + k * stride;
//   context_integration  condition c: context c one-hot (input 2 + c = 1), zero evidence.
// For each condition the initial states of the fixed-point search are states the network visits on
// task trials at that condition, plus noise_scale * N(0, 1) (sample_initial_states); the points are
// linearized and the unstable manifolds of the fixed points followed to the fixed points or limit
// cycles they reach (find_transitions).
//
// The task analyses (docs/dynamics.md gives every definition):
//   flip_flop  readout labels in {-1, 0, +1}^n_bits, stable corners, saddles, points by number of
//              unstable dimensions, and whether the saddles with one unstable dimension connect
//              corners one bit apart;
//   sine_wave  target frequency w_j, the frequency predicted by the linearization of the unstable
//              point, w_hat = |arg lambda| of its leading complex pair, and the frequency of the
//              network's own output driven by u_j (estimate_frequency());
//   context_integration  per context: points, line-attractor points (an eigenvalue within
//              line_attractor_tol of modulus 1), the mean sorted |lambda| spectrum, and the
//              fraction of the linearized response to the relevant input explained by the leading k
//              modes (mode_response_fractions()).
// Topology counts, transitions and task statistics use the fixed points (q <= tol_q); slow points
// are kept and flagged. A slow point joins the scaffold only as part of a continuous attractor,
// and only when it lies on the visited states and holds over a trial
// (slow_points_on_visited_states()): that is what makes the gated networks' line attractors of
// context_integration, which are approximate, one object of the signature, and the points the
// context's spectrum and mode response average over.
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "rnnatlas/dynamics/fixed_points.h"
#include "rnnatlas/dynamics/linearization.h"
#include "rnnatlas/dynamics/topology.h"
#include "rnnatlas/dynamics/transitions.h"
#include "rnnatlas/execution.h"
#include "rnnatlas/models/network.h"
#include "rnnatlas/schema.h"
#include "rnnatlas/tasks/task.h"

namespace rnnatlas {

/// Options of analyze_network(). Defaults are the paper's and FixedPointFinder's (docs/study.md)
/// except fixed_points.lr_initial (see FixedPointOptions); a cheap run lowers n_initial_states,
/// fixed_points.max_iters, fixed_points.newton.max_iters, transitions.max_steps and (sine wave)
/// raises input_stride (docs/dynamics.md lists measured costs).
struct AnalysisOptions {
  /// The fixed-point search at each condition, with find_fixed_points()'s defaults.
  FixedPointOptions fixed_points;
  /// Stability tolerance of the linearizations (stability_tol: the marginal band around
  /// |lambda| = 1). compute_eigenvectors is ignored (always true).
  LinearizationOptions linearization;
  /// Following the unstable manifolds from each fixed point, and examining the runs still moving
  /// for limit cycles (find_limit_cycles, limit_cycles).
  TransitionOptions transitions;
  /// A transition run still moving after transitions.max_steps counts as reaching a fixed point
  /// without unstable modes when it ends closer to it than capture_fraction times the distance
  /// from that point to its nearest other fixed point (gated networks approach their memories
  /// along modes with |lambda| ~ 1 - 1e-4 that take ~1e5 steps to settle). In [0, 0.5]; 0 counts
  /// only settled runs. Runs captured are not examined for limit cycles; the others still moving
  /// are (transitions.find_limit_cycles).
  double capture_fraction = 0.25;
  /// Initial states of the fixed-point search per condition, >= 1.
  int n_initial_states = 1024;
  /// Std of the Gaussian noise added to each visited state to make an initial state, >= 0.
  double noise_scale = 0.5;
  /// Task trials that provide the visited states (flip_flop, context_integration) and the stored
  /// example trajectories, >= 1. The trials are task.sample(n_trials, seed): with a fixed seed,
  /// every network of a population sees the same trials.
  int n_trials = 16;
  /// Stream of the example trials and of the initial-state draws. The default is the default
  /// held-out stream of training (TrainOptions::eval_seed), so the example trials are the first
  /// held-out trials.
  std::uint64_t seed = 20190719;
  /// sine_wave: analyse the static inputs j = 1, 1 + input_stride, 1 + 2 input_stride, ... (of
  /// n_frequencies), >= 1. 1 = all of them (the paper); 10 = 6 of the 51 inputs.
  int input_stride = 1;
  /// sine_wave: the output frequency is measured on steps [transient, transient + measure) of the
  /// network driven by u_j from the zero state. transient >= 0, measure >= 8.
  int frequency_transient_steps = 100;
  int frequency_measure_steps = 1000;
  /// A mode is marginal for the continuous attractors (and, for context_integration, a point is on
  /// a line attractor) when | |lambda| - 1 | <= line_attractor_tol: a time constant of at least
  /// 1 / tol steps. The same bound joins fixed points into one continuous attractor when the flow
  /// between them takes at least 1 / tol steps to cross the gap (find_continuous_attractors()).
  /// <= 0 means 1 / n_time of the task: memory over a whole trial.
  double line_attractor_tol = 0.0;

  /// The fields above, with their rules and help (rnnatlas/schema.h); nested() the structs.
  /// for_each_field() walks all of them: the /options block of a dynamics file, the flags of
  /// `rnnatlas dynamics` and the keys of a study's [dynamics] table are their paths
  /// ("fixed_points.max_iters", docs/options.md).
  static const Schema<AnalysisOptions>& schema();
  static constexpr auto nested() {
    using A = AnalysisOptions;
    return std::tuple{Nest<A, FixedPointOptions>{"fixed_points", &A::fixed_points},
                      Nest<A, LinearizationOptions>{"linearization", &A::linearization},
                      Nest<A, TransitionOptions>{"transitions", &A::transitions}};
  }
  /// Throws InvalidArgument naming the first field that breaks its rule by its path
  /// ("n_trials", "fixed_points.tol_q").
  void validate() const;
};

/// The fixed points at one constant input, their linearizations (eigenvalues) and transitions:
/// what the dynamics file stores per condition. Points are columns, sorted by q ascending.
struct ConditionDynamics {
  std::string label;          ///< "zero input", "u = 0.2696 (w = 0.1)", "context 1"
  Eigen::VectorXd input;      ///< [n_input], the constant input u
  Eigen::MatrixXd states;     ///< [n_state, n_points]
  Eigen::VectorXd q;          ///< [n_points], 1/2 ||F(s, u) - s||^2
  std::vector<bool> is_slow;  ///< [n_points], q > tol_q
  /// [n_state, n_points]: column p = the eigenvalues of J at point p, sorted by |lambda|
  /// descending (a conjugate pair: positive imaginary part first).
  Eigen::MatrixXcd eigenvalues;
  Eigen::VectorXi n_unstable;             ///< [n_points], |lambda| > 1 + tol (pairs count 2)
  std::vector<StabilityClass> stability;  ///< [n_points]
  Eigen::VectorXd leading_frequency;      ///< [n_points], rad/step; NaN when all real
  Eigen::MatrixXd readout;                ///< [n_output, n_points], W_out h* + b_out
  /// [n_points, n_points]: runs from fixed point i (along its unstable modes, + and -) that
  /// reached fixed point j. Slow points are neither followed nor reached (a run settles only where
  /// ||F(s) - s|| <= tol_settled), so their rows and columns are zero.
  Eigen::MatrixXi transitions;
  /// The distinct limit cycles (periodic orbits of period >= 2, invariant closed curves) that
  /// transition runs from the fixed points reached, in the order of the first run reaching each
  /// (TransitionGraph::cycles). Empty when none was reached or none was sought
  /// (transitions.find_limit_cycles = false).
  std::vector<LimitCycle> limit_cycles;
  /// [n_points, n_cycles]: runs from fixed point i that reached limit cycle c (slow points: zero
  /// rows).
  Eigen::MatrixXi cycle_transitions;
  /// The continuous attractors (line attractors, rings, ...) that the fixed points and the slow
  /// points on the visited states form (slow_points_on_visited_states(),
  /// find_continuous_attractors(), with tol = the resolved line_attractor_tol).
  std::vector<ContinuousAttractor> continuous_attractors;
  /// [n_points]: the index in continuous_attractors of the attractor point p lies on; -1 for an
  /// isolated fixed point and for a slow point on none (outside the scaffold).
  Eigen::VectorXi attractor;
  // Finder and transition summary.
  int n_candidates = 0;  ///< initial states
  int n_converged = 0;   ///< candidates that ended with q <= tol_q
  int n_slow = 0;        ///< candidates that ended with q > tol_q
  int n_merged = 0;      ///< candidates dropped as duplicates
  int n_outliers = 0;    ///< unique points dropped as outliers
  /// Transition runs that reached neither a fixed point (settled, captured, or found converging by
  /// the limit-cycle examination) nor a limit cycle.
  int n_unresolved = 0;
  int n_unmatched = 0;  ///< transition runs that settled away from every listed fixed point

  int n_points() const { return static_cast<int>(states.cols()); }
  /// Points with the given class among the fixed points (slow points excluded).
  int count(StabilityClass stability_class) const;
};

/// The network on the example trials, in TrialBatch layout: column t * n_trials + b is step t of
/// trial b.
struct ExampleTrajectories {
  int n_trials = 0;
  int n_time = 0;
  Eigen::MatrixXd inputs;   ///< [n_input, n_time * n_trials]
  Eigen::MatrixXd targets;  ///< [n_output, n_time * n_trials]
  Eigen::MatrixXd outputs;  ///< [n_output, n_time * n_trials], the network's output
  Eigen::MatrixXd states;   ///< [n_state, n_time * n_trials], the state after each step
};

/// flip_flop (condition 0, zero input).
struct FlipFlopAnalysis {
  /// [n_points, n_bits] in {-1, 0, +1}: the readout of each point rounded to the nearest integer
  /// and clipped to [-1, 1].
  Eigen::MatrixXi labels;
  /// Fixed points without unstable modes (class stable or marginal: a gated network's memories
  /// decay so slowly that their leading |lambda| is often within stability_tol of 1).
  int n_stable = 0;
  int n_stable_corners = 0;           ///< distinct all-nonzero labels among those points
  int n_saddles = 0;                  ///< fixed points classed saddle
  Eigen::VectorXi count_by_unstable;  ///< [n_state + 1]: fixed points with k unstable dimensions
  /// Among the fixed points with exactly one unstable dimension whose + and - runs reach two
  /// corners (fixed points without unstable modes and with all-nonzero labels) with different
  /// labels (total), those whose two corners differ in exactly one bit.
  int corner_transitions_one_bit = 0;
  int corner_transitions_total = 0;
};

/// sine_wave, one entry per condition (static input).
struct SineWaveAnalysis {
  Eigen::VectorXi frequency_index;   ///< [n_conditions], j in 1 .. n_frequencies
  Eigen::VectorXd target_frequency;  ///< [n_conditions], w_j, rad/step
  /// [n_conditions]: |arg lambda| of the leading complex eigenvalue of the lowest-q fixed point
  /// that has an unstable complex pair; NaN when no fixed point has one.
  Eigen::VectorXd predicted_frequency;
  /// [n_conditions]: estimate_frequency() of the network's output driven by u_j from the zero
  /// state (see AnalysisOptions::frequency_*_steps); NaN when it does not oscillate.
  Eigen::VectorXd measured_frequency;
  std::vector<bool> has_unstable_complex;  ///< [n_conditions]
};

/// The fewest finite pairs fit_line() fits a line to: through 2 points a line fits exactly
/// (R^2 = 1 whatever the points), so a fit says nothing below 3.
inline constexpr int kMinFitPoints = 3;

/// The least-squares line y = intercept + slope x of fit_line(), and how well it and the identity
/// line y = x describe the pairs. The frequency fit of the sine wave (w_hat and the output
/// frequency against w) that `rnnatlas dynamics` prints and the report's sine_frequency claim
/// judges.
struct LinearFit {
  double slope = 0.0;
  double intercept = 0.0;
  /// 1 - sum (y - intercept - slope x)^2 / sum (y - mean y)^2, in [0, 1] up to round-off; NaN
  /// when y is constant (the slope is then 0 and the intercept that value).
  double r_squared = 0.0;
  /// 1 - sum (y - x)^2 / sum (y - mean y)^2: how well y = x describes the pairs, <= 1 and
  /// unbounded below; NaN when y is constant.
  double identity_r_squared = 0.0;
  int n_points = 0;  ///< the pairs fitted (both values finite)
};

/// The least-squares line of y against x over the pairs (x_i, y_i) where both are finite (NaN
/// and infinities mark missing values, as in SineWaveAnalysis). nullopt with fewer than
/// kMinFitPoints such pairs or when their x are all equal (the slope is undefined). Throws
/// InvalidArgument when x and y differ in size.
std::optional<LinearFit> fit_line(const Eigen::Ref<const Eigen::VectorXd>& x,
                                  const Eigen::Ref<const Eigen::VectorXd>& y);

/// context_integration, one row per context (condition).
struct ContextIntegrationAnalysis {
  Eigen::VectorXi n_points;           ///< [n_contexts], points (slow points included)
  Eigen::VectorXi n_marginal_points;  ///< [n_contexts], points with a line-attractor eigenvalue
  /// [n_contexts, n_state]: the |lambda| spectrum sorted descending, averaged over the points of
  /// the context's line attractor as mode_response; NaN rows for a context without such points.
  Eigen::MatrixXd eigenvalue_modulus;
  /// [n_contexts, n_state]: column k - 1 = mode_response_fractions() of the relevant evidence
  /// stream (stream c in context c) with k modes over the task's n_time steps, averaged over the
  /// points on the context's continuous attractors (its line attractor: fixed points and the slow
  /// points that joined it; all its fixed points when it has none), as the study averages over the
  /// points of the line attractor; NaN rows for a context without such points.
  /// eigenvalue_modulus averages over the same points.
  Eigen::MatrixXd mode_response;
  /// [n_contexts]: the least k with mode_response >= 0.9; 0 for a context without fixed points.
  Eigen::VectorXi n_modes_90;
  double line_attractor_tol = 0.0;  ///< the tolerance used (after resolving <= 0)
};

/// The task-agnostic topology, and the flip-flop's labelled graph (docs/dynamics.md).
struct TopologySignature {
  /// [n_conditions, kSignatureColumns]: per condition, the isolated fixed points with 0, 1, 2, 3,
  /// >= 4 unstable dimensions, then the continuous attractors by shape and stability
  /// (signature_row() in topology.h). A continuous attractor counts once, however many points lie
  /// on it.
  Eigen::MatrixXi signature;
  /// flip_flop with n_bits <= kMaxLabelGraphBits: [3^n_bits, 3^n_bits] over the readout labels
  /// (ternary index, first bit most significant, digits -1, 0, +1 -> 0, 1, 2). (a, a) = fixed
  /// points labelled a; (a, b), a != b = transition runs from a fixed point labelled a to one
  /// labelled b. Empty otherwise.
  Eigen::MatrixXi label_graph;
};

/// Flip-flops with more bits store no label graph (it has 9^n_bits entries).
inline constexpr int kMaxLabelGraphBits = 5;

/// The version of the analysis's method, stored in every dynamics file: a file of another
/// method is analysed again by `rnnatlas dynamics DIR`, like one of other options. 1: initial
/// states drawn from visited states plus noise; 2: one in 8 of them replaced by visited states
/// (without noise) run freely for 4 trials at the condition's input; 3: slow points on the visited
/// states that hold over a trial join the continuous attractors (slow_points_on_visited_states()).
inline constexpr int kAnalysisMethod = 3;

/// Everything analyze_network() finds: the content of a dynamics file (docs/pipeline.md).
struct NetworkDynamics {
  std::string network_id;    ///< e.g. "0007-gru-tanh-h64-l2_1e-4-s3"; set by the caller
  std::string network_file;  ///< the network file, relative to the task directory; set by caller
  /// The manifest's content hash of network_file (io/content_hash.h); set by the caller. Empty in
  /// a file written before hashes were recorded.
  std::string network_hash;
  std::string task;  ///< Task::name()
  Architecture architecture;
  AnalysisOptions options;                ///< the options used (line_attractor_tol as given)
  int analysis_method = kAnalysisMethod;  ///< the method that made it; 1 in files without one
  std::vector<ConditionDynamics> conditions;
  ExampleTrajectories trajectories;
  // Exactly one of these is set, the one of `task`.
  std::optional<FlipFlopAnalysis> flip_flop;
  std::optional<SineWaveAnalysis> sine_wave;
  std::optional<ContextIntegrationAnalysis> context_integration;
  TopologySignature topology;
  double seconds = 0.0;  ///< wall time of analyze_network() (not stored in the file)
};

/// Analyses `network` trained on `task` (flip_flop, sine_wave or context_integration). Throws
/// InvalidArgument for invalid options, another task, or a network whose input/output sizes are
/// not the task's. Numerical trouble (slow points, unresolved transitions) is reported in the
/// result. execution.n_threads threads work on the network: its conditions run concurrently (or,
/// for a single condition, the linearizations and the examination of transitions); the result
/// does not depend on it.
NetworkDynamics analyze_network(const Network& network,
                                const Task& task,
                                const AnalysisOptions& options = {},
                                const Execution& execution = {});

// ---- The pieces, public for tests and for other callers ----------------------------------------

/// The frequency (rad/step, in (0, pi)) of an oscillating signal [n]: the mean level is removed,
/// upward crossings of it are found with hysteresis (the signal must fall below -h, h = a quarter
/// of its standard deviation, between two counted crossings, so harmonics and noise do not add
/// crossings) and located by linear interpolation; w = 2 pi (crossings - 1) / (t_last - t_first).
/// NaN when the signal has fewer than 3 such crossings or has settled (standard deviation
/// <= 1e-8 max(1, |mean|)).
double estimate_frequency(const Eigen::Ref<const Eigen::VectorXd>& signal);

/// The linearized readout response to a unit pulse along `input_direction` [n_input], split over
/// the modes: [n_output, n_state]. With J = sum_i lambda_i r_i l_i^T (l_i^T r_j = delta_ij),
/// W = the readout weights over the state [n_output, n_state] and b = B input_direction, the
/// readout tau steps after the pulse is
///     y(tau) = W J^tau b = sum_i c_i lambda_i^tau,      c_i = (W r_i) (l_i^T b)   (column i).
/// `linearization` needs eigenvectors and B.
Eigen::MatrixXcd mode_response_contributions(
    const Linearization& linearization,
    const Eigen::Ref<const Eigen::MatrixXd>& readout_weights,
    const Eigen::Ref<const Eigen::VectorXd>& input_direction);

/// How much of that response the leading k modes (sorted by |lambda| descending) carry, for
/// k = 1 .. n_state: [n_state], the fraction of the response's energy over `horizon` (>= 1)
/// steps that the k-mode reconstruction explains,
///     fraction(k) = 1 - sum_{tau < horizon} ||y(tau) - y_k(tau)||^2 / sum_tau ||y(tau)||^2,
///     y_k(tau) = Re sum_{i <= k} c_i lambda_i^tau,
/// with y computed by iterating J (exact). fraction(n_state) = 1 up to the accuracy of the
/// eigenvectors; fractions may dip below 0 when leading modes overshoot (non-normal J). All
/// zeros when the response is zero.
Eigen::VectorXd mode_response_fractions(const Linearization& linearization,
                                        const Eigen::Ref<const Eigen::MatrixXd>& readout_weights,
                                        const Eigen::Ref<const Eigen::VectorXd>& input_direction,
                                        int horizon);

/// The readout weights over the state, [n_output, n_state]: W_out, with zero columns for the LSTM
/// cell state.
Eigen::MatrixXd readout_weights(const Network& network);

/// The label index of a row of labels in {-1, 0, +1} (ternary, first entry most significant).
int label_index(const Eigen::Ref<const Eigen::VectorXi>& label);

}  // namespace rnnatlas
