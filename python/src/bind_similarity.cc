// Binds include/rnnatlas/similarity/: the metrics (convenience forms on two activity matrices),
// distance matrices, embeddings and clustering statistics. Activity is [n_samples, n_units] in
// both numpy and the library, so matrices pass through pybind11's Eigen casters unchanged. Options
// structs have one def (def_readwrite, or a string property for an enum) per field; results are
// read-only. Long calls run without the GIL once their arguments are converted. Declarations only.
// Module maintainer: rnnatlas python.
#include <pybind11/eigen.h>
#include <pybind11/stl.h>

#include <string>
#include <vector>

#include "bindings.h"
#include "rnnatlas/similarity/cluster_stats.h"
#include "rnnatlas/similarity/distance_matrix.h"
#include "rnnatlas/similarity/embedding.h"
#include "rnnatlas/similarity/metrics.h"

namespace rnnatlas::python {

void bind_similarity(py::module_& m) {
  namespace sim = rnnatlas::similarity;
  using Matrix = Eigen::Ref<const Eigen::MatrixXd>;
  const auto no_gil = py::call_guard<py::gil_scoped_release>();

  // ---- metrics.h ---------------------------------------------------------------------------
  py::class_<sim::CcaOptions>(m, "CcaOptions", "Options of cca() and pwcca().")
      .def(py::init<>())
      .def_readwrite("rank_tolerance", &sim::CcaOptions::rank_tolerance)
      .def("validate", &sim::CcaOptions::validate);

  py::class_<sim::SvccaOptions>(m, "SvccaOptions", "Options of svcca().")
      .def(py::init<>())
      .def_readwrite("k", &sim::SvccaOptions::k)
      .def_readwrite("variance_fraction", &sim::SvccaOptions::variance_fraction)
      .def_readwrite("rank_tolerance", &sim::SvccaOptions::rank_tolerance)
      .def("validate", &sim::SvccaOptions::validate);

  py::class_<sim::CkaOptions>(m, "CkaOptions", "Options of cka().")
      .def(py::init<>())
      .def_property(
          "kernel", [](const sim::CkaOptions& o) { return std::string(sim::to_string(o.kernel)); },
          [](sim::CkaOptions& o, const std::string& name) {
            o.kernel = sim::parse_cka_kernel(name);
          },
          "'linear' or 'rbf'")
      .def_readwrite("threshold", &sim::CkaOptions::threshold)
      .def_readwrite("debiased", &sim::CkaOptions::debiased)
      .def("validate", &sim::CkaOptions::validate);

  py::class_<sim::ShapeOptions>(m, "ShapeOptions", "Options of shape_distance().")
      .def(py::init<>())
      .def_readwrite("alpha", &sim::ShapeOptions::alpha)
      .def_property(
          "distance",
          [](const sim::ShapeOptions& o) { return std::string(sim::to_string(o.distance)); },
          [](sim::ShapeOptions& o, const std::string& name) {
            o.distance = sim::parse_shape_distance(name);
          },
          "'angular' or 'euclidean'")
      .def_readwrite("rank_tolerance", &sim::ShapeOptions::rank_tolerance)
      .def("validate", &sim::ShapeOptions::validate);

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
      py::arg("options"), py::arg("x"), py::arg("y"), no_gil,
      "All canonical correlations [min(rank x, rank y)], descending, of x [n_samples, n_x] and "
      "y [n_samples, n_y].");
  m.def(
      "svcca",
      [](const sim::SvccaOptions& o, const Matrix& x, const Matrix& y) {
        return sim::svcca(o, x, y);
      },
      py::arg("options"), py::arg("x"), py::arg("y"), no_gil,
      "CCA between the top-k principal subspaces of x and y.");
  m.def(
      "pwcca",
      [](const sim::CcaOptions& o, const Matrix& x, const Matrix& y) {
        return sim::pwcca(o, x, y);
      },
      py::arg("options"), py::arg("x"), py::arg("y"), no_gil,
      "Projection-weighted CCA, weights from x (asymmetric).");
  m.def(
      "cka",
      [](const sim::CkaOptions& o, const Matrix& x, const Matrix& y) { return sim::cka(o, x, y); },
      py::arg("options"), py::arg("x"), py::arg("y"), no_gil,
      "Centered kernel alignment (a similarity; 1 for x = y).");
  m.def(
      "shape_distance",
      [](const sim::ShapeOptions& o, const Matrix& x, const Matrix& y) {
        return sim::shape_distance(o, x, y);
      },
      py::arg("options"), py::arg("x"), py::arg("y"), no_gil,
      "Generalized shape metric (angular or Euclidean) with partial whitening alpha.");

  // ---- distance_matrix.h -------------------------------------------------------------------
  py::class_<sim::DistanceMatrixOptions>(m, "DistanceMatrixOptions",
                                         "Options of distance_matrix().")
      .def(py::init<>())
      .def_property(
          "metric",
          [](const sim::DistanceMatrixOptions& o) { return std::string(sim::to_string(o.metric)); },
          [](sim::DistanceMatrixOptions& o, const std::string& name) {
            o.metric = sim::parse_metric(name);
          },
          "'cca', 'svcca', 'pwcca', 'cka' or 'shape'")
      .def_readwrite("cca", &sim::DistanceMatrixOptions::cca)
      .def_readwrite("svcca", &sim::DistanceMatrixOptions::svcca)
      .def_readwrite("cka", &sim::DistanceMatrixOptions::cka)
      .def_readwrite("shape", &sim::DistanceMatrixOptions::shape)
      .def_readwrite("n_threads", &sim::DistanceMatrixOptions::n_threads)
      .def("validate", &sim::DistanceMatrixOptions::validate);

  m.def("distance_matrix", &sim::distance_matrix, py::arg("options"), py::arg("activities"), no_gil,
        "[N, N] distances between N activities [n_samples, n_units_i]; symmetric, zero "
        "diagonal, identical for any n_threads.");

  // ---- embedding.h -------------------------------------------------------------------------
  py::class_<sim::ClassicalMdsResult>(m, "ClassicalMdsResult", "classical_mds() result.")
      .def_readonly("coordinates", &sim::ClassicalMdsResult::coordinates,
                    "float64 [n, n_components]")
      .def_readonly("eigenvalues", &sim::ClassicalMdsResult::eigenvalues,
                    "float64 [n], all eigenvalues of -1/2 J D^2 J, descending");

  m.def("classical_mds", &sim::classical_mds, py::arg("distances"), py::arg("n_components") = 2,
        no_gil, "Classical (Torgerson) MDS of a distance matrix [n, n].");

  py::class_<sim::SmacofOptions>(m, "SmacofOptions", "Options of smacof().")
      .def(py::init<>())
      .def_readwrite("n_components", &sim::SmacofOptions::n_components)
      .def_readwrite("n_starts", &sim::SmacofOptions::n_starts)
      .def_readwrite("classical_start", &sim::SmacofOptions::classical_start)
      .def_readwrite("max_iterations", &sim::SmacofOptions::max_iterations)
      .def_readwrite("tolerance", &sim::SmacofOptions::tolerance)
      .def_readwrite("seed", &sim::SmacofOptions::seed)
      .def("validate", &sim::SmacofOptions::validate);

  py::class_<sim::SmacofSummary>(m, "SmacofSummary", "smacof() result: the best start.")
      .def_property_readonly(
          "termination",
          [](const sim::SmacofSummary& s) { return std::string(to_string(s.termination)); })
      .def_readonly("message", &sim::SmacofSummary::message)
      .def_readonly("coordinates", &sim::SmacofSummary::coordinates, "float64 [n, n_components]")
      .def_readonly("stress", &sim::SmacofSummary::stress)
      .def_readonly("normalized_stress", &sim::SmacofSummary::normalized_stress)
      .def_readonly("best_start", &sim::SmacofSummary::best_start)
      .def_readonly("n_iterations", &sim::SmacofSummary::n_iterations)
      .def_readonly("stress_history", &sim::SmacofSummary::stress_history)
      .def_readonly("start_stress", &sim::SmacofSummary::start_stress);

  m.def("smacof", &sim::smacof, py::arg("options"), py::arg("distances"), no_gil,
        "Metric MDS by stress majorization (SMACOF) of a distance matrix [n, n].");

  // ---- cluster_stats.h ---------------------------------------------------------------------
  m.def("silhouette_score", &sim::silhouette_score, py::arg("distances"), py::arg("labels"), no_gil,
        "Mean silhouette of integer `labels` [n] in `distances` [n, n].");
  m.def("knn_accuracy", &sim::knn_accuracy, py::arg("distances"), py::arg("labels"), py::arg("k"),
        no_gil, "Leave-one-out k-nearest-neighbour accuracy of `labels`.");

  py::class_<sim::ClusterStatsOptions>(m, "ClusterStatsOptions", "Options of cluster_stats().")
      .def(py::init<>())
      .def_readwrite("k", &sim::ClusterStatsOptions::k)
      .def_readwrite("n_permutations", &sim::ClusterStatsOptions::n_permutations)
      .def_readwrite("seed", &sim::ClusterStatsOptions::seed)
      .def_readwrite("n_threads", &sim::ClusterStatsOptions::n_threads)
      .def("validate", &sim::ClusterStatsOptions::validate);

  py::class_<sim::ClusterStats>(m, "ClusterStats", "Silhouette and k-NN accuracy with p-values.")
      .def_readonly("silhouette", &sim::ClusterStats::silhouette)
      .def_readonly("silhouette_p_value", &sim::ClusterStats::silhouette_p_value)
      .def_readonly("knn_accuracy", &sim::ClusterStats::knn_accuracy)
      .def_readonly("knn_p_value", &sim::ClusterStats::knn_p_value)
      .def_readonly("majority_accuracy", &sim::ClusterStats::majority_accuracy)
      .def_readonly("n_permutations", &sim::ClusterStats::n_permutations)
      .def("__repr__", [](const sim::ClusterStats& s) {
        return py::str(
                   "ClusterStats(silhouette={}, silhouette_p_value={}, knn_accuracy={}, "
                   "knn_p_value={}, majority_accuracy={})")
            .format(s.silhouette, s.silhouette_p_value, s.knn_accuracy, s.knn_p_value,
                    s.majority_accuracy);
      });

  m.def("cluster_stats", &sim::cluster_stats, py::arg("options"), py::arg("distances"),
        py::arg("labels"), no_gil,
        "Silhouette and k-NN accuracy of integer `labels` with label-permutation p-values.");

  py::class_<sim::MantelOptions>(m, "MantelOptions", "Options of mantel_test().")
      .def(py::init<>())
      .def_readwrite("n_permutations", &sim::MantelOptions::n_permutations)
      .def_readwrite("seed", &sim::MantelOptions::seed)
      .def("validate", &sim::MantelOptions::validate);

  py::class_<sim::MantelResult>(m, "MantelResult", "mantel_test(): r and its p-value.")
      .def_readonly("r", &sim::MantelResult::r)
      .def_readonly("p_value", &sim::MantelResult::p_value)
      .def_readonly("n_permutations", &sim::MantelResult::n_permutations)
      .def("__repr__", [](const sim::MantelResult& r) {
        return py::str("MantelResult(r={}, p_value={})").format(r.r, r.p_value);
      });

  m.def("mantel_test", &sim::mantel_test, py::arg("options"), py::arg("a"), py::arg("b"), no_gil,
        "Pearson r of the upper triangles of two distance matrices, with a permutation p-value.");
}

}  // namespace rnnatlas::python
