#include "rnnatlas/dynamics/transitions.h"

#include <cmath>
#include <complex>
#include <sstream>
#include <utility>

#include "rnnatlas/error.h"

namespace rnnatlas {
namespace {

/// The index of the point nearest to `state` within tol_match of it; -1 when none is.
int matching_point(const FixedPoints& points, const Eigen::VectorXd& state, double tol_match) {
  int match = -1;
  double best = tol_match;
  for (int j = 0; j < points.n_points(); ++j) {
    const double d = (state - points.states.col(j)).norm();
    if (d <= best) {
      best = d;
      match = j;
    }
  }
  return match;
}

}  // namespace

namespace {

using T = TransitionOptions;
constexpr OptionField<T> kTransitionFields[] = {
    {"perturbation", &T::perturbation, Rule::greater_than(0).and_finite(),
     "initial step along each unstable direction (state units)"},
    {"max_steps", &T::max_steps, Rule::at_least(1), "steps to follow each unstable direction"},
    {"tol_settled", &T::tol_settled, Rule::greater_than(0).and_finite(),
     "a run has settled when ||F(s) - s|| <= this"},
    {"tol_match", &T::tol_match, Rule::greater_than(0).and_finite(),
     "a settled run reached fixed point j when within this of it"},
    {"find_limit_cycles", &T::find_limit_cycles, Rule::none(),
     "examine the runs still moving after max_steps for limit cycles", kStored},
};

}  // namespace

const Schema<TransitionOptions>& TransitionOptions::schema() {
  static constexpr Schema<TransitionOptions> kSchema{kTransitionFields};
  return kSchema;
}

void TransitionOptions::validate() const {
  schema().validate(*this);
  internal::validate_within("limit_cycles", limit_cycles);
}

TransitionGraph find_transitions(const Network& network,
                                 const FixedPoints& points,
                                 const std::vector<Linearization>& linearizations,
                                 const TransitionOptions& options,
                                 const Execution& execution) {
  options.validate();
  execution.validate();
  const int n_points = points.n_points();
  const int n = network.architecture().n_state();
  RNNATLAS_CHECK_ARG(static_cast<int>(linearizations.size()) == n_points,
                     "got " << linearizations.size() << " linearizations for " << n_points
                            << " points; pass linearize(network, points)");
  RNNATLAS_CHECK_ARG(points.input.size() == network.architecture().n_input &&
                         (n_points == 0 || points.states.rows() == n),
                     "points do not belong to this network: states have "
                         << points.states.rows() << " rows (n_state = " << n << "), input has "
                         << points.input.size()
                         << " entries (n_input = " << network.architecture().n_input << ")");

  TransitionGraph graph;
  graph.weights = Eigen::MatrixXi::Zero(n_points, n_points);
  graph.cycle_weights = Eigen::MatrixXi::Zero(n_points, 0);
  std::vector<Eigen::VectorXd> starts;
  for (int i = 0; i < n_points; ++i) {
    const Linearization& lin = linearizations[i];
    RNNATLAS_CHECK_ARG(
        lin.right_eigenvectors.cols() == n || lin.n_unstable == 0,
        "linearization " << i << " has no eigenvectors; use compute_eigenvectors = true");
    for (const int k : lin.unstable_modes()) {
      const std::complex<double> lambda = lin.eigenvalues[k];
      // A complex pair spans a plane: the first of the pair (Im > 0) steps along Re r_k, its
      // conjugate along Im r_k.
      Eigen::VectorXd direction = lambda.imag() < 0.0
                                      ? Eigen::VectorXd(lin.right_eigenvectors.col(k).imag())
                                      : Eigen::VectorXd(lin.right_eigenvectors.col(k).real());
      if (!(direction.norm() > 0.0)) direction = lin.right_eigenvectors.col(k).imag();
      direction.normalize();
      for (const int sign : {1, -1}) {
        Transition t;
        t.from = i;
        t.mode = k;
        t.sign = sign;
        graph.transitions.push_back(t);
        starts.emplace_back(points.states.col(i) + sign * options.perturbation * direction);
      }
    }
  }
  const int n_runs = static_cast<int>(starts.size());
  if (n_runs == 0) return graph;

  // All runs step together; a settled run leaves the batch.
  const Cell<double>& cell = network.cell();
  const double* theta = network.parameters().data();
  Eigen::MatrixXd S(n, n_runs);
  for (int r = 0; r < n_runs; ++r) S.col(r) = starts[r];
  std::vector<int> idx(n_runs);
  for (int r = 0; r < n_runs; ++r) idx[r] = r;
  SequenceCache<double> cache;
  Eigen::MatrixXd X;
  int n_active = n_runs;
  for (int step = 0; step < options.max_steps && n_active > 0; ++step) {
    if (X.cols() != n_active) X = points.input.replicate(1, n_active);
    cell.forward(theta, X, S.leftCols(n_active), 1, cache);
    const Eigen::MatrixXd F = cache.states.middleCols(n_active, n_active);
    int kept = 0;
    for (int j = 0; j < n_active; ++j) {
      Transition& t = graph.transitions[idx[j]];
      const double speed = (F.col(j) - S.col(j)).norm();
      S.col(j) = F.col(j);
      if (speed <= options.tol_settled || !std::isfinite(speed)) {
        t.settled = std::isfinite(speed);
        t.attractor = t.settled ? AttractorKind::kFixedPoint : AttractorKind::kDiverged;
        t.n_steps = step + 1;
        t.final_state = F.col(j);
        continue;
      }
      if (kept != j) {
        S.col(kept) = S.col(j);
        idx[kept] = idx[j];
      }
      ++kept;
    }
    n_active = kept;
  }
  for (int j = 0; j < n_active; ++j) {
    Transition& t = graph.transitions[idx[j]];
    t.n_steps = options.max_steps;
    t.final_state = S.col(j);
  }

  for (Transition& t : graph.transitions) {
    if (!t.settled) {
      ++graph.n_unresolved;
      continue;
    }
    t.to = matching_point(points, t.final_state, options.tol_match);
    if (t.to < 0) {
      ++graph.n_unmatched;
    } else {
      ++graph.weights(t.from, t.to);
    }
  }
  if (options.find_limit_cycles) {
    resolve_unsettled_runs(network, points, options.limit_cycles, options.tol_match, graph,
                           execution);
  }
  return graph;
}

void resolve_unsettled_runs(const Network& network,
                            const FixedPoints& points,
                            const LimitCycleOptions& options,
                            double tol_match,
                            TransitionGraph& graph,
                            const Execution& execution) {
  options.validate();
  RNNATLAS_CHECK_ARG(
      tol_match > 0 && std::isfinite(tol_match),
      "resolve_unsettled_runs: tol_match = " << tol_match << ": must be > 0 and finite");
  const int n_points = points.n_points();
  RNNATLAS_CHECK_ARG(
      graph.weights.rows() == n_points && graph.weights.cols() == n_points && graph.cycles.empty(),
      "resolve_unsettled_runs: the graph has weights ["
          << graph.weights.rows() << ", " << graph.weights.cols() << "] for " << n_points
          << " points and " << graph.cycles.size()
          << " cycles; pass the graph of find_transitions() on these points with "
             "find_limit_cycles = false");
  graph.cycle_weights.setZero(n_points, 0);
  std::vector<int> runs;  // transitions examined, in order
  for (int r = 0; r < static_cast<int>(graph.transitions.size()); ++r) {
    const Transition& t = graph.transitions[r];
    if (!t.settled && t.to < 0 && t.cycle < 0 && t.final_state.allFinite()) runs.push_back(r);
  }
  if (runs.empty()) return;
  const int n = static_cast<int>(points.states.rows());
  Eigen::MatrixXd starts(n, static_cast<Eigen::Index>(runs.size()));
  for (std::size_t i = 0; i < runs.size(); ++i) {
    starts.col(static_cast<Eigen::Index>(i)) = graph.transitions[runs[i]].final_state;
  }
  const AttractorResult result =
      classify_attractors(network, starts, points.input, options, execution);

  // Representatives (same_as == own index) of limit cycles, in run order, become the cycles.
  std::vector<int> cycle_of_run(runs.size(), -1);
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const Attractor& a = result.runs[i];
    Transition& t = graph.transitions[runs[i]];
    t.attractor = a.kind;
    if (a.kind == AttractorKind::kFixedPoint) {
      --graph.n_unresolved;
      t.to = matching_point(points, a.orbit.points.col(0), tol_match);
      if (t.to < 0) {
        ++graph.n_unmatched;
      } else {
        ++graph.weights(t.from, t.to);
      }
      continue;
    }
    if (a.kind != AttractorKind::kPeriodicOrbit && a.kind != AttractorKind::kInvariantCurve) {
      continue;
    }
    if (a.same_as == static_cast<int>(i)) {
      LimitCycle cycle;
      cycle.kind = a.kind;
      cycle.lyapunov_exponents = a.lyapunov_exponents;
      if (a.kind == AttractorKind::kPeriodicOrbit) {
        cycle.period = a.orbit.period;
        cycle.frequency = a.orbit.frequency;
        cycle.stability = a.orbit.stability;
        cycle.multipliers = a.orbit.multipliers;
        cycle.amplitude = a.orbit.amplitude;
        cycle.state = a.orbit.points.col(0);
      } else {
        cycle.period = a.curve.period;
        cycle.frequency = a.curve.frequency;
        cycle.stability = a.curve.attracting ? StabilityClass::kStable : StabilityClass::kMarginal;
        cycle.amplitude = a.curve.amplitude;
        cycle.state = a.final_state;
      }
      cycle_of_run[i] = static_cast<int>(graph.cycles.size());
      graph.cycles.push_back(std::move(cycle));
    } else {
      cycle_of_run[i] = cycle_of_run[a.same_as];  // same_as < i: already assigned
    }
    t.cycle = cycle_of_run[i];
    --graph.n_unresolved;
  }
  graph.cycle_weights.setZero(n_points, static_cast<Eigen::Index>(graph.cycles.size()));
  for (const Transition& t : graph.transitions) {
    if (t.cycle >= 0) ++graph.cycle_weights(t.from, t.cycle);
  }
}

}  // namespace rnnatlas
