// Binds include/rnnatlas/dynamics/analysis.h and dynamics_file.h: analyze_network(), its result
// NetworkDynamics (the content of a dynamics file), the file's loader and writer, and fit_line()
// (the sine frequency fit, as a dict for the report).
// Results are read-only and their arrays are numpy copies laid out as h5py sees the dynamics file
// (docs/pipeline.md): points are rows ([n_points, n_state]), trajectories [n_trials, n_time, ...].
// Nothing is computed here. analyze_network runs without the GIL; the file calls keep it (HDF5 is
// not thread-safe, and the GIL serialises Python threads' calls into it, as in bind_io.cc).
#include <pybind11/complex.h>
#include <pybind11/eigen.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "bindings.h"
#include "rnnatlas/dynamics/analysis.h"
#include "rnnatlas/pipeline/dynamics_file.h"
#include "rnnatlas/tasks/task.h"
#include "schema_binding.h"

namespace rnnatlas::python {
namespace {

/// The transpose of a library matrix (columns are points) as a numpy copy (rows are points).
template <typename Matrix>
auto rows_of(const Matrix& columns) {
  return Eigen::Matrix<typename Matrix::Scalar, Eigen::Dynamic, Eigen::Dynamic>(
      columns.transpose());
}

py::array_t<bool> bool_array(const std::vector<bool>& flags) {
  py::array_t<bool> result(static_cast<py::ssize_t>(flags.size()));
  auto r = result.mutable_unchecked<1>();
  for (std::size_t i = 0; i < flags.size(); ++i) r(static_cast<py::ssize_t>(i)) = flags[i];
  return result;
}

/// The class named `name` ('stable', 'marginal', 'saddle', 'unstable').
StabilityClass stability_class(const std::string& name) {
  for (const StabilityClass c : {StabilityClass::kStable, StabilityClass::kMarginal,
                                 StabilityClass::kSaddle, StabilityClass::kUnstable}) {
    if (to_string(c) == name) return c;
  }
  RNNATLAS_CHECK_ARG(false, "stability = '" << name
                                            << "': must be 'stable', 'marginal', 'saddle' or "
                                               "'unstable'");
  return StabilityClass::kStable;
}

std::vector<std::string> stability_names(const std::vector<StabilityClass>& classes) {
  std::vector<std::string> names;
  names.reserve(classes.size());
  for (const StabilityClass c : classes) names.emplace_back(to_string(c));
  return names;
}

/// A time-major matrix [channels, n_time * n_trials] (TrialBatch layout) as a numpy copy
/// [n_trials, n_time, channels].
py::array_t<double> trials_of(const Eigen::MatrixXd& m, int n_trials, int n_time) {
  const py::ssize_t channels = m.rows();
  py::array_t<double> result({py::ssize_t{n_trials}, py::ssize_t{n_time}, channels});
  auto r = result.mutable_unchecked<3>();
  for (py::ssize_t b = 0; b < n_trials; ++b) {
    for (py::ssize_t t = 0; t < n_time; ++t) {
      for (py::ssize_t c = 0; c < channels; ++c) r(b, t, c) = m(c, t * n_trials + b);
    }
  }
  return result;
}

/// `values` as a vector, for the argument named `what` (real_array(), then one dimension).
Eigen::VectorXd real_vector(const py::handle& values, const std::string& what) {
  const auto array = real_array(values, what);
  RNNATLAS_CHECK_ARG(array.ndim() == 1,
                     what << " must be one-dimensional, got ndim " << array.ndim());
  const auto a = array.unchecked<1>();
  Eigen::VectorXd v(a.shape(0));
  for (py::ssize_t i = 0; i < a.shape(0); ++i) v[i] = a(i);
  return v;
}

/// The options and the per-condition results: points, attractors, example trajectories.
void bind_conditions(py::module_& m) {
  py::class_<AnalysisOptions> analysis_options(m, "AnalysisOptions", R"pbdoc(
Options of analyze_network(); fields, rules and defaults of dynamics/analysis.h (the paper's, with
the fixed-point search's initial Adam rate 0.01). Nested: fixed_points (FixedPointOptions),
linearization (LinearizationOptions), transitions (TransitionOptions, with limit_cycles).
AnalysisOptions.schema() lists every field of the tree by its path, the name of its
`rnnatlas dynamics` flag and study-config key.
)pbdoc");
  def_schema(analysis_options.def(py::init<>()));

  py::class_<ContinuousAttractor>(m, "ContinuousAttractor", R"pbdoc(
A continuum of fixed points at one condition (a line attractor, a ring, a plane), counted once in
the topology signature whatever its number of points (dynamics/topology.h).)pbdoc")
      .def_property_readonly(
          "shape", [](const ContinuousAttractor& a) { return std::string(to_string(a.shape)); },
          "'open_curve', 'closed_curve' or 'manifold'")
      .def_readonly("dimension", &ContinuousAttractor::dimension,
                    "median number of marginal modes over its points (>= 1)")
      .def_readonly("n_unstable", &ContinuousAttractor::n_unstable,
                    "unstable dimensions off it (the least among its points)")
      .def_readonly("n_points", &ContinuousAttractor::n_points,
                    "fixed points of the search on it (depends on the sampling)")
      .def("__repr__", [](const ContinuousAttractor& a) {
        return py::str("ContinuousAttractor({!r}, dimension={}, n_unstable={}, n_points={})")
            .format(std::string(to_string(a.shape)), a.dimension, a.n_unstable, a.n_points);
      });

  py::class_<ConditionDynamics>(m, "ConditionDynamics", R"pbdoc(
The fixed points at one constant input, sorted by q ascending, with their eigenvalues, stability,
readouts, transitions and the limit cycles the transitions reached. Arrays are copies; points are
rows.
)pbdoc")
      .def_readonly("label", &ConditionDynamics::label)
      .def_readonly("input", &ConditionDynamics::input, "float64 [n_input], the constant input")
      .def_property_readonly(
          "states", [](const ConditionDynamics& c) { return rows_of(c.states); },
          "float64 [n_points, n_state]")
      .def_readonly("q", &ConditionDynamics::q, "float64 [n_points], 1/2 ||F(s, u) - s||^2")
      .def_property_readonly(
          "is_slow", [](const ConditionDynamics& c) { return bool_array(c.is_slow); },
          "bool [n_points]: q > tol_q")
      .def_property_readonly(
          "eigenvalues", [](const ConditionDynamics& c) { return rows_of(c.eigenvalues); },
          "complex128 [n_points, n_state], sorted by |lambda| descending")
      .def_readonly("n_unstable", &ConditionDynamics::n_unstable, "int [n_points]")
      .def_property_readonly(
          "stability", [](const ConditionDynamics& c) { return stability_names(c.stability); },
          "per point: 'stable', 'marginal', 'saddle' or 'unstable'")
      .def_readonly("leading_frequency", &ConditionDynamics::leading_frequency,
                    "float64 [n_points], rad/step; NaN when all eigenvalues are real")
      .def_property_readonly(
          "readout", [](const ConditionDynamics& c) { return rows_of(c.readout); },
          "float64 [n_points, n_output], W_out h* + b_out")
      .def_readonly("transitions", &ConditionDynamics::transitions,
                    "int [n_points, n_points]: runs from fixed point i that reached fixed point j")
      .def_readonly("limit_cycles", &ConditionDynamics::limit_cycles,
                    "list of LimitCycle: the distinct limit cycles the transitions reached")
      .def_readonly("cycle_transitions", &ConditionDynamics::cycle_transitions,
                    "int [n_points, n_cycles]: runs from fixed point i that reached cycle c")
      .def_readonly("continuous_attractors", &ConditionDynamics::continuous_attractors,
                    "list of ContinuousAttractor: the continua the fixed points and the slow "
                    "points on the visited states form")
      .def_readonly("attractor", &ConditionDynamics::attractor,
                    "int [n_points]: index into continuous_attractors, -1 for an isolated point "
                    "and for a slow point on none")
      .def_readonly("n_candidates", &ConditionDynamics::n_candidates)
      .def_readonly("n_converged", &ConditionDynamics::n_converged)
      .def_readonly("n_slow", &ConditionDynamics::n_slow)
      .def_readonly("n_merged", &ConditionDynamics::n_merged)
      .def_readonly("n_outliers", &ConditionDynamics::n_outliers)
      .def_readonly("n_unresolved", &ConditionDynamics::n_unresolved,
                    "transition runs that reached neither a fixed point nor a limit cycle")
      .def_readonly("n_unmatched", &ConditionDynamics::n_unmatched)
      .def_property_readonly("n_points", &ConditionDynamics::n_points)
      .def(
          "count",
          [](const ConditionDynamics& c, const std::string& stability) {
            return c.count(stability_class(stability));
          },
          py::arg("stability"), "fixed points (slow points excluded) of a stability class")
      .def("__repr__", [](const ConditionDynamics& c) {
        return py::str("ConditionDynamics({!r}, n_points={}, n_cycles={}, n_unresolved={})")
            .format(c.label, c.n_points(), c.limit_cycles.size(), c.n_unresolved);
      });

  py::class_<ExampleTrajectories>(m, "ExampleTrajectories",
                                  "The network on the example trials; arrays are copies "
                                  "[n_trials, n_time, channels].")
      .def_readonly("n_trials", &ExampleTrajectories::n_trials)
      .def_readonly("n_time", &ExampleTrajectories::n_time)
      .def_property_readonly(
          "inputs",
          [](const ExampleTrajectories& e) { return trials_of(e.inputs, e.n_trials, e.n_time); })
      .def_property_readonly(
          "targets",
          [](const ExampleTrajectories& e) { return trials_of(e.targets, e.n_trials, e.n_time); })
      .def_property_readonly(
          "outputs",
          [](const ExampleTrajectories& e) { return trials_of(e.outputs, e.n_trials, e.n_time); })
      .def_property_readonly(
          "states",
          [](const ExampleTrajectories& e) { return trials_of(e.states, e.n_trials, e.n_time); },
          "the state after each step");
}

/// The task analyses and the topology signature.
void bind_task_analyses(py::module_& m) {
  py::class_<FlipFlopAnalysis>(m, "FlipFlopAnalysis", "The flip-flop analysis (condition 0).")
      .def_readonly("labels", &FlipFlopAnalysis::labels,
                    "int [n_points, n_bits] in {-1, 0, 1}: the rounded readout of each point")
      .def_readonly("n_stable", &FlipFlopAnalysis::n_stable)
      .def_readonly("n_stable_corners", &FlipFlopAnalysis::n_stable_corners)
      .def_readonly("n_saddles", &FlipFlopAnalysis::n_saddles)
      .def_readonly("count_by_unstable", &FlipFlopAnalysis::count_by_unstable,
                    "int [n_state + 1]: fixed points with k unstable dimensions")
      .def_readonly("corner_transitions_one_bit", &FlipFlopAnalysis::corner_transitions_one_bit)
      .def_readonly("corner_transitions_total", &FlipFlopAnalysis::corner_transitions_total);

  py::class_<SineWaveAnalysis>(m, "SineWaveAnalysis", "The sine-wave analysis, per condition.")
      .def_readonly("frequency_index", &SineWaveAnalysis::frequency_index,
                    "int [n_conditions], j in 1 .. n_frequencies")
      .def_readonly("target_frequency", &SineWaveAnalysis::target_frequency, "rad/step")
      .def_readonly("predicted_frequency", &SineWaveAnalysis::predicted_frequency,
                    "|arg lambda| of the unstable complex pair; NaN when none")
      .def_readonly("measured_frequency", &SineWaveAnalysis::measured_frequency,
                    "of the network's output driven by the input; NaN when it does not oscillate")
      .def_property_readonly("has_unstable_complex", [](const SineWaveAnalysis& a) {
        return bool_array(a.has_unstable_complex);
      });

  py::class_<ContextIntegrationAnalysis>(m, "ContextIntegrationAnalysis",
                                         "The context-integration analysis, per context.")
      .def_readonly("n_points", &ContextIntegrationAnalysis::n_points)
      .def_readonly("n_marginal_points", &ContextIntegrationAnalysis::n_marginal_points)
      .def_readonly("eigenvalue_modulus", &ContextIntegrationAnalysis::eigenvalue_modulus,
                    "float64 [n_contexts, n_state], mean sorted |lambda| spectrum")
      .def_readonly("mode_response", &ContextIntegrationAnalysis::mode_response,
                    "float64 [n_contexts, n_state], response fraction of the leading k modes")
      .def_readonly("n_modes_90", &ContextIntegrationAnalysis::n_modes_90)
      .def_readonly("line_attractor_tol", &ContextIntegrationAnalysis::line_attractor_tol);

  py::class_<TopologySignature>(m, "TopologySignature", "The fixed-point topology.")
      .def_readonly("signature", &TopologySignature::signature,
                    "int [n_conditions, 11]: isolated fixed points with 0 .. >= 4 unstable dims, "
                    "then continuous attractors by shape and stability (dynamics/topology.h)")
      .def_readonly("label_graph", &TopologySignature::label_graph,
                    "int [3^n_bits, 3^n_bits] (flip-flop), else empty");
}

/// NetworkDynamics, analyze_network() and the dynamics files.
void bind_network_dynamics(py::module_& m) {
  m.attr("DYNAMICS_FILE_FORMAT_VERSION") = kDynamicsFileFormatVersion;
  py::class_<NetworkDynamics>(m, "NetworkDynamics", R"pbdoc(
Everything analyze_network() finds, the content of a dynamics file: per-condition fixed points,
eigenvalues, stability, transitions and limit cycles; example trajectories; the task analysis
(exactly one of flip_flop, sine_wave, context_integration is not None); the topology signature.
)pbdoc")
      .def_readwrite("network_id", &NetworkDynamics::network_id)
      .def_readwrite("network_file", &NetworkDynamics::network_file)
      .def_readonly("network_hash", &NetworkDynamics::network_hash,
                    "content hash of the network file analysed (file_content_hash); \"\" in a "
                    "file written before hashes were recorded, or not from a file")
      .def_readonly("task", &NetworkDynamics::task)
      .def_property_readonly(
          "cell",
          [](const NetworkDynamics& d) { return std::string(to_string(d.architecture.cell)); })
      .def_property_readonly("activation",
                             [](const NetworkDynamics& d) {
                               return std::string(to_string(d.architecture.activation));
                             })
      .def_property_readonly("n_hidden",
                             [](const NetworkDynamics& d) { return d.architecture.n_hidden; })
      .def_property_readonly("n_input",
                             [](const NetworkDynamics& d) { return d.architecture.n_input; })
      .def_property_readonly("n_output",
                             [](const NetworkDynamics& d) { return d.architecture.n_output; })
      .def_property_readonly("n_state",
                             [](const NetworkDynamics& d) { return d.architecture.n_state(); })
      .def_readonly("options", &NetworkDynamics::options)
      .def_readonly("conditions", &NetworkDynamics::conditions, "list of ConditionDynamics")
      .def_readonly("trajectories", &NetworkDynamics::trajectories)
      .def_readonly("flip_flop", &NetworkDynamics::flip_flop)
      .def_readonly("sine_wave", &NetworkDynamics::sine_wave)
      .def_readonly("context_integration", &NetworkDynamics::context_integration)
      .def_readonly("topology", &NetworkDynamics::topology)
      .def_readonly("seconds", &NetworkDynamics::seconds,
                    "wall time of analyze_network(); 0 for a loaded file")
      .def("__repr__", [](const NetworkDynamics& d) {
        return py::str("NetworkDynamics(network_id={!r}, task={!r}, n_conditions={})")
            .format(d.network_id, d.task, d.conditions.size());
      });

  m.def(
      "analyze_network",
      [](const AnalysisOptions& options, const Network& network, const Task& task, int n_threads) {
        return analyze_network(network, task, options, Execution{n_threads});
      },
      py::arg("options"), py::arg("network"), py::arg("task"), py::arg("n_threads") = 1,
      py::call_guard<py::gil_scoped_release>(),
      "The dynamics analysis of `network` trained on `task` (flip_flop, sine_wave or "
      "context_integration); runs without the GIL. rnnatlas.analyze_network takes keyword "
      "options.");
  m.def(
      "fit_line",
      [](const py::object& x_values, const py::object& y_values) -> py::object {
        const std::optional<LinearFit> fit =
            fit_line(real_vector(x_values, "fit_line: x"), real_vector(y_values, "fit_line: y"));
        if (!fit) return py::none();
        py::dict result;
        result["slope"] = fit->slope;
        result["intercept"] = fit->intercept;
        result["r_squared"] = fit->r_squared;
        result["identity_r_squared"] = fit->identity_r_squared;
        result["n_points"] = fit->n_points;
        return result;
      },
      py::arg("x"), py::arg("y"),
      "The least-squares line of y [n] against x [n] over the pairs where both are finite: a dict "
      "with slope, intercept, r_squared, identity_r_squared (of the line y = x; both NaN when y "
      "is constant) and n_points; None below 3 pairs (kMinFitPoints) or for a constant x. The sine "
      "frequency fit of `rnnatlas dynamics` and of the report.");
  m.def(
      "load_dynamics_file",
      [](const std::filesystem::path& path) { return load_dynamics_file(path.string()); },
      py::arg("path"),
      "Reads a dynamics file (`rnnatlas dynamics`); IoError naming the path and the problem.");
  m.def(
      "save_dynamics_file",
      [](const std::filesystem::path& path, const NetworkDynamics& dynamics) {
        save_dynamics_file(path.string(), dynamics);
      },
      py::arg("path"), py::arg("dynamics"),
      "Writes a dynamics file atomically; IoError naming the path on failure.");
}

}  // namespace

void bind_analysis(py::module_& m) {
  bind_conditions(m);
  bind_task_analyses(m);
  bind_network_dynamics(m);
}

}  // namespace rnnatlas::python
