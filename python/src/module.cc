// rnnatlas._core: the private extension module that python/rnnatlas/__init__.py re-exports.
#include <Python.h>

#include "bindings.h"
#include "rnnatlas/config.h"
#include "rnnatlas/error.h"

PYBIND11_MODULE(_core, m) {
  namespace py = pybind11;
  m.doc() = R"pbdoc(
rnnatlas._core: bindings of the rnnatlas C++ library (use the `rnnatlas` package instead).

Tasks:     Task, TrialBatch, make_task, task_names
Models:    Network
Training:  TrainOptions, TrainProgress, TrainSummary, EvalMetrics, train, evaluate
Files:     NetworkRecord, save_network_file, load_network_file, Network.save
Populations: read_manifest, summarize_population, verified_network_file, sweep_in_progress,
           population_snapshot_note, file_content_hash
Dynamics:  FixedPointOptions (NewtonOptions), find_fixed_points, fixed_point_objective,
           sample_initial_states, LinearizationOptions, linearize, analyze_jacobian,
           TransitionOptions, find_transitions, LimitCycle
Limit cycles: LimitCycleOptions, classify_attractors, refine_periodic_orbit, lyapunov_exponents
Analysis:  AnalysisOptions, analyze_network, NetworkDynamics (ConditionDynamics, ...),
           load_dynamics_file, save_dynamics_file
Similarity: cca, svcca, pwcca, cka, shape_distance (and their *Options), distance_matrix,
           DistanceFile, load_distance_file, distance_file_staleness
Embedding: classical_mds, smacof, silhouette_score, knn_accuracy, cluster_stats, mantel_test,
           EmbeddingFile, load_embedding_file, embedding_staleness
Errors:    InvalidArgument (a ValueError), IoError (an OSError)
)pbdoc";
  m.attr("__version__") = RNNATLAS_VERSION;

  // The exception types are leaked on purpose: a static py::object would be released after the
  // interpreter has shut down. Messages pass through unchanged.
  static PyObject* const invalid_argument = PyErr_NewExceptionWithDoc(
      "rnnatlas.InvalidArgument",
      "A caller mistake; the message names the value and what is allowed. `field` is the path of\n"
      "the option at fault (\"fixed_points.max_iters\"), or \"\" when it is not about one option.",
      PyExc_ValueError, nullptr);
  static PyObject* const io_error = PyErr_NewExceptionWithDoc(
      "rnnatlas.IoError", "A missing, unreadable, corrupt or unwritable file.", PyExc_OSError,
      nullptr);
  m.attr("InvalidArgument") = py::handle(invalid_argument);
  m.attr("IoError") = py::handle(io_error);
  // pybind11's translator type takes the exception_ptr by value.
  // NOLINTNEXTLINE(performance-unnecessary-value-param)
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const rnnatlas::InvalidArgument& e) {
      // The error's option path goes along as the attribute `field` ("" when not about one).
      PyObject* const error = PyObject_CallFunction(invalid_argument, "s", e.what());
      if (error == nullptr) return;  // the call has set the Python error
      PyObject* const field = PyUnicode_FromString(e.field().c_str());
      if (field == nullptr || PyObject_SetAttrString(error, "field", field) != 0) {
        Py_XDECREF(field);
        Py_DECREF(error);
        return;
      }
      Py_DECREF(field);
      PyErr_SetObject(invalid_argument, error);
      Py_DECREF(error);
    } catch (const rnnatlas::IoError& e) {
      PyErr_SetString(io_error, e.what());
    }
  });

  rnnatlas::python::bind_tasks(m);
  rnnatlas::python::bind_models(m);
  rnnatlas::python::bind_training(m);
  rnnatlas::python::bind_io(m);
  rnnatlas::python::bind_sweep(m);
  rnnatlas::python::bind_dynamics(m);
  rnnatlas::python::bind_analysis(m);
  rnnatlas::python::bind_similarity(m);
  rnnatlas::python::bind_embedding(m);
}
