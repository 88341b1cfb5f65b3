#include "rnnatlas/dynamics/analysis.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <complex>
#include <cstdio>
#include <limits>
#include <set>
#include <sstream>
#include <utility>

#include "common/parallel.h"
#include "common/random.h"
#include "rnnatlas/error.h"
#include "rnnatlas/tasks/tasks.h"
#include "tasks/task_params.h"

namespace rnnatlas {
namespace {

using Eigen::MatrixXd;
using Eigen::VectorXd;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
/// Domain tag of the initial-state draws: stream = the condition's key (see Condition::key).
constexpr std::uint64_t kInitialStateDomain = 0xD1A6;

/// The share of the initial states that are settled (one in kSettledShare), and the length of
/// their free run in task trials. A settled start is a visited state, without noise, run freely at
/// the condition's input: it ends near a stable attractor of that input, where Newton converges.
/// Adam's first steps can carry a start that is merely near a memory along the nearly marginal
/// directions of a gated network (|lambda| within 1e-3 of 1) to a slow point instead
/// (docs/dynamics.md, "Why settled starts").
constexpr int kSettledShare = 8;
constexpr int kSettleTrials = 4;
/// Domain tag of the settled starts' draw from the visited states.
constexpr std::uint64_t kSettledStateDomain = 0x5E77;

/// Runs the columns of `states` freely at `input` for `n_steps` steps and returns their final
/// states. Runs in chunks of steps, so memory stays bounded for long runs.
MatrixXd free_run_ends(const Network& network,
                       MatrixXd states,
                       const VectorXd& input,
                       int n_steps) {
  const int n_batch = static_cast<int>(states.cols());
  constexpr int kChunk = 32;
  for (int done = 0; done < n_steps; done += kChunk) {
    const int n_time = std::min(kChunk, n_steps - done);
    const Network::Trajectory run = network.run(
        input.replicate(1, static_cast<Eigen::Index>(n_time) * n_batch), n_batch, &states);
    states = run.states.rightCols(n_batch);
  }
  return states;
}

/// One constant input at which the fixed points are sought.
struct Condition {
  std::string label;
  VectorXd input;         // [n_input]
  std::uint64_t key = 0;  // stream of its initial-state draw: independent of which others run
  MatrixXd pool;          // [n_state, n_pool], visited states the initial states are drawn from
};

/// What one condition yields: the stored part, plus what the task analysis needs from the
/// linearizations (which are dropped to bound memory: sine_wave has 51 conditions).
struct ConditionResult {
  ConditionDynamics dynamics;
  MatrixXd mode_fractions;  // [n_state, n_points], context_integration only
};

std::string sine_label(double u, double w) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "u = %.4g (w = %.4g)", u, w);
  return buf;
}

/// Runs `network` from the zero state on a constant input for n_time steps: [n_state, n_time]
/// states and [n_output, n_time] outputs.
Network::Trajectory run_constant(const Network& network, const VectorXd& input, int n_time) {
  return network.run(input.replicate(1, n_time), /*n_batch=*/1);
}

/// find_transitions() from and to the fixed points only, as a graph over all the points (rows and
/// columns of slow points are zero). Nothing is lost: a run settles only where
/// ||F(s) - s|| <= tol_settled, which no slow point (q > tol_q) satisfies, and following a slow
/// point's "unstable" modes (a gated network may have hundreds of slow points) mostly yields runs
/// that never settle.
/// A run that has not settled after max_steps but ends within capture_fraction times the point
/// spacing of a fixed point without unstable modes (closer to it than capture_fraction times the
/// distance from that point to its nearest other fixed point) counts as reaching it: gated
/// networks approach their attractors along modes with |lambda| within 1e-3 of 1, which take tens
/// of thousands of steps to settle to tol_settled. The runs still unresolved after that are
/// examined for limit cycles (resolve_unsettled_runs, on execution's threads) when
/// options.find_limit_cycles: capturing first spares the examination of runs already known.
TransitionGraph fixed_point_transitions(const Network& network,
                                        const FixedPoints& points,
                                        const std::vector<Linearization>& lins,
                                        const TransitionOptions& options,
                                        double capture_fraction,
                                        const Execution& execution) {
  std::vector<int> fixed;
  for (int p = 0; p < points.n_points(); ++p) {
    if (!points.is_slow[p]) fixed.push_back(p);
  }
  const int n_fixed = static_cast<int>(fixed.size());
  FixedPoints subset;
  subset.input = points.input;
  subset.states.resize(points.states.rows(), n_fixed);
  subset.q.resize(n_fixed);
  subset.is_slow.assign(n_fixed, false);
  std::vector<Linearization> subset_lins;
  subset_lins.reserve(n_fixed);
  for (int i = 0; i < n_fixed; ++i) {
    subset.states.col(i) = points.states.col(fixed[i]);
    subset.q[i] = points.q[fixed[i]];
    subset_lins.push_back(lins[fixed[i]]);
  }
  TransitionOptions fixed_only = options;
  fixed_only.find_limit_cycles = false;
  TransitionGraph sub = find_transitions(network, subset, subset_lins, fixed_only);

  if (capture_fraction > 0 && sub.n_unresolved > 0) {
    // Spacing of each fixed point: the distance to its nearest other fixed point.
    VectorXd spacing = VectorXd::Constant(n_fixed, std::numeric_limits<double>::infinity());
    for (int i = 0; i < n_fixed; ++i) {
      for (int j = i + 1; j < n_fixed; ++j) {
        const double d = (subset.states.col(i) - subset.states.col(j)).norm();
        spacing[i] = std::min(spacing[i], d);
        spacing[j] = std::min(spacing[j], d);
      }
    }
    for (Transition& t : sub.transitions) {
      if (t.settled || !t.final_state.allFinite()) continue;
      Eigen::Index nearest = 0;
      const double d =
          (subset.states.colwise() - t.final_state).colwise().norm().minCoeff(&nearest);
      if (subset_lins[nearest].n_unstable == 0 && d <= capture_fraction * spacing[nearest]) {
        t.to = static_cast<int>(nearest);
        t.attractor = AttractorKind::kFixedPoint;
        ++sub.weights(t.from, t.to);
        --sub.n_unresolved;
      }
    }
  }
  if (options.find_limit_cycles && sub.n_unresolved > 0) {
    resolve_unsettled_runs(network, subset, options.limit_cycles, options.tol_match, sub,
                           execution);
  }

  TransitionGraph graph;
  graph.n_unresolved = sub.n_unresolved;
  graph.n_unmatched = sub.n_unmatched;
  graph.weights = Eigen::MatrixXi::Zero(points.n_points(), points.n_points());
  for (int i = 0; i < n_fixed; ++i) {
    for (int j = 0; j < n_fixed; ++j) graph.weights(fixed[i], fixed[j]) = sub.weights(i, j);
  }
  const auto n_cycles = static_cast<Eigen::Index>(sub.cycles.size());
  graph.cycles = std::move(sub.cycles);
  graph.cycle_weights = Eigen::MatrixXi::Zero(points.n_points(), n_cycles);
  for (int i = 0; i < n_fixed; ++i) graph.cycle_weights.row(fixed[i]) = sub.cycle_weights.row(i);
  return graph;
}

/// Fills c.continuous_attractors and c.attractor from the fixed points and the slow points on the
/// visited states that hold over a trial of n_time steps (slow_points_on_visited_states()); tol is
/// the resolved line_attractor_tol. A slow point that joins no continuum stays outside the
/// scaffold (attractor -1).
void group_continuous_attractors(const Network& network,
                                 const FixedPoints& points,
                                 const std::vector<Linearization>& lins,
                                 const MatrixXd& visited,
                                 int n_time,
                                 double tol,
                                 ConditionDynamics& c) {
  const std::vector<char> slow_on_visited =
      slow_points_on_visited_states(points.states, points.q, visited, n_time);
  std::vector<int> candidates;  // the fixed points and the qualifying slow points
  for (int p = 0; p < points.n_points(); ++p) {
    if (!points.is_slow[p] || slow_on_visited[p]) candidates.push_back(p);
  }
  const auto n_candidates = static_cast<Eigen::Index>(candidates.size());
  MatrixXd states(points.states.rows(), n_candidates);
  Eigen::VectorXi n_unstable(n_candidates), n_marginal(n_candidates);
  for (Eigen::Index i = 0; i < n_candidates; ++i) {
    const Linearization& lin = lins[candidates[i]];
    states.col(i) = points.states.col(candidates[i]);
    n_unstable[i] = lin.n_unstable;
    n_marginal[i] = static_cast<int>(((lin.eigenvalues.array().abs() - 1.0).abs() <= tol).count());
  }
  // The memory time scale 1 / tol, one batched step at a time (a whole run would hold every step).
  const int n_steps = static_cast<int>(std::ceil(1.0 / tol));
  const FlowFunction flow = [&](const MatrixXd& s) {
    MatrixXd state = s;
    const MatrixXd inputs = points.input.replicate(1, s.cols());
    for (int t = 0; t < n_steps; ++t) {
      state = network.run(inputs, static_cast<int>(s.cols()), &state).states;
    }
    return state;
  };
  ContinuousAttractors found = find_continuous_attractors(states, n_unstable, n_marginal, flow);
  c.continuous_attractors = std::move(found.attractors);
  c.attractor = Eigen::VectorXi::Constant(points.n_points(), -1);
  for (Eigen::Index i = 0; i < n_candidates; ++i) c.attractor[candidates[i]] = found.attractor[i];
}

ConditionResult analyze_condition(const Network& network,
                                  const Condition& condition,
                                  const AnalysisOptions& options,
                                  const Execution& execution,
                                  const VectorXd* relevant_input,
                                  int horizon,
                                  double line_tol) {
  InitialStateOptions init;
  init.n_states = options.n_initial_states;
  init.noise_scale = options.noise_scale;
  init.seed = internal::derive_seed(options.seed, condition.key, kInitialStateDomain);
  MatrixXd initial_states = sample_initial_states(condition.pool, init);
  // The last n / kSettledShare starts are replaced by settled ones (at least one).
  InitialStateOptions settled = init;
  settled.n_states = std::max(1, options.n_initial_states / kSettledShare);
  settled.noise_scale = 0.0;
  settled.seed = internal::derive_seed(options.seed, condition.key, kSettledStateDomain);
  initial_states.rightCols(settled.n_states) =
      free_run_ends(network, sample_initial_states(condition.pool, settled), condition.input,
                    kSettleTrials * horizon);

  const FixedPointResult found =
      find_fixed_points(network, initial_states, condition.input, options.fixed_points);
  const FixedPoints& points = found.points;

  LinearizationOptions lin_options = options.linearization;
  lin_options.compute_eigenvectors = true;
  const std::vector<Linearization> lins = linearize(network, points, lin_options, execution);
  TransitionGraph graph = fixed_point_transitions(network, points, lins, options.transitions,
                                                  options.capture_fraction, execution);

  ConditionResult result;
  ConditionDynamics& c = result.dynamics;
  const int n = network.architecture().n_state();
  const int n_points = points.n_points();
  c.label = condition.label;
  c.input = condition.input;
  c.states = points.states;
  c.q = points.q;
  c.is_slow = points.is_slow;
  c.eigenvalues.resize(n, n_points);
  c.n_unstable.resize(n_points);
  c.stability.resize(n_points);
  c.leading_frequency.resize(n_points);
  for (int p = 0; p < n_points; ++p) {
    c.eigenvalues.col(p) = lins[p].eigenvalues;
    c.n_unstable[p] = lins[p].n_unstable;
    c.stability[p] = lins[p].stability;
    c.leading_frequency[p] = lins[p].leading_frequency;
  }
  c.readout =
      n_points > 0 ? network.readout(points.states) : MatrixXd(network.architecture().n_output, 0);
  c.transitions = graph.weights;
  c.limit_cycles = std::move(graph.cycles);
  group_continuous_attractors(network, points, lins, condition.pool, horizon, line_tol, c);
  c.cycle_transitions = graph.cycle_weights;
  const FixedPointSummary& s = found.summary;
  c.n_candidates = s.n_candidates;
  c.n_converged = s.n_converged;
  c.n_slow = s.n_slow;
  c.n_merged = s.n_merged;
  c.n_outliers = s.n_outliers;
  c.n_unresolved = graph.n_unresolved;
  c.n_unmatched = graph.n_unmatched;

  if (relevant_input != nullptr) {
    const MatrixXd W = readout_weights(network);
    // Slow points outside the scaffold: unused.
    result.mode_fractions = MatrixXd::Constant(n, n_points, kNaN);
    for (int p = 0; p < n_points; ++p) {
      if (points.is_slow[p] && c.attractor[p] < 0) continue;
      result.mode_fractions.col(p) = mode_response_fractions(lins[p], W, *relevant_input, horizon);
    }
  }
  return result;
}

/// Calls body(i) for i in [0, n) on up to n_threads threads, each taking the next index when it
/// is free (conditions differ in cost). body must depend only on i.
template <typename Body>
void parallel_for_dynamic(int n, int n_threads, Body&& body) {
  std::atomic<int> next{0};
  const int n_workers = std::max(1, std::min(n_threads, n));
  internal::parallel_ranges(n_workers, n_workers, [&](int, int, int) {
    for (int i = next++; i < n; i = next++) body(i);
  });
}

bool is_fixed(const ConditionDynamics& c, int p) { return !c.is_slow[p]; }

FlipFlopAnalysis analyze_flip_flop(const ConditionDynamics& c, int n_bits, int n_state) {
  FlipFlopAnalysis a;
  const int n_points = c.n_points();
  a.labels.resize(n_points, n_bits);
  for (int p = 0; p < n_points; ++p) {
    for (int b = 0; b < n_bits; ++b) {
      const double y = c.readout(b, p);
      a.labels(p, b) =
          std::isfinite(y) ? static_cast<int>(std::clamp(std::round(y), -1.0, 1.0)) : 0;
    }
  }
  // A memory: a fixed point without unstable modes (stable, or marginal like a gated network's
  // slowly decaying corner) whose label is all-nonzero.
  const auto is_corner = [&](int p) {
    return is_fixed(c, p) && c.n_unstable[p] == 0 && (a.labels.row(p).array() != 0).all();
  };
  a.count_by_unstable = Eigen::VectorXi::Zero(n_state + 1);
  std::set<int> corners;
  for (int p = 0; p < n_points; ++p) {
    if (!is_fixed(c, p)) continue;
    ++a.count_by_unstable[c.n_unstable[p]];
    if (c.n_unstable[p] == 0) ++a.n_stable;
    if (c.stability[p] == StabilityClass::kSaddle) ++a.n_saddles;
    if (is_corner(p)) corners.insert(label_index(a.labels.row(p).transpose()));
  }
  a.n_stable_corners = static_cast<int>(corners.size());
  // A saddle with one unstable dimension has two runs (+ and -); they connect two corners when
  // both reach stable corners with different labels.
  for (int p = 0; p < n_points; ++p) {
    if (!is_fixed(c, p) || c.n_unstable[p] != 1) continue;
    std::vector<int> reached;
    for (int j = 0; j < n_points; ++j) {
      if (c.transitions(p, j) > 0 && is_corner(j)) {
        for (int r = 0; r < c.transitions(p, j); ++r) reached.push_back(j);
      }
    }
    if (reached.size() != 2) continue;
    const int n_differ =
        (a.labels.row(reached[0]).array() != a.labels.row(reached[1]).array()).count();
    if (n_differ == 0) continue;
    ++a.corner_transitions_total;
    if (n_differ == 1) ++a.corner_transitions_one_bit;
  }
  return a;
}

/// One row of the signature: the fixed points of the condition as isolated points, and its
/// continuous attractors (which may hold slow points; a slow point on none is in neither).
Eigen::VectorXi condition_signature(const ConditionDynamics& c) {
  ContinuousAttractors fixed;
  fixed.attractors = c.continuous_attractors;
  std::vector<int> attractor, n_unstable;
  for (int p = 0; p < c.n_points(); ++p) {
    if (!is_fixed(c, p) && c.attractor[p] < 0) continue;
    attractor.push_back(c.attractor[p]);
    n_unstable.push_back(c.n_unstable[p]);
  }
  fixed.attractor = Eigen::Map<const Eigen::VectorXi>(attractor.data(),
                                                      static_cast<Eigen::Index>(attractor.size()));
  return signature_row(fixed, Eigen::Map<const Eigen::VectorXi>(
                                  n_unstable.data(), static_cast<Eigen::Index>(n_unstable.size())));
}

TopologySignature topology_of(const std::vector<ConditionDynamics>& conditions,
                              const FlipFlopAnalysis* flip_flop,
                              int n_bits) {
  TopologySignature t;
  const int n_conditions = static_cast<int>(conditions.size());
  t.signature = Eigen::MatrixXi::Zero(n_conditions, kSignatureColumns);
  for (int k = 0; k < n_conditions; ++k) {
    t.signature.row(k) = condition_signature(conditions[k]).transpose();
  }
  if (flip_flop != nullptr && n_bits <= kMaxLabelGraphBits && n_conditions > 0) {
    const ConditionDynamics& c = conditions[0];
    int n_labels = 1;
    for (int b = 0; b < n_bits; ++b) n_labels *= 3;
    t.label_graph = Eigen::MatrixXi::Zero(n_labels, n_labels);
    std::vector<int> index(c.n_points());
    for (int p = 0; p < c.n_points(); ++p) {
      index[p] = label_index(flip_flop->labels.row(p).transpose());
    }
    for (int i = 0; i < c.n_points(); ++i) {
      if (!is_fixed(c, i)) continue;
      ++t.label_graph(index[i], index[i]);
      for (int j = 0; j < c.n_points(); ++j) {
        if (is_fixed(c, j) && index[i] != index[j]) {
          t.label_graph(index[i], index[j]) += c.transitions(i, j);
        }
      }
    }
  }
  return t;
}

}  // namespace

namespace {

using A = AnalysisOptions;
// The order is the order of --help.
constexpr OptionField<A> kAnalysisFields[] = {
    {"n_initial_states", &A::n_initial_states, Rule::at_least(1),
     "initial states of the fixed-point search per condition (visited states plus noise)"},
    {"noise_scale", &A::noise_scale, Rule::at_least(0).and_finite(),
     "std of the noise added to visited states"},
    {"n_trials", &A::n_trials, Rule::at_least(1),
     "task trials for the visited states and the stored example trajectories"},
    {"seed", &A::seed, Rule::none(), "stream of the example trials and initial states"},
    {"capture_fraction", &A::capture_fraction,
     Rule::bounded(Rule::End::kClosed, 0, Rule::End::kClosed, 0.5)
         .noting("0: only runs that settle count"),
     "a transition run still moving counts as reaching a stable point when this close to it, "
     "relative to the point's nearest neighbour"},
    {"input_stride", &A::input_stride, Rule::at_least(1).noting("1 analyses every input"),
     "sine_wave: analyse every k-th static input"},
    {"frequency_transient_steps", &A::frequency_transient_steps, Rule::at_least(0),
     "sine_wave: steps dropped before measuring the output frequency"},
    {"frequency_measure_steps", &A::frequency_measure_steps, Rule::at_least(8),
     "sine_wave: steps the output frequency is measured on"},
    {"line_attractor_tol", &A::line_attractor_tol,
     Rule::bounded(Rule::End::kNone, 0, Rule::End::kOpen, 1)
         .and_finite()
         .noting("<= 0 selects 1 / n_time of the task"),
     "| |lambda| - 1 | of a marginal (line-attractor) mode"},
};

}  // namespace

const Schema<AnalysisOptions>& AnalysisOptions::schema() {
  static constexpr Schema<AnalysisOptions> kSchema{kAnalysisFields};
  return kSchema;
}

void AnalysisOptions::validate() const {
  schema().validate(*this);
  internal::validate_within("fixed_points", fixed_points);
  internal::validate_within("linearization", linearization);
  internal::validate_within("transitions", transitions);
}

int ConditionDynamics::count(StabilityClass stability_class) const {
  int n = 0;
  for (int p = 0; p < n_points(); ++p) n += !is_slow[p] && stability[p] == stability_class;
  return n;
}

double estimate_frequency(const Eigen::Ref<const VectorXd>& signal) {
  const Eigen::Index n = signal.size();
  if (n < 3 || !signal.allFinite()) return kNaN;
  const double mean = signal.mean();
  const VectorXd x = signal.array() - mean;
  const double std_dev = std::sqrt(x.squaredNorm() / static_cast<double>(n));
  // A signal that has settled (up to round-off) does not oscillate.
  if (!(std_dev > 1e-8 * std::max(1.0, std::abs(mean)))) return kNaN;
  const double hysteresis = 0.25 * std_dev;
  std::vector<double> crossings;
  bool armed = false;
  for (Eigen::Index t = 0; t + 1 < n; ++t) {
    if (x[t] < -hysteresis) armed = true;
    if (armed && x[t] < 0.0 && x[t + 1] >= 0.0) {
      crossings.push_back(static_cast<double>(t) + x[t] / (x[t] - x[t + 1]));
      armed = false;
    }
  }
  if (crossings.size() < 3) return kNaN;
  return 2.0 * M_PI * static_cast<double>(crossings.size() - 1) /
         (crossings.back() - crossings.front());
}

std::optional<LinearFit> fit_line(const Eigen::Ref<const VectorXd>& x,
                                  const Eigen::Ref<const VectorXd>& y) {
  RNNATLAS_CHECK_ARG(x.size() == y.size(), "fit_line: x has " << x.size() << " values and y "
                                                              << y.size() << "; they must pair up");
  Eigen::Index n = 0;
  for (Eigen::Index i = 0; i < x.size(); ++i) n += std::isfinite(x[i]) && std::isfinite(y[i]);
  if (n < kMinFitPoints) return std::nullopt;
  VectorXd xs(n), ys(n);
  n = 0;
  for (Eigen::Index i = 0; i < x.size(); ++i) {
    if (std::isfinite(x[i]) && std::isfinite(y[i])) {
      xs[n] = x[i];
      ys[n] = y[i];
      ++n;
    }
  }
  // Equal values are recognised as such, not by a zero spread: their computed mean need not round
  // to exactly their value, which would leave a spread of round-off to divide by.
  if (xs.minCoeff() == xs.maxCoeff()) return std::nullopt;
  LinearFit fit;
  fit.n_points = static_cast<int>(n);
  if (ys.minCoeff() == ys.maxCoeff()) {  // a constant y: nothing for a line to explain
    fit.slope = 0.0;
    fit.intercept = ys[0];
    fit.r_squared = kNaN;
    fit.identity_r_squared = kNaN;
    return fit;
  }
  // Sums of the deviations from the means, not of the raw values, whose large offset would cancel
  // the spread; each mean is refined by one correction pass (the mean deviation from it).
  double mean_x = xs.mean(), mean_y = ys.mean();
  mean_x += (xs.array() - mean_x).mean();
  mean_y += (ys.array() - mean_y).mean();
  const VectorXd dx = xs.array() - mean_x;
  const VectorXd dy = ys.array() - mean_y;
  const double syy = dy.squaredNorm();
  fit.slope = dx.dot(dy) / dx.squaredNorm();
  fit.intercept = mean_y - fit.slope * mean_x;
  // The residuals from the centred values, so that a near-perfect fit keeps its small residual
  // sum accurately (rather than as the difference syy - slope sxy).
  fit.r_squared = 1.0 - (dy - fit.slope * dx).squaredNorm() / syy;
  fit.identity_r_squared = 1.0 - (ys - xs).squaredNorm() / syy;
  return fit;
}

Eigen::MatrixXcd mode_response_contributions(const Linearization& linearization,
                                             const Eigen::Ref<const MatrixXd>& readout_weights,
                                             const Eigen::Ref<const VectorXd>& input_direction) {
  const Linearization& lin = linearization;
  const Eigen::Index n = lin.eigenvalues.size();
  RNNATLAS_CHECK_ARG(lin.right_eigenvectors.cols() == n && lin.left_eigenvectors.cols() == n,
                     "mode_response: the linearization has no eigenvectors; use "
                     "linearization compute_eigenvectors = true");
  RNNATLAS_CHECK_ARG(readout_weights.cols() == n, "mode_response: readout_weights has "
                                                      << readout_weights.cols()
                                                      << " columns, expected n_state = " << n);
  RNNATLAS_CHECK_ARG(lin.B.rows() == n && lin.B.cols() == input_direction.size(),
                     "mode_response: input_direction has size "
                         << input_direction.size() << ", the linearization's B is [" << lin.B.rows()
                         << ", " << lin.B.cols() << "]");
  using Complex = std::complex<double>;
  const VectorXd b = lin.B * input_direction;
  // l_i^T b for every i: R^{-1} b (plain transpose, not the conjugate: l_i^T r_j = delta_ij).
  const Eigen::VectorXcd lb = lin.left_eigenvectors.transpose() * b.cast<Complex>();
  return (readout_weights.cast<Complex>() * lin.right_eigenvectors) * lb.asDiagonal();
}

Eigen::VectorXd mode_response_fractions(const Linearization& linearization,
                                        const Eigen::Ref<const MatrixXd>& readout_weights,
                                        const Eigen::Ref<const VectorXd>& input_direction,
                                        int horizon) {
  RNNATLAS_CHECK_ARG(horizon >= 1, "mode_response: horizon = " << horizon << ": must be >= 1");
  const Linearization& lin = linearization;
  const Eigen::MatrixXcd c =
      mode_response_contributions(lin, readout_weights, input_direction);  // checks the shapes
  const Eigen::Index n = lin.eigenvalues.size();
  const Eigen::Index n_output = readout_weights.rows();
  // The exact response y(tau) = W J^tau b, [n_output, horizon].
  MatrixXd y(n_output, horizon);
  VectorXd x = lin.B * input_direction;
  for (int t = 0; t < horizon; ++t) {
    y.col(t) = readout_weights * x;
    x = lin.J * x;
  }
  VectorXd fractions = VectorXd::Zero(n);
  const double energy = y.squaredNorm();
  if (!(energy > 0.0) || !std::isfinite(energy)) return fractions;
  // Residual y - y_k, updated mode by mode: subtract Re c_i lambda_i^tau.
  MatrixXd residual = y;
  for (Eigen::Index i = 0; i < n; ++i) {
    std::complex<double> power = 1.0;
    for (int t = 0; t < horizon; ++t) {
      residual.col(t) -= (c.col(i) * power).real();
      power *= lin.eigenvalues[i];
    }
    fractions[i] = 1.0 - residual.squaredNorm() / energy;
  }
  return fractions;
}

Eigen::MatrixXd readout_weights(const Network& network) {
  const Architecture& arch = network.architecture();
  MatrixXd W = MatrixXd::Zero(arch.n_output, arch.n_state());
  W.leftCols(arch.n_hidden) = network.parameter("readout.weight");
  return W;
}

int label_index(const Eigen::Ref<const Eigen::VectorXi>& label) {
  int index = 0;
  for (Eigen::Index b = 0; b < label.size(); ++b) {
    RNNATLAS_CHECK_ARG(label[b] >= -1 && label[b] <= 1,
                       "label_index: entry " << b << " is " << label[b] << ", expected -1, 0 or 1");
    index = 3 * index + (label[b] + 1);
  }
  return index;
}

NetworkDynamics analyze_network(const Network& network,
                                const Task& task,
                                const AnalysisOptions& options,
                                const Execution& execution) {
  const auto start = std::chrono::steady_clock::now();
  options.validate();
  execution.validate();
  const Architecture& arch = network.architecture();
  const std::string task_name(task.name());
  RNNATLAS_CHECK_ARG(
      task_name == "flip_flop" || task_name == "sine_wave" || task_name == "context_integration",
      "analyze_network: no dynamics analysis for task '"
          << task_name << "'; known: flip_flop, sine_wave, context_integration");
  RNNATLAS_CHECK_ARG(task.n_input() == arch.n_input && task.n_output() == arch.n_output,
                     "analyze_network: task '"
                         << task_name << "' has " << task.n_input() << " inputs and "
                         << task.n_output() << " outputs, the network " << arch.n_input << " and "
                         << arch.n_output);

  NetworkDynamics result;
  result.task = task_name;
  result.architecture = arch;
  result.options = options;

  // ---- Example trials: stored, and the visited states of flip_flop and context_integration ----
  const TrialBatch batch = task.sample(options.n_trials, options.seed);
  const Network::Trajectory run = network.run(batch.inputs, batch.n_batch);
  ExampleTrajectories& examples = result.trajectories;
  examples.n_trials = batch.n_batch;
  examples.n_time = batch.n_time;
  examples.inputs = batch.inputs;
  examples.targets = batch.targets;
  examples.outputs = run.outputs;
  examples.states = run.states;

  // ---- Conditions
  // --------------------------------------------------------------------------------
  std::vector<Condition> conditions;
  SineWaveAnalysis sine;
  std::vector<Network::Trajectory> sine_runs;  // per condition, for the measured frequency
  int sine_run_steps = 0;
  // The marginal band of the continuous attractors and of the CDI line attractors.
  const double line_tol =
      options.line_attractor_tol > 0 ? options.line_attractor_tol : 1.0 / task.n_time();
  if (task_name == "flip_flop") {
    conditions.push_back({"zero input", VectorXd::Zero(arch.n_input), 0, run.states});
  } else if (task_name == "sine_wave") {
    const SineWaveOptions sw = internal::sine_wave_options(task.params());
    std::vector<int> js;
    for (int j = 1; j <= sw.n_frequencies; j += options.input_stride) js.push_back(j);
    const int n_conditions = static_cast<int>(js.size());
    sine.frequency_index.resize(n_conditions);
    sine.target_frequency.resize(n_conditions);
    sine_run_steps =
        std::max(sw.n_time, options.frequency_transient_steps + options.frequency_measure_steps);
    sine_runs.resize(n_conditions);
    conditions.resize(n_conditions);
    // One run per input from the zero state: its first n_time steps are the task trial (the
    // visited states), the later ones measure the output frequency.
    parallel_for_dynamic(n_conditions, execution.n_threads, [&](int k) {
      const int j = js[k];
      const VectorXd u = VectorXd::Constant(1, sw.static_input(j));
      sine_runs[k] = run_constant(network, u, sine_run_steps);
      conditions[k] = {sine_label(u[0], sw.frequency(j)), u, static_cast<std::uint64_t>(j),
                       sine_runs[k].states.leftCols(sw.n_time)};
    });
    for (int k = 0; k < n_conditions; ++k) {
      sine.frequency_index[k] = js[k];
      sine.target_frequency[k] = sw.frequency(js[k]);
    }
  } else {  // context_integration: inputs are [stream 0, stream 1, context 0, context 1]
    for (int c = 0; c < 2; ++c) {
      VectorXd u = VectorXd::Zero(arch.n_input);
      u[2 + c] = 1.0;
      // The states of the example trials in context c (all trials, if none is in context c).
      std::vector<Eigen::Index> columns;
      for (int b = 0; b < batch.n_batch; ++b) {
        if (batch.inputs(2 + c, batch.column(0, b)) != 1.0) continue;
        for (int t = 0; t < batch.n_time; ++t) columns.push_back(batch.column(t, b));
      }
      MatrixXd pool = run.states;
      if (!columns.empty()) pool = run.states(Eigen::all, columns);
      conditions.push_back(
          {"context " + std::to_string(c + 1), u, static_cast<std::uint64_t>(c), std::move(pool)});
    }
  }

  // ---- Fixed points, linearizations, transitions per condition ----------------------------------
  const int n_conditions = static_cast<int>(conditions.size());
  const bool cdi = task_name == "context_integration";
  std::vector<ConditionResult> results(n_conditions);
  // Conditions run concurrently when there are enough of them; else each uses every thread.
  const int outer = n_conditions >= execution.n_threads ? execution.n_threads : 1;
  const Execution inner{outer == 1 ? execution.n_threads : 1};
  parallel_for_dynamic(n_conditions, outer, [&](int k) {
    VectorXd relevant;
    if (cdi) relevant = VectorXd::Unit(arch.n_input, k);  // evidence stream k is relevant
    results[k] = analyze_condition(network, conditions[k], options, inner,
                                   cdi ? &relevant : nullptr, task.n_time(), line_tol);
    conditions[k].pool.resize(0, 0);
  });
  result.conditions.reserve(n_conditions);
  for (ConditionResult& r : results) result.conditions.push_back(std::move(r.dynamics));

  // ---- Task analysis ----------------------------------------------------------------------------
  const int n = arch.n_state();
  if (task_name == "flip_flop") {
    result.flip_flop = analyze_flip_flop(result.conditions[0], arch.n_output, n);
  } else if (task_name == "sine_wave") {
    sine.predicted_frequency.resize(n_conditions);
    sine.measured_frequency.resize(n_conditions);
    sine.has_unstable_complex.assign(n_conditions, false);
    const int begin = options.frequency_transient_steps;
    for (int k = 0; k < n_conditions; ++k) {
      const ConditionDynamics& c = result.conditions[k];
      sine.predicted_frequency[k] = kNaN;
      for (int p = 0; p < c.n_points() && !sine.has_unstable_complex[k]; ++p) {
        if (!is_fixed(c, p)) continue;
        const double tol = options.linearization.stability_tol;
        for (int i = 0; i < n; ++i) {
          const std::complex<double> lambda = c.eigenvalues(i, p);
          if (std::abs(lambda) > 1.0 + tol && lambda.imag() != 0.0) {
            sine.has_unstable_complex[k] = true;
            sine.predicted_frequency[k] = c.leading_frequency[p];
            break;
          }
        }
      }
      sine.measured_frequency[k] = estimate_frequency(
          sine_runs[k].outputs.row(0).segment(begin, options.frequency_measure_steps).transpose());
    }
    result.sine_wave = std::move(sine);
  } else {
    ContextIntegrationAnalysis a;
    a.line_attractor_tol = line_tol;
    a.n_points.resize(n_conditions);
    a.n_marginal_points.resize(n_conditions);
    a.eigenvalue_modulus = MatrixXd::Constant(n_conditions, n, kNaN);
    a.mode_response = MatrixXd::Constant(n_conditions, n, kNaN);
    a.n_modes_90 = Eigen::VectorXi::Zero(n_conditions);
    for (int k = 0; k < n_conditions; ++k) {
      const ConditionDynamics& c = result.conditions[k];
      const int n_points = c.n_points();
      a.n_points[k] = n_points;
      const MatrixXd modulus = c.eigenvalues.cwiseAbs();  // [n_state, n_points]
      a.n_marginal_points[k] = 0;
      for (int p = 0; p < n_points; ++p) {
        a.n_marginal_points[k] += ((modulus.col(p).array() - 1.0).abs() <= line_tol).any();
      }
      // Spectrum and mode response: the mean over the points of the context's continuous
      // attractors (its line attractor, fixed and slow points), or over all its fixed points when
      // it has none.
      const bool on_line = (c.attractor.array() >= 0).any();
      VectorXd modulus_sum = VectorXd::Zero(n), response_sum = VectorXd::Zero(n);
      int n_averaged = 0;
      for (int p = 0; p < n_points; ++p) {
        if (on_line ? c.attractor[p] < 0 : !is_fixed(c, p)) continue;
        modulus_sum += modulus.col(p);
        response_sum += results[k].mode_fractions.col(p);
        ++n_averaged;
      }
      if (n_averaged == 0) continue;
      a.eigenvalue_modulus.row(k) = modulus_sum.transpose() / n_averaged;
      a.mode_response.row(k) = response_sum.transpose() / n_averaged;
      for (int i = 0; i < n; ++i) {
        if (a.mode_response(k, i) >= 0.9 - 1e-12) {
          a.n_modes_90[k] = i + 1;
          break;
        }
      }
    }
    result.context_integration = std::move(a);
  }
  result.topology = topology_of(result.conditions, result.flip_flop ? &*result.flip_flop : nullptr,
                                arch.n_output);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace rnnatlas
