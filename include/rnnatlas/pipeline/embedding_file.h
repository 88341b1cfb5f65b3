// The embedding file of a distance matrix: DIR/similarity/<name>.embedding.h5, written by
// `rnnatlas embed`. Layout (docs/pipeline.md, "Embedding
// file"), as h5py sees it:
//
//   root attributes   format = "rnnatlas.embedding", format_version = 1, library_version,
//                     created, metric (as in the distance file), stress, normalized_stress
//                     (float64)
//   network_ids              [N] string, the row order (that of the distance file)
//   classical                [N, 2] float64, classical MDS coordinates
//   classical_eigenvalues    [N] float64, all eigenvalues of -1/2 J D^2 J, descending
//   smacof                   [N, 2] float64, metric MDS coordinates (best start)
//   /cluster/<label>         label = cell, activation, n_hidden, l2 (those with 2 .. N - 1 groups);
//                            float64 attributes silhouette, silhouette_p_value, knn_accuracy,
//                            knn_p_value, majority_accuracy; int64 attributes k, n_permutations,
//                            n_groups
//   /options                 what the file was computed from, for resuming: distances_digest
//                            (string), k_neighbors, n_permutations, seed, n_starts,
//                            max_iterations, tolerance
#pragma once

#include <Eigen/Core>
#include <string>
#include <vector>

#include "rnnatlas/embedding/cluster_stats.h"
#include "rnnatlas/pipeline/distance_file.h"

namespace rnnatlas::embedding {

/// The format version this build writes; readers accept versions <= this one.
inline constexpr int kEmbeddingFileFormatVersion = 1;

/// How one label clusters: /cluster/<label>.
struct LabelClusters {
  std::string label;  ///< cell, activation, n_hidden or l2
  int n_groups = 0;   ///< distinct values of the label
  int k = 0;          ///< neighbours of the k-NN accuracy
  ClusterStats stats;
};

struct EmbeddingFile {
  std::string metric;
  std::vector<std::string> network_ids;   ///< [N]
  Eigen::MatrixXd classical;              ///< [N, 2]
  Eigen::VectorXd classical_eigenvalues;  ///< [N]
  Eigen::MatrixXd smacof;                 ///< [N, 2]
  double stress = 0.0;
  double normalized_stress = 0.0;
  std::vector<LabelClusters> clusters;  ///< in the order cell, activation, n_hidden, l2
  similarity::Params options;           ///< /options
  std::string library_version;          ///< set by the writer; read back
  std::string created;                  ///< set by the writer; read back

  int n_networks() const { return static_cast<int>(network_ids.size()); }
};

/// Writes `file` to `path` atomically. Throws InvalidArgument for inconsistent contents (shapes
/// that disagree with N, duplicate ids or labels), IoError naming the path and the cause.
void save_embedding_file(const std::string& path, const EmbeddingFile& file);

/// Reads an embedding file. Throws IoError naming the path and the problem (missing file, not an
/// embedding file, newer version, missing or mis-shaped dataset or attribute).
EmbeddingFile load_embedding_file(const std::string& path);

}  // namespace rnnatlas::embedding
