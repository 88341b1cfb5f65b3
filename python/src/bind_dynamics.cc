// Binds include/rnnatlas/dynamics/: fixed points, linearization, transitions and limit cycles
// (the network analysis and its files: bind_analysis.cc).
// Options structs have one def_readwrite per field; results are read-only. Points are rows in
// Python ([n_points, n_state]) and columns in the library, so the binding transposes; nothing else
// is computed here. Long calls run without the GIL once their arguments are converted.
#include <pybind11/complex.h>
#include <pybind11/eigen.h>
#include <pybind11/stl.h>

#include <string>
#include <vector>

#include "bindings.h"
#include "rnnatlas/dynamics/fixed_points.h"
#include "rnnatlas/dynamics/limit_cycles.h"
#include "rnnatlas/dynamics/linearization.h"
#include "rnnatlas/dynamics/transitions.h"
#include "rnnatlas/tasks/task.h"
#include "schema_binding.h"

namespace rnnatlas::python {
namespace {

using Array = py::array_t<double, py::array::forcecast>;

/// The transpose [n, rows] of a library matrix [rows, n] (points as rows), as a numpy copy.
Eigen::MatrixXd rows_of(const Eigen::MatrixXd& columns) { return columns.transpose(); }

py::array_t<bool> bool_array(const std::vector<bool>& flags) {
  py::array_t<bool> result(static_cast<py::ssize_t>(flags.size()));
  auto r = result.mutable_unchecked<1>();
  for (std::size_t i = 0; i < flags.size(); ++i) r(static_cast<py::ssize_t>(i)) = flags[i];
  return result;
}

/// The bindings of dynamics/fixed_points.h: the search, its options and initial states.
void bind_fixed_points(py::module_& m) {
  py::class_<NewtonOptions> newton(m, "NewtonOptions", "Newton refinement after the Adam search.");
  def_schema(newton.def(py::init<>()));

  py::class_<FixedPointOptions> fixed_point_options(
      m, "FixedPointOptions", "Options of find_fixed_points(); see dynamics/fixed_points.h.");
  def_schema(fixed_point_options.def(py::init<>()));

  py::class_<FixedPoints>(m, "FixedPoints",
                          "The points found, sorted by q ascending; arrays are copies.")
      .def_property_readonly(
          "input", [](const FixedPoints& p) { return p.input; },
          "float64 [n_input], the constant input")
      .def_property_readonly(
          "states", [](const FixedPoints& p) { return rows_of(p.states); },
          "float64 [n_points, n_state], row i = point i")
      .def_property_readonly(
          "q", [](const FixedPoints& p) { return p.q; }, "float64 [n_points], 1/2 ||F(s) - s||^2")
      .def_property_readonly(
          "is_slow", [](const FixedPoints& p) { return bool_array(p.is_slow); },
          "bool [n_points]: q > tol_q (a slow point)")
      .def_property_readonly(
          "stop",
          [](const FixedPoints& p) {
            std::vector<std::string> names;
            for (FixedPointStop stop : p.stop) names.emplace_back(to_string(stop));
            return names;
          },
          "How the Adam stage ended per point: 'tol_q', 'tol_dq', 'max_iters' or 'non_finite'")
      .def_property_readonly("n_adam_iters", [](const FixedPoints& p) { return p.n_adam_iters; })
      .def_property_readonly("n_newton_iters",
                             [](const FixedPoints& p) { return p.n_newton_iters; })
      .def_property_readonly("initial_index", [](const FixedPoints& p) { return p.initial_index; })
      .def_property_readonly("n_merged", [](const FixedPoints& p) { return p.n_merged; })
      .def_property_readonly("n_points", &FixedPoints::n_points)
      .def_property_readonly("n_slow", &FixedPoints::n_slow)
      .def("__len__", &FixedPoints::n_points)
      .def("__repr__", [](const FixedPoints& p) {
        return py::str("FixedPoints(n_points={}, n_slow={})").format(p.n_points(), p.n_slow());
      });

  py::class_<FixedPointSummary>(m, "FixedPointSummary", "How find_fixed_points() went.")
      .def_property_readonly(
          "termination",
          [](const FixedPointSummary& s) { return std::string(to_string(s.termination)); },
          "'not_run', 'completed' or 'diverged'")
      .def_readonly("message", &FixedPointSummary::message)
      .def_readonly("n_candidates", &FixedPointSummary::n_candidates)
      .def_readonly("n_converged", &FixedPointSummary::n_converged)
      .def_readonly("n_slow", &FixedPointSummary::n_slow)
      .def_readonly("n_stalled", &FixedPointSummary::n_stalled)
      .def_readonly("n_max_iters", &FixedPointSummary::n_max_iters)
      .def_readonly("n_non_finite", &FixedPointSummary::n_non_finite)
      .def_readonly("n_merged", &FixedPointSummary::n_merged)
      .def_readonly("n_outliers", &FixedPointSummary::n_outliers)
      .def_readonly("n_points", &FixedPointSummary::n_points)
      .def_readonly("n_slow_points", &FixedPointSummary::n_slow_points)
      .def_readonly("n_adam_iters", &FixedPointSummary::n_adam_iters)
      .def_readonly("n_newton_refined", &FixedPointSummary::n_newton_refined)
      .def_readonly("max_q", &FixedPointSummary::max_q)
      .def_readonly("seconds_adam", &FixedPointSummary::seconds_adam)
      .def_readonly("seconds_newton", &FixedPointSummary::seconds_newton)
      .def_property_readonly(
          "mean_q_history",
          [](const FixedPointSummary& s) {
            return py::array_t<double>(static_cast<py::ssize_t>(s.mean_q_history.size()),
                                       s.mean_q_history.data());
          },
          "float64 [n_adam_iters], mean q of the running candidates per iteration (a copy)")
      .def("brief_report", &FixedPointSummary::brief_report)
      .def("__repr__", &FixedPointSummary::brief_report);

  py::class_<FixedPointResult>(m, "FixedPointResult", "find_fixed_points(): points and summary.")
      .def_readonly("points", &FixedPointResult::points)
      .def_readonly("summary", &FixedPointResult::summary)
      .def("__repr__", [](const FixedPointResult& r) { return r.summary.brief_report(); });

  m.def(
      "find_fixed_points",
      [](const FixedPointOptions& options, const Network& network, const py::object& initial_values,
         const Eigen::VectorXd& input) {
        const Array initial_states =
            real_array(initial_values, "find_fixed_points: initial_states");
        const Eigen::MatrixXd s0 = rows_to_columns(
            initial_states, "find_fixed_points: initial_states", network.architecture().n_state());
        py::gil_scoped_release no_gil;
        return find_fixed_points(network, s0, input, options);
      },
      py::arg("options"), py::arg("network"), py::arg("initial_states"), py::arg("input"),
      "Fixed and slow points from initial_states [n_init, n_state] at the constant input "
      "[n_input]; runs without the GIL. rnnatlas.find_fixed_points takes keyword options.");

  m.def(
      "fixed_point_objective",
      [](const Network& network, const py::object& values, const Eigen::VectorXd& input) {
        const Array states = real_array(values, "fixed_point_objective: states");
        const Eigen::MatrixXd s = rows_to_columns(states, "fixed_point_objective: states",
                                                  network.architecture().n_state());
        Eigen::VectorXd q;
        Eigen::MatrixXd gradient;
        fixed_point_objective(network, s, input, &q, &gradient);
        return py::make_tuple(q, rows_of(gradient));
      },
      py::arg("network"), py::arg("states"), py::arg("input"),
      "(q [n], grad q [n, n_state]) for states [n, n_state]: q = 1/2 ||F(s, input) - s||^2.");

  py::class_<InitialStateOptions>(m, "InitialStateOptions",
                                  "How sample_initial_states() draws states.")
      .def(py::init<>())
      .def_readwrite("n_states", &InitialStateOptions::n_states)
      .def_readwrite("n_trials", &InitialStateOptions::n_trials)
      .def_readwrite("noise_scale", &InitialStateOptions::noise_scale)
      .def_readwrite("seed", &InitialStateOptions::seed)
      .def("validate", &InitialStateOptions::validate);

  m.def(
      "sample_initial_states",
      [](const InitialStateOptions& options, const Network& network, const Task& task) {
        Eigen::MatrixXd states;
        {
          py::gil_scoped_release no_gil;
          states = sample_initial_states(network, task, options);
        }
        return rows_of(states);
      },
      py::arg("options"), py::arg("network"), py::arg("task"),
      "[n_states, n_state]: states visited on task trials, with Gaussian noise.");
  m.def(
      "sample_initial_states",
      [](const InitialStateOptions& options, const py::object& values) {
        const Array pool = real_array(values, "sample_initial_states: pool");
        RNNATLAS_CHECK_ARG(pool.ndim() == 2,
                           "sample_initial_states: pool must have shape "
                           "[n_pool, n_state], got ndim "
                               << pool.ndim());
        const Eigen::MatrixXd p =
            rows_to_columns(pool, "sample_initial_states: pool", pool.shape(1));
        return rows_of(sample_initial_states(p, options));
      },
      py::arg("options"), py::arg("pool"),
      "[n_states, n_state]: rows drawn from pool [n_pool, n_state], with Gaussian noise.");
}

/// The bindings of dynamics/linearization.h.
void bind_linearization(py::module_& m) {
  py::class_<LinearizationOptions> linearization(m, "LinearizationOptions",
                                                 "Options of linearize().");
  def_schema(linearization.def(py::init<>()));

  py::class_<Linearization>(m, "Linearization", R"pbdoc(
s_{t+1} - s* ~= J (s_t - s*) + B (u_t - u*) and the eigen-decomposition of J, sorted by |lambda|
descending. Eigenvectors are columns (right_eigenvectors[:, i] pairs with eigenvalues[i]; left ones
are biorthonormal to them). Arrays are read-only views of the object.
)pbdoc")
      .def_readonly("state", &Linearization::state)
      .def_readonly("input", &Linearization::input)
      .def_readonly("J", &Linearization::J)
      .def_readonly("B", &Linearization::B)
      .def_readonly("eigenvalues", &Linearization::eigenvalues)
      .def_readonly("right_eigenvectors", &Linearization::right_eigenvectors)
      .def_readonly("left_eigenvectors", &Linearization::left_eigenvectors)
      .def_readonly("eigenvector_rcond", &Linearization::eigenvector_rcond)
      .def_readonly("n_unstable", &Linearization::n_unstable)
      .def_readonly("n_marginal", &Linearization::n_marginal)
      .def_property_readonly(
          "stability", [](const Linearization& l) { return std::string(to_string(l.stability)); },
          "'stable', 'marginal', 'saddle' or 'unstable'")
      .def_readonly("leading_frequency", &Linearization::leading_frequency)
      .def_readonly("stability_tol", &Linearization::stability_tol)
      .def("frequencies", &Linearization::frequencies, "|arg lambda_i| [n_state], rad/step")
      .def("unstable_modes", &Linearization::unstable_modes,
           "Indices (ascending) of the eigenvalues with |lambda| > 1 + stability_tol")
      .def("__repr__", [](const Linearization& l) {
        return py::str("Linearization(stability={!r}, n_unstable={}, n_marginal={})")
            .format(std::string(to_string(l.stability)), l.n_unstable, l.n_marginal);
      });

  m.def(
      "linearize",
      [](const LinearizationOptions& options, const Network& network, const Eigen::VectorXd& state,
         const Eigen::VectorXd& input) { return linearize(network, state, input, options); },
      py::arg("options"), py::arg("network"), py::arg("state"), py::arg("input"),
      py::call_guard<py::gil_scoped_release>(),
      "The linearization at (state [n_state], input [n_input]).");
  m.def(
      "linearize",
      [](const LinearizationOptions& options, const Network& network, const FixedPoints& points,
         int n_threads) { return linearize(network, points, options, Execution{n_threads}); },
      py::arg("options"), py::arg("network"), py::arg("points"), py::arg("n_threads") = 1,
      py::call_guard<py::gil_scoped_release>(),
      "One linearization per point of `points`, in their order.");
  m.def(
      "analyze_jacobian",
      [](const LinearizationOptions& options, const Eigen::MatrixXd& J) {
        return analyze_jacobian(J, options);
      },
      py::arg("options"), py::arg("J"),
      "Eigen-decomposition and stability class of a given J [n, n].");
}

/// The bindings of dynamics/transitions.h.
void bind_transitions(py::module_& m) {
  py::class_<TransitionOptions> transitions(m, "TransitionOptions",
                                            "Options of find_transitions().");
  def_schema(transitions.def(py::init<>()));

  py::class_<Transition>(m, "Transition", "One perturbed run from an unstable point.")
      .def_readonly("from_", &Transition::from, "index of the unstable point ('from' in C++)")
      .def_readonly("mode", &Transition::mode)
      .def_readonly("sign", &Transition::sign)
      .def_readonly("to", &Transition::to, "index of the fixed point reached; -1 when none")
      .def_readonly("cycle", &Transition::cycle,
                    "index in TransitionGraph.cycles of the limit cycle reached; -1 when none")
      .def_readonly("settled", &Transition::settled)
      .def_property_readonly(
          "attractor", [](const Transition& t) { return std::string(to_string(t.attractor)); },
          "what the run reached: 'fixed_point', 'periodic_orbit', 'invariant_curve', 'chaotic', "
          "'unresolved' or 'diverged'")
      .def_readonly("n_steps", &Transition::n_steps)
      .def_readonly("final_state", &Transition::final_state);

  py::class_<LimitCycle>(m, "LimitCycle", R"pbdoc(
A limit cycle reached by transition runs: a periodic orbit (period >= 2) or an invariant closed
curve, with its period, frequency, stability, Floquet multipliers (orbits only), leading Lyapunov
exponents, amplitude and a state on it. See dynamics/transitions.h.
)pbdoc")
      .def_property_readonly(
          "kind", [](const LimitCycle& c) { return std::string(to_string(c.kind)); },
          "'periodic_orbit' or 'invariant_curve'")
      .def_readonly("period", &LimitCycle::period,
                    "steps per revolution: P of an orbit, 2 pi / frequency of a curve")
      .def_readonly("frequency", &LimitCycle::frequency, "rad/step, in [0, pi]")
      .def_property_readonly(
          "stability", [](const LimitCycle& c) { return std::string(to_string(c.stability)); },
          "an orbit's from its Floquet multipliers; a curve 'stable' (attracting) or 'marginal'")
      .def_readonly("multipliers", &LimitCycle::multipliers,
                    "complex128 [n_state], Floquet multipliers (|mu| descending); empty for a "
                    "curve")
      .def_readonly("lyapunov_exponents", &LimitCycle::lyapunov_exponents,
                    "float64 [min(n_lyapunov, n_state)] per step, descending")
      .def_readonly("amplitude", &LimitCycle::amplitude)
      .def_readonly("state", &LimitCycle::state, "float64 [n_state], a state on the cycle")
      .def("__repr__", [](const LimitCycle& c) {
        return py::str("LimitCycle(kind={!r}, period={:.6g}, frequency={:.6g}, stability={!r})")
            .format(std::string(to_string(c.kind)), c.period, c.frequency,
                    std::string(to_string(c.stability)));
      });

  py::class_<TransitionGraph>(m, "TransitionGraph", "Where the unstable manifolds lead.")
      .def_readonly("transitions", &TransitionGraph::transitions)
      .def_readonly("weights", &TransitionGraph::weights,
                    "int [n_points, n_points]: runs from point i that reached point j")
      .def_readonly("cycles", &TransitionGraph::cycles,
                    "list of LimitCycle: the distinct limit cycles reached")
      .def_readonly("cycle_weights", &TransitionGraph::cycle_weights,
                    "int [n_points, n_cycles]: runs from point i that reached cycle c")
      .def_readonly("n_unresolved", &TransitionGraph::n_unresolved)
      .def_readonly("n_unmatched", &TransitionGraph::n_unmatched);

  m.def(
      "find_transitions",
      [](const TransitionOptions& options, const Network& network, const FixedPoints& points,
         const std::vector<Linearization>& linearizations, int n_threads) {
        return find_transitions(network, points, linearizations, options, Execution{n_threads});
      },
      py::arg("options"), py::arg("network"), py::arg("points"), py::arg("linearizations"),
      py::arg("n_threads") = 1, py::call_guard<py::gil_scoped_release>(),
      "`linearizations` must be linearize(network, points).");
}

/// The bindings of dynamics/limit_cycles.h, part 1: periodic orbits and their shooting.
void bind_periodic_orbits(py::module_& m) {
  py::class_<ShootingOptions> shooting(
      m, "ShootingOptions", "Newton shooting on F^P(s) - s; see dynamics/limit_cycles.h.");
  def_schema(shooting.def(py::init<>()));

  py::class_<OrbitAmplitude>(m, "OrbitAmplitude", "Size of an orbit around its mean.")
      .def_readonly("center", &OrbitAmplitude::center, "float64 [n_state], mean of the points")
      .def_readonly("half_range", &OrbitAmplitude::half_range,
                    "float64 [n_state], (max - min) / 2 per coordinate")
      .def_readonly("rms_radius", &OrbitAmplitude::rms_radius)
      .def_readonly("max_radius", &OrbitAmplitude::max_radius);

  py::class_<PeriodicOrbit>(m, "PeriodicOrbit", R"pbdoc(
A periodic orbit (period 1: a fixed point) refined by Newton shooting, with its monodromy matrix,
Floquet multipliers (sorted by |mu| descending), stability, frequency and amplitude.
)pbdoc")
      .def_readonly("period", &PeriodicOrbit::period, "minimal period P")
      .def_readonly("input", &PeriodicOrbit::input)
      .def_property_readonly(
          "points", [](const PeriodicOrbit& o) { return rows_of(o.points); },
          "float64 [P, n_state]: s, F(s), ..., F^{P-1}(s) (a copy)")
      .def_readonly("residual", &PeriodicOrbit::residual, "||F^P(s) - s||")
      .def_readonly("converged", &PeriodicOrbit::converged)
      .def_readonly("n_newton_iters", &PeriodicOrbit::n_newton_iters)
      .def_property_readonly(
          "residual_history",
          [](const PeriodicOrbit& o) {
            return py::array_t<double>(static_cast<py::ssize_t>(o.residual_history.size()),
                                       o.residual_history.data());
          },
          "float64 [n_newton_iters + 1], ||F^P(s) - s|| before each Newton step and at the end")
      .def_readonly("monodromy", &PeriodicOrbit::monodromy, "float64 [n_state, n_state]")
      .def_readonly("multipliers", &PeriodicOrbit::multipliers,
                    "complex128 [n_state], Floquet multipliers, |mu| descending")
      .def_readonly("n_unstable", &PeriodicOrbit::n_unstable)
      .def_readonly("n_marginal", &PeriodicOrbit::n_marginal)
      .def_property_readonly(
          "stability", [](const PeriodicOrbit& o) { return std::string(to_string(o.stability)); },
          "'stable', 'marginal', 'saddle' or 'unstable'")
      .def_readonly("frequency", &PeriodicOrbit::frequency, "rad/step, in [0, pi]")
      .def_readonly("winding_number", &PeriodicOrbit::winding_number)
      .def_readonly("amplitude", &PeriodicOrbit::amplitude)
      .def("lyapunov_exponents", &PeriodicOrbit::lyapunov_exponents,
           "log|mu_i| / P [n_state], descending")
      .def("__repr__", [](const PeriodicOrbit& o) {
        return py::str("PeriodicOrbit(period={}, converged={}, residual={:.3g}, stability={!r})")
            .format(o.period, o.converged, o.residual, std::string(to_string(o.stability)));
      });
}

/// The bindings of dynamics/limit_cycles.h, part 2: invariant curves, attractors and their
/// classification.
void bind_attractors(py::module_& m) {
  py::class_<LimitCycleOptions> limit_cycles(
      m, "LimitCycleOptions", "Options of classify_attractors(); see dynamics/limit_cycles.h.");
  def_schema(limit_cycles.def(py::init<>()));

  py::class_<InvariantCurve>(m, "InvariantCurve", R"pbdoc(
Measures of a bounded non-periodic orbit over its recorded window: frequency (rad/step, weighted
Birkhoff average), the curve tests, the principal plane and the amplitude.
)pbdoc")
      .def_readonly("frequency", &InvariantCurve::frequency, "rad/step, in [0, pi]")
      .def_readonly("frequency_error", &InvariantCurve::frequency_error)
      .def_readonly("period", &InvariantCurve::period, "2 pi / frequency, in steps")
      .def_readonly("n_turns", &InvariantCurve::n_turns)
      .def_readonly("winding_consistency", &InvariantCurve::winding_consistency)
      .def_readonly("curve_gap", &InvariantCurve::curve_gap)
      .def_readonly("radius_drift", &InvariantCurve::radius_drift)
      .def_readonly("plane", &InvariantCurve::plane,
                    "float64 [n_state, 2], the two leading principal directions (columns)")
      .def_readonly("plane_variance", &InvariantCurve::plane_variance)
      .def_readonly("plane_radius", &InvariantCurve::plane_radius)
      .def_readonly("amplitude", &InvariantCurve::amplitude)
      .def_property_readonly(
          "points", [](const InvariantCurve& c) { return rows_of(c.points); },
          "float64 [n_curve_points, n_state], the last consecutive window points (a copy)")
      .def_readonly("attracting", &InvariantCurve::attracting)
      .def("__repr__", [](const InvariantCurve& c) {
        return py::str("InvariantCurve(frequency={:.6g}, n_turns={:.4g}, rms_radius={:.4g})")
            .format(c.frequency, c.n_turns, c.amplitude.rms_radius);
      });

  py::class_<Attractor>(m, "Attractor", "Where one simulation went; see dynamics/limit_cycles.h.")
      .def_property_readonly(
          "kind", [](const Attractor& a) { return std::string(to_string(a.kind)); },
          "'fixed_point', 'periodic_orbit', 'invariant_curve', 'chaotic', 'unresolved' or "
          "'diverged'")
      .def_readonly("message", &Attractor::message)
      .def_readonly("initial_index", &Attractor::initial_index)
      .def_readonly("final_state", &Attractor::final_state)
      .def_readonly("n_steps", &Attractor::n_steps)
      .def_readonly("recurrence_distance", &Attractor::recurrence_distance)
      .def_readonly("recurrence_period", &Attractor::recurrence_period)
      .def_readonly("orbit", &Attractor::orbit, "valid for fixed_point and periodic_orbit")
      .def_readonly("curve", &Attractor::curve,
                    "valid for invariant_curve; diagnostics for chaotic and unresolved")
      .def_readonly("lyapunov_exponents", &Attractor::lyapunov_exponents)
      .def_readonly("same_as", &Attractor::same_as,
                    "first run that reached the same attractor; -1 when not applicable")
      .def("__repr__", [](const Attractor& a) {
        return py::str("Attractor(kind={!r}: {})")
            .format(std::string(to_string(a.kind)), a.message);
      });

  py::class_<AttractorResult>(m, "AttractorResult", "classify_attractors(): one run per start.")
      .def_readonly("input", &AttractorResult::input)
      .def_readonly("runs", &AttractorResult::runs, "list of Attractor (copies)")
      .def_readonly("n_unique", &AttractorResult::n_unique)
      .def_property_readonly(
          "counts",
          [](const AttractorResult& r) {
            py::dict counts;
            for (std::size_t k = 0; k < r.counts.size(); ++k) {
              counts[py::str(std::string(to_string(static_cast<AttractorKind>(k))))] = r.counts[k];
            }
            return counts;
          },
          "{kind: number of runs}")
      .def_property_readonly(
          "kinds",
          [](const AttractorResult& r) {
            std::vector<std::string> kinds;
            for (const Attractor& a : r.runs) kinds.emplace_back(to_string(a.kind));
            return kinds;
          },
          "the kind of each run, in the order of the initial states")
      .def_property_readonly(
          "same_as",
          [](const AttractorResult& r) {
            Eigen::VectorXi same(static_cast<Eigen::Index>(r.runs.size()));
            for (std::size_t i = 0; i < r.runs.size(); ++i) same[i] = r.runs[i].same_as;
            return same;
          },
          "int [n_init], each run's same_as")
      .def("brief_report", &AttractorResult::brief_report)
      .def("__len__", [](const AttractorResult& r) { return r.runs.size(); })
      .def("__repr__", &AttractorResult::brief_report);

  m.def(
      "classify_attractors",
      [](const LimitCycleOptions& options, const Network& network, const py::object& initial_values,
         const Eigen::VectorXd& input, int n_threads) {
        const Array initial_states =
            real_array(initial_values, "classify_attractors: initial_states");
        const Eigen::MatrixXd s0 =
            rows_to_columns(initial_states, "classify_attractors: initial_states",
                            network.architecture().n_state());
        py::gil_scoped_release no_gil;
        return classify_attractors(network, s0, input, options, Execution{n_threads});
      },
      py::arg("options"), py::arg("network"), py::arg("initial_states"), py::arg("input"),
      py::arg("n_threads") = 1,
      "Where runs from initial_states [n_init, n_state] at the constant input [n_input] go; runs "
      "without the GIL. rnnatlas.classify_attractors takes keyword options.");
  m.def(
      "refine_periodic_orbit",
      [](const ShootingOptions& options, const Network& network, const Eigen::VectorXd& state,
         const Eigen::VectorXd& input,
         int period) { return refine_periodic_orbit(network, state, input, period, options); },
      py::arg("options"), py::arg("network"), py::arg("state"), py::arg("input"), py::arg("period"),
      py::call_guard<py::gil_scoped_release>(),
      "Newton shooting for an orbit of `period` through state [n_state].");
  m.def(
      "lyapunov_exponents",
      [](const Network& network, const Eigen::VectorXd& state, const Eigen::VectorXd& input,
         int n_steps, int n_exponents, int n_transient) {
        return lyapunov_exponents(network, state, input, n_steps, n_exponents, n_transient);
      },
      py::arg("network"), py::arg("state"), py::arg("input"), py::arg("n_steps"),
      py::arg("n_exponents"), py::arg("n_transient") = 0, py::call_guard<py::gil_scoped_release>(),
      "The n_exponents leading Lyapunov exponents per step (QR method), descending.");
  m.def(
      "iterate_map",
      [](const Network& network, const Eigen::VectorXd& state, const Eigen::VectorXd& input,
         int n_steps) {
        Eigen::MatrixXd jacobian;
        Eigen::VectorXd end = iterate_map(network, state, input, n_steps, &jacobian);
        return py::make_tuple(end, jacobian);
      },
      py::arg("network"), py::arg("state"), py::arg("input"), py::arg("n_steps"),
      "(F^n(state) [n_state], its Jacobian [n_state, n_state]) at the constant input.");
  m.def(
      "analyze_curve",
      [](const py::object& values, int n_points) {
        const Array window = real_array(values, "analyze_curve: window");
        RNNATLAS_CHECK_ARG(window.ndim() == 2,
                           "analyze_curve: window must have shape "
                           "[N, n_state], got ndim "
                               << window.ndim());
        const Eigen::MatrixXd w = rows_to_columns(window, "analyze_curve: window", window.shape(1));
        return analyze_curve(w, n_points);
      },
      py::arg("window"), py::arg("n_points") = 0,
      "Curve measures of consecutive orbit points window [N, n_state] (rows), keeping the last "
      "n_points.");
  m.def(
      "orbit_amplitude",
      [](const py::object& values) {
        const Array points = real_array(values, "orbit_amplitude: points");
        RNNATLAS_CHECK_ARG(points.ndim() == 2,
                           "orbit_amplitude: points must have shape "
                           "[n, n_state], got ndim "
                               << points.ndim());
        return orbit_amplitude(rows_to_columns(points, "orbit_amplitude: points", points.shape(1)));
      },
      py::arg("points"), "Center, half ranges and radii of points [n, n_state] (rows).");
}

}  // namespace

void bind_dynamics(py::module_& m) {
  bind_fixed_points(m);
  bind_linearization(m);
  bind_transitions(m);
  bind_periodic_orbits(m);
  bind_attractors(m);
}

}  // namespace rnnatlas::python
