// Binds include/rnnatlas/dynamics/: fixed points, linearization and transitions. Options structs
// have one def_readwrite per field; results are read-only. Points are rows in Python
// ([n_points, n_state]) and columns in the library, so the binding transposes; nothing else is
// computed here. Long calls run without the GIL once their arguments are converted.
// Module maintainer: rnnatlas python.
#include <pybind11/complex.h>
#include <pybind11/eigen.h>
#include <pybind11/stl.h>

#include <string>
#include <vector>

#include "bindings.h"
#include "rnnatlas/dynamics/fixed_points.h"
#include "rnnatlas/dynamics/linearization.h"
#include "rnnatlas/dynamics/transitions.h"
#include "rnnatlas/tasks/task.h"

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

}  // namespace

void bind_dynamics(py::module_& m) {
  // ---- fixed_points.h ----------------------------------------------------------------------
  py::class_<NewtonOptions>(m, "NewtonOptions", "Newton refinement after the Adam search.")
      .def(py::init<>())
      .def_readwrite("enabled", &NewtonOptions::enabled)
      .def_readwrite("max_iters", &NewtonOptions::max_iters)
      .def_readwrite("tol_q", &NewtonOptions::tol_q)
      .def_readwrite("max_backtracks", &NewtonOptions::max_backtracks)
      .def_readwrite("min_rcond", &NewtonOptions::min_rcond)
      .def_readwrite("lm_damping", &NewtonOptions::lm_damping);

  py::class_<FixedPointOptions>(m, "FixedPointOptions",
                                "Options of find_fixed_points(); see dynamics/fixed_points.h.")
      .def(py::init<>())
      .def_readwrite("tol_q", &FixedPointOptions::tol_q)
      .def_readwrite("tol_dq", &FixedPointOptions::tol_dq)
      .def_readwrite("max_iters", &FixedPointOptions::max_iters)
      .def_readwrite("adam_beta1", &FixedPointOptions::adam_beta1)
      .def_readwrite("adam_beta2", &FixedPointOptions::adam_beta2)
      .def_readwrite("adam_epsilon", &FixedPointOptions::adam_epsilon)
      .def_readwrite("lr_initial", &FixedPointOptions::lr_initial)
      .def_readwrite("lr_min", &FixedPointOptions::lr_min)
      .def_readwrite("lr_max", &FixedPointOptions::lr_max)
      .def_readwrite("lr_decrease_factor", &FixedPointOptions::lr_decrease_factor)
      .def_readwrite("lr_increase_factor", &FixedPointOptions::lr_increase_factor)
      .def_readwrite("lr_steps_per_increase", &FixedPointOptions::lr_steps_per_increase)
      .def_readwrite("newton", &FixedPointOptions::newton)
      .def_readwrite("tol_unique", &FixedPointOptions::tol_unique)
      .def_readwrite("outlier_distance_scale", &FixedPointOptions::outlier_distance_scale)
      .def_readwrite("n_threads", &FixedPointOptions::n_threads)
      .def("validate", &FixedPointOptions::validate,
           "Raises ValueError naming the first field that breaks its rule.");

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
      [](const FixedPointOptions& options, const Network& network, const Array& initial_states,
         const Eigen::VectorXd& input) {
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
      [](const Network& network, const Array& states, const Eigen::VectorXd& input) {
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
      [](const InitialStateOptions& options, const Array& pool) {
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

  // ---- linearization.h ---------------------------------------------------------------------
  py::class_<LinearizationOptions>(m, "LinearizationOptions", "Options of linearize().")
      .def(py::init<>())
      .def_readwrite("stability_tol", &LinearizationOptions::stability_tol)
      .def_readwrite("compute_eigenvectors", &LinearizationOptions::compute_eigenvectors)
      .def_readwrite("n_threads", &LinearizationOptions::n_threads)
      .def("validate", &LinearizationOptions::validate);

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
      [](const LinearizationOptions& options, const Network& network, const FixedPoints& points) {
        return linearize(network, points, options);
      },
      py::arg("options"), py::arg("network"), py::arg("points"),
      py::call_guard<py::gil_scoped_release>(),
      "One linearization per point of `points`, in their order.");
  m.def(
      "analyze_jacobian",
      [](const LinearizationOptions& options, const Eigen::MatrixXd& J) {
        return analyze_jacobian(J, options);
      },
      py::arg("options"), py::arg("J"),
      "Eigen-decomposition and stability class of a given J [n, n].");

  // ---- transitions.h -----------------------------------------------------------------------
  py::class_<TransitionOptions>(m, "TransitionOptions", "Options of find_transitions().")
      .def(py::init<>())
      .def_readwrite("perturbation", &TransitionOptions::perturbation)
      .def_readwrite("max_steps", &TransitionOptions::max_steps)
      .def_readwrite("tol_settled", &TransitionOptions::tol_settled)
      .def_readwrite("tol_match", &TransitionOptions::tol_match)
      .def("validate", &TransitionOptions::validate);

  py::class_<Transition>(m, "Transition", "One perturbed run from an unstable point.")
      .def_readonly("from_", &Transition::from, "index of the unstable point ('from' in C++)")
      .def_readonly("mode", &Transition::mode)
      .def_readonly("sign", &Transition::sign)
      .def_readonly("to", &Transition::to, "index of the point reached; -1 when none")
      .def_readonly("settled", &Transition::settled)
      .def_readonly("n_steps", &Transition::n_steps)
      .def_readonly("final_state", &Transition::final_state);

  py::class_<TransitionGraph>(m, "TransitionGraph", "Where the unstable manifolds lead.")
      .def_readonly("transitions", &TransitionGraph::transitions)
      .def_readonly("weights", &TransitionGraph::weights,
                    "int [n_points, n_points]: runs from point i that reached point j")
      .def_readonly("n_unresolved", &TransitionGraph::n_unresolved)
      .def_readonly("n_unmatched", &TransitionGraph::n_unmatched);

  m.def(
      "find_transitions",
      [](const TransitionOptions& options, const Network& network, const FixedPoints& points,
         const std::vector<Linearization>& linearizations) {
        return find_transitions(network, points, linearizations, options);
      },
      py::arg("options"), py::arg("network"), py::arg("points"), py::arg("linearizations"),
      py::call_guard<py::gil_scoped_release>(),
      "`linearizations` must be linearize(network, points).");
}

}  // namespace rnnatlas::python
