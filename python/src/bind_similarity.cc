// Binds include/rnnatlas/similarity/: the metrics (convenience forms on two activity matrices),
// distance matrices and distance files. Activity is [n_samples, n_units] in
// both numpy and the library, so matrices pass through pybind11's Eigen casters unchanged. Options
// structs have one def (def_readwrite, or a string property for an enum) per field; results are
// read-only. Long calls run without the GIL once their arguments are converted. Declarations only.
#include <pybind11/eigen.h>
#include <pybind11/stl.h>

#include <string>
#include <vector>

#include "bindings.h"
#include "rnnatlas/pipeline/compare.h"
#include "rnnatlas/pipeline/distance_file.h"
#include "rnnatlas/similarity/distance_matrix.h"
#include "rnnatlas/similarity/dsa.h"
#include "rnnatlas/similarity/metrics.h"
#include "schema_binding.h"

namespace rnnatlas::python {
namespace {

namespace sim = rnnatlas::similarity;
using Matrix = Eigen::Ref<const Eigen::MatrixXd>;

/// Long calls release the GIL once their arguments are converted.
py::call_guard<py::gil_scoped_release> no_gil() { return {}; }

/// metrics.h: CCA, SVCCA, PWCCA, CKA and the shape metrics, their options and results.
void bind_metrics(py::module_& m) {
  py::class_<sim::CcaOptions> cca_options(m, "CcaOptions", "Options of cca() and pwcca().");
  def_schema(cca_options.def(py::init<>()));

  py::class_<sim::SvccaOptions> svcca_options(m, "SvccaOptions", "Options of svcca().");
  def_schema(svcca_options.def(py::init<>()));

  // The enum fields are not in the schemas: a string property each.
  py::class_<sim::CkaOptions> cka_options(m, "CkaOptions", "Options of cka().");
  def_schema(cka_options.def(py::init<>()))
      .def_property(
          "kernel", [](const sim::CkaOptions& o) { return std::string(sim::to_string(o.kernel)); },
          [](sim::CkaOptions& o, const std::string& name) {
            o.kernel = sim::parse_cka_kernel(name);
          },
          "'linear' or 'rbf'");

  py::class_<sim::ShapeOptions> shape_options(m, "ShapeOptions", "Options of shape_distance().");
  def_schema(shape_options.def(py::init<>()))
      .def_property(
          "distance",
          [](const sim::ShapeOptions& o) { return std::string(sim::to_string(o.distance)); },
          [](sim::ShapeOptions& o, const std::string& name) {
            o.distance = sim::parse_shape_distance(name);
          },
          "'angular' or 'euclidean'");

  py::class_<sim::SvccaResult>(m, "SvccaResult", "svcca(): canonical correlations and distance.")
      .def_readonly("rho", &sim::SvccaResult::rho)
      .def_readonly("mean_rho", &sim::SvccaResult::mean_rho)
      .def_readonly("distance", &sim::SvccaResult::distance)
      .def("__repr__", [](const sim::SvccaResult& r) {
        return py::str("SvccaResult(mean_rho={}, distance={})").format(r.mean_rho, r.distance);
      });

  py::class_<sim::PwccaResult>(m, "PwccaResult", "pwcca(): correlations, weights and distance.")
      .def_readonly("rho", &sim::PwccaResult::rho)
      .def_readonly("weights", &sim::PwccaResult::weights)
      .def_readonly("weighted_rho", &sim::PwccaResult::weighted_rho)
      .def_readonly("distance", &sim::PwccaResult::distance)
      .def("__repr__", [](const sim::PwccaResult& r) {
        return py::str("PwccaResult(weighted_rho={}, distance={})")
            .format(r.weighted_rho, r.distance);
      });

  m.def(
      "cca",
      [](const sim::CcaOptions& o, const Matrix& x, const Matrix& y) { return sim::cca(o, x, y); },
      py::arg("options"), py::arg("x"), py::arg("y"), no_gil(),
      "All canonical correlations [min(rank x, rank y)], descending, of x [n_samples, n_x] and "
      "y [n_samples, n_y].");
  m.def(
      "svcca",
      [](const sim::SvccaOptions& o, const Matrix& x, const Matrix& y) {
        return sim::svcca(o, x, y);
      },
      py::arg("options"), py::arg("x"), py::arg("y"), no_gil(),
      "CCA between the top-k principal subspaces of x and y.");
  m.def(
      "pwcca",
      [](const sim::CcaOptions& o, const Matrix& x, const Matrix& y) {
        return sim::pwcca(o, x, y);
      },
      py::arg("options"), py::arg("x"), py::arg("y"), no_gil(),
      "Projection-weighted CCA, weights from x (asymmetric).");
  m.def(
      "cka",
      [](const sim::CkaOptions& o, const Matrix& x, const Matrix& y) { return sim::cka(o, x, y); },
      py::arg("options"), py::arg("x"), py::arg("y"), no_gil(),
      "Centered kernel alignment (a similarity; 1 for x = y).");
  m.def(
      "shape_distance",
      [](const sim::ShapeOptions& o, const Matrix& x, const Matrix& y) {
        return sim::shape_distance(o, x, y);
      },
      py::arg("options"), py::arg("x"), py::arg("y"), no_gil(),
      "Generalized shape metric (angular or Euclidean) with partial whitening alpha.");
}

/// dsa.h: dynamical similarity analysis.
void bind_dsa(py::module_& m) {
  py::class_<sim::DsaAlignmentOptions> alignment_options(
      m, "DsaAlignmentOptions", "Options of DSA's orthogonal alignment of two operators.");
  def_schema(alignment_options.def(py::init<>()));

  py::class_<sim::DsaOptions> dsa_options(m, "DsaOptions", "Options of prepare_dsa() and dsa().");
  def_schema(dsa_options.def(py::init<>()))
      .def_property(
          "distance",
          [](const sim::DsaOptions& o) { return std::string(sim::to_string(o.distance)); },
          [](sim::DsaOptions& o, const std::string& name) {
            o.distance = sim::parse_shape_distance(name);
          },
          "'angular' or 'euclidean'");

  py::class_<sim::PreparedDsa>(m, "PreparedDsa", "The fitted linear operator of one activity.")
      .def_readonly("n_samples", &sim::PreparedDsa::n_samples)
      .def_readonly("n_units", &sim::PreparedDsa::n_units)
      .def_readonly("n_steps", &sim::PreparedDsa::n_steps)
      .def_readonly("n_delays", &sim::PreparedDsa::n_delays)
      .def_readonly("delay_interval", &sim::PreparedDsa::delay_interval)
      .def_readonly("dynamics", &sim::PreparedDsa::dynamics, "[rank, rank] operator A")
      .def_readonly("directions", &sim::PreparedDsa::directions,
                    "[n_delays * n_units, rank] principal directions W_r")
      .def_readonly("singular_values", &sim::PreparedDsa::singular_values, "[rank]")
      .def_readonly("fit_residual", &sim::PreparedDsa::fit_residual)
      .def_property_readonly("rank", &sim::PreparedDsa::rank)
      .def("embedding_dynamics", &sim::PreparedDsa::embedding_dynamics,
           "W_r S_r A S_r^-1 W_r^T [n_delays * n_units, n_delays * n_units]")
      .def("__repr__", [](const sim::PreparedDsa& p) {
        return py::str("PreparedDsa(rank={}, fit_residual={})").format(p.rank(), p.fit_residual);
      });

  py::class_<sim::DsaResult>(m, "DsaResult", "dsa(): distances and the alignment found.")
      .def_readonly("distance", &sim::DsaResult::distance)
      .def_readonly("angular", &sim::DsaResult::angular)
      .def_readonly("euclidean", &sim::DsaResult::euclidean)
      .def_readonly("alignment", &sim::DsaResult::alignment, "[n, n] orthogonal C")
      .def_readonly("n_starts", &sim::DsaResult::n_starts)
      .def_readonly("best_start", &sim::DsaResult::best_start)
      .def_readonly("n_iterations", &sim::DsaResult::n_iterations)
      .def_readonly("gradient_norm", &sim::DsaResult::gradient_norm)
      .def_readonly("converged", &sim::DsaResult::converged)
      .def("__repr__", [](const sim::DsaResult& r) {
        return py::str("DsaResult(distance={}, angular={}, euclidean={}, converged={})")
            .format(r.distance, r.angular, r.euclidean, r.converged);
      });

  m.def(
      "prepare_dsa",
      [](const sim::DsaOptions& o, const Matrix& x) { return sim::prepare_dsa(o, x); },
      py::arg("options"), py::arg("x"), no_gil(),
      "The fitted operator of x [n_trials * n_steps, n_units] (rows time-major).");
  m.def(
      "dsa",
      [](const sim::DsaOptions& o, const Matrix& x, const Matrix& y) { return sim::dsa(o, x, y); },
      py::arg("options"), py::arg("x"), py::arg("y"), no_gil(),
      "Dynamical similarity analysis of two activities (rows time-major, options.n_steps set).");
  m.def(
      "dsa_prepared",
      [](const sim::DsaOptions& o, const sim::PreparedDsa& x, const sim::PreparedDsa& y) {
        return sim::dsa(o, x, y);
      },
      py::arg("options"), py::arg("x"), py::arg("y"), no_gil(), "DSA between two prepared sides.");
  m.def(
      "operator_distance",
      [](const sim::DsaOptions& o, const Matrix& a, const Matrix& b) {
        return sim::operator_distance(o, a, b);
      },
      py::arg("options"), py::arg("a"), py::arg("b"), no_gil(),
      "Procrustes analysis over vector fields of two square operators.");
}

/// distance_matrix.h, and the distance files of pipeline/distance_file.h.
void bind_distance_matrices(py::module_& m) {
  py::class_<sim::DistanceMatrixOptions>(m, "DistanceMatrixOptions",
                                         "Options of distance_matrix().")
      .def(py::init<>())
      .def_property(
          "metric",
          [](const sim::DistanceMatrixOptions& o) { return std::string(sim::to_string(o.metric)); },
          [](sim::DistanceMatrixOptions& o, const std::string& name) {
            o.metric = sim::parse_metric(name);
          },
          "'cca', 'svcca', 'pwcca', 'cka', 'shape' or 'dsa'")
      .def_readwrite("cca", &sim::DistanceMatrixOptions::cca)
      .def_readwrite("svcca", &sim::DistanceMatrixOptions::svcca)
      .def_readwrite("cka", &sim::DistanceMatrixOptions::cka)
      .def_readwrite("shape", &sim::DistanceMatrixOptions::shape)
      .def_readwrite("dsa", &sim::DistanceMatrixOptions::dsa)
      .def("validate", &sim::DistanceMatrixOptions::validate);

  m.def(
      "distance_matrix",
      [](const sim::DistanceMatrixOptions& o, const std::vector<Eigen::MatrixXd>& activities,
         int n_threads) { return sim::distance_matrix(o, activities, Execution{n_threads}); },
      py::arg("options"), py::arg("activities"), py::arg("n_threads") = 1, no_gil(),
      "[N, N] distances between N activities [n_samples, n_units_i]; symmetric, zero "
      "diagonal, identical for any n_threads.");

  // ---- distance_file.h ---------------------------------------------------------------------
  py::class_<sim::NetworkLabels>(m, "NetworkLabels", "Per-network labels of a distance file.")
      .def_readonly("cell", &sim::NetworkLabels::cell)
      .def_readonly("activation", &sim::NetworkLabels::activation)
      .def_readonly("n_hidden", &sim::NetworkLabels::n_hidden)
      .def_readonly("l2", &sim::NetworkLabels::l2)
      .def_readonly("learning_rate", &sim::NetworkLabels::learning_rate)
      .def_readonly("seed", &sim::NetworkLabels::seed);

  py::class_<sim::DistanceFile>(m, "DistanceFile", "The contents of a distance file.")
      .def_readonly("metric", &sim::DistanceFile::metric)
      .def_readonly("params", &sim::DistanceFile::params)
      .def_readonly("network_ids", &sim::DistanceFile::network_ids)
      .def_readonly("distances", &sim::DistanceFile::distances, "float64 [N, N]")
      .def_readonly("labels", &sim::DistanceFile::labels)
      .def_readonly("library_version", &sim::DistanceFile::library_version)
      .def_readonly("created", &sim::DistanceFile::created);

  m.def("load_distance_file", &sim::load_distance_file, py::arg("path"), no_gil(),
        "Reads a distance file (DIR/similarity/<metric>.h5).");
  m.def(
      "distance_file_staleness",
      [](const std::string& dir, const std::string& path) {
        return sim::distance_file_staleness(dir, sim::load_distance_file(path));
      },
      py::arg("dir"), py::arg("path"), no_gil(),
      "'' when the distance file at `path` is current for sweep directory DIR (the manifest's "
      "kept networks, inputs with the recorded content hashes); otherwise what differs. OSError "
      "when the population fails its checks.");
}

}  // namespace

void bind_similarity(py::module_& m) {
  bind_metrics(m);
  bind_dsa(m);
  bind_distance_matrices(m);
}

}  // namespace rnnatlas::python
