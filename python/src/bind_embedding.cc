// Binds include/rnnatlas/embedding/: classical and metric MDS, clustering statistics with
// permutation p-values, and embedding files. Options structs have one def per field; results are
// read-only. Long calls run without the GIL once their arguments are converted. Declarations only.
#include <pybind11/eigen.h>
#include <pybind11/stl.h>

#include <string>
#include <vector>

#include "bindings.h"
#include "rnnatlas/embedding/cluster_stats.h"
#include "rnnatlas/embedding/embedding.h"
#include "rnnatlas/pipeline/embed.h"
#include "rnnatlas/pipeline/embedding_file.h"
#include "schema_binding.h"

namespace rnnatlas::python {

void bind_embedding(py::module_& m) {
  namespace emb = rnnatlas::embedding;
  const auto no_gil = py::call_guard<py::gil_scoped_release>();

  // ---- embedding.h -------------------------------------------------------------------------
  py::class_<emb::ClassicalMdsResult>(m, "ClassicalMdsResult", "classical_mds() result.")
      .def_readonly("coordinates", &emb::ClassicalMdsResult::coordinates,
                    "float64 [n, n_components]")
      .def_readonly("eigenvalues", &emb::ClassicalMdsResult::eigenvalues,
                    "float64 [n], all eigenvalues of -1/2 J D^2 J, descending");

  m.def("classical_mds", &emb::classical_mds, py::arg("distances"), py::arg("n_components") = 2,
        no_gil, "Classical (Torgerson) MDS of a distance matrix [n, n].");

  py::class_<emb::SmacofOptions> smacof_options(m, "SmacofOptions", "Options of smacof().");
  def_schema(smacof_options.def(py::init<>()));

  py::class_<emb::SmacofSummary>(m, "SmacofSummary", "smacof() result: the best start.")
      .def_property_readonly(
          "termination",
          [](const emb::SmacofSummary& s) { return std::string(to_string(s.termination)); })
      .def_readonly("message", &emb::SmacofSummary::message)
      .def_readonly("coordinates", &emb::SmacofSummary::coordinates, "float64 [n, n_components]")
      .def_readonly("stress", &emb::SmacofSummary::stress)
      .def_readonly("normalized_stress", &emb::SmacofSummary::normalized_stress)
      .def_readonly("best_start", &emb::SmacofSummary::best_start)
      .def_readonly("n_iterations", &emb::SmacofSummary::n_iterations)
      .def_readonly("stress_history", &emb::SmacofSummary::stress_history)
      .def_readonly("start_stress", &emb::SmacofSummary::start_stress);

  m.def("smacof", &emb::smacof, py::arg("options"), py::arg("distances"), no_gil,
        "Metric MDS by stress majorization (SMACOF) of a distance matrix [n, n].");

  // ---- cluster_stats.h ---------------------------------------------------------------------
  m.def("silhouette_score", &emb::silhouette_score, py::arg("distances"), py::arg("labels"), no_gil,
        "Mean silhouette of integer `labels` [n] in `distances` [n, n].");
  m.def("knn_accuracy", &emb::knn_accuracy, py::arg("distances"), py::arg("labels"), py::arg("k"),
        no_gil, "Leave-one-out k-nearest-neighbour accuracy of `labels`.");

  py::class_<emb::ClusterStatsOptions>(m, "ClusterStatsOptions", "Options of cluster_stats().")
      .def(py::init<>())
      .def_readwrite("k", &emb::ClusterStatsOptions::k)
      .def_readwrite("n_permutations", &emb::ClusterStatsOptions::n_permutations)
      .def_readwrite("seed", &emb::ClusterStatsOptions::seed)
      .def("validate", &emb::ClusterStatsOptions::validate);

  py::class_<emb::ClusterStats>(m, "ClusterStats", "Silhouette and k-NN accuracy with p-values.")
      .def_readonly("silhouette", &emb::ClusterStats::silhouette)
      .def_readonly("silhouette_p_value", &emb::ClusterStats::silhouette_p_value)
      .def_readonly("knn_accuracy", &emb::ClusterStats::knn_accuracy)
      .def_readonly("knn_p_value", &emb::ClusterStats::knn_p_value)
      .def_readonly("majority_accuracy", &emb::ClusterStats::majority_accuracy)
      .def_readonly("n_permutations", &emb::ClusterStats::n_permutations)
      .def("__repr__", [](const emb::ClusterStats& s) {
        return py::str(
                   "ClusterStats(silhouette={}, silhouette_p_value={}, knn_accuracy={}, "
                   "knn_p_value={}, majority_accuracy={})")
            .format(s.silhouette, s.silhouette_p_value, s.knn_accuracy, s.knn_p_value,
                    s.majority_accuracy);
      });

  m.def(
      "cluster_stats",
      [](const emb::ClusterStatsOptions& options, const Eigen::MatrixXd& distances,
         const std::vector<int>& labels, int n_threads) {
        return emb::cluster_stats(options, distances, labels, Execution{n_threads});
      },
      py::arg("options"), py::arg("distances"), py::arg("labels"), py::arg("n_threads") = 1, no_gil,
      "Silhouette and k-NN accuracy of integer `labels` with label-permutation p-values.");

  py::class_<emb::MantelOptions>(m, "MantelOptions", "Options of mantel_test().")
      .def(py::init<>())
      .def_readwrite("n_permutations", &emb::MantelOptions::n_permutations)
      .def_readwrite("seed", &emb::MantelOptions::seed)
      .def("validate", &emb::MantelOptions::validate);

  py::class_<emb::MantelResult>(m, "MantelResult", "mantel_test(): r and its p-value.")
      .def_readonly("r", &emb::MantelResult::r)
      .def_readonly("p_value", &emb::MantelResult::p_value)
      .def_readonly("n_permutations", &emb::MantelResult::n_permutations)
      .def("__repr__", [](const emb::MantelResult& r) {
        return py::str("MantelResult(r={}, p_value={})").format(r.r, r.p_value);
      });

  m.def("mantel_test", &emb::mantel_test, py::arg("options"), py::arg("a"), py::arg("b"), no_gil,
        "Pearson r of the upper triangles of two distance matrices, with a permutation p-value.");

  // ---- embedding_file.h --------------------------------------------------------------------
  py::class_<emb::LabelClusters>(m, "LabelClusters", "How one label clusters: /cluster/<label>.")
      .def_readonly("label", &emb::LabelClusters::label)
      .def_readonly("n_groups", &emb::LabelClusters::n_groups)
      .def_readonly("k", &emb::LabelClusters::k)
      .def_readonly("stats", &emb::LabelClusters::stats);

  py::class_<emb::EmbeddingFile>(m, "EmbeddingFile", "The contents of an embedding file.")
      .def_readonly("metric", &emb::EmbeddingFile::metric)
      .def_readonly("network_ids", &emb::EmbeddingFile::network_ids)
      .def_readonly("classical", &emb::EmbeddingFile::classical, "float64 [N, 2]")
      .def_readonly("classical_eigenvalues", &emb::EmbeddingFile::classical_eigenvalues,
                    "float64 [N]")
      .def_readonly("smacof", &emb::EmbeddingFile::smacof, "float64 [N, 2]")
      .def_readonly("stress", &emb::EmbeddingFile::stress)
      .def_readonly("normalized_stress", &emb::EmbeddingFile::normalized_stress)
      .def_readonly("clusters", &emb::EmbeddingFile::clusters)
      .def_readonly("options", &emb::EmbeddingFile::options)
      .def_readonly("library_version", &emb::EmbeddingFile::library_version)
      .def_readonly("created", &emb::EmbeddingFile::created);

  m.def("embedding_staleness", &emb::embedding_staleness, py::arg("dir"), py::arg("name"), no_gil,
        "'' when DIR/similarity/<name>.embedding.h5 was computed from DIR/similarity/<name>.h5 "
        "as it is now; otherwise why not.");
  m.def("load_embedding_file", &emb::load_embedding_file, py::arg("path"), no_gil,
        "Reads an embedding file (DIR/similarity/<metric>.embedding.h5).");
}

}  // namespace rnnatlas::python
