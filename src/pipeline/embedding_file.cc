// Embedding files. Layout: embedding_file.h and
// docs/pipeline.md.
#include "rnnatlas/pipeline/embedding_file.h"

#include <algorithm>

#include "io/h5.h"
#include "pipeline/embedding_file_image.h"
#include "pipeline/file_checks.h"
#include "pipeline/h5_params.h"
#include "rnnatlas/config.h"
#include "rnnatlas/error.h"

namespace rnnatlas::embedding {
namespace {

constexpr const char* kFormatName = "rnnatlas.embedding";

using h5::Node;

// Position of a label in the canonical order (cell, activation, n_hidden, l2, then the others).
int label_rank(const std::string& label) {
  static const std::vector<std::string> order = {"cell", "activation", "n_hidden", "l2"};
  const auto at = std::find(order.begin(), order.end(), label);
  return static_cast<int>(at - order.begin());
}

void check_contents(const EmbeddingFile& file) {
  const Eigen::Index n = file.n_networks();
  RNNATLAS_CHECK_ARG(!file.metric.empty(), "save_embedding_file: metric is empty");
  RNNATLAS_CHECK_ARG(n >= 1, "save_embedding_file: no networks (network_ids is empty)");
  if (const std::string duplicate = similarity::internal::first_duplicate(file.network_ids);
      !duplicate.empty()) {
    throw InvalidArgument("save_embedding_file: network id '" + duplicate + "' appears twice");
  }
  const auto check_shape = [&](const Eigen::MatrixXd& m, const char* name, Eigen::Index cols) {
    RNNATLAS_CHECK_ARG(m.rows() == n && m.cols() == cols,
                       "save_embedding_file: " << name << " is [" << m.rows() << ", " << m.cols()
                                               << "]; must be [" << n << ", " << cols << "]");
  };
  check_shape(file.classical, "classical", 2);
  check_shape(file.smacof, "smacof", 2);
  check_shape(file.classical_eigenvalues, "classical_eigenvalues", 1);
  std::vector<std::string> labels;
  for (const LabelClusters& c : file.clusters) {
    RNNATLAS_CHECK_ARG(
        !c.label.empty() && c.label.find('/') == std::string::npos,
        "save_embedding_file: cluster label '" << c.label << "' is not a plain name");
    labels.push_back(c.label);
  }
  if (const std::string duplicate = similarity::internal::first_duplicate(labels);
      !duplicate.empty()) {
    throw InvalidArgument("save_embedding_file: cluster label '" + duplicate + "' appears twice");
  }
}

std::vector<unsigned char> build_image(const EmbeddingFile& file) {
  h5::ImageWriter writer;
  const Node& root = writer.root();
  h5::write_attribute(root, "format", kFormatName);
  h5::write_attribute(root, "format_version", kEmbeddingFileFormatVersion);
  h5::write_attribute(root, "library_version", RNNATLAS_VERSION);
  h5::write_attribute(root, "created", h5::utc_timestamp());
  h5::write_attribute(root, "metric", file.metric);
  h5::write_attribute(root, "stress", file.stress);
  h5::write_attribute(root, "normalized_stress", file.normalized_stress);
  h5::write_strings(root, "network_ids", file.network_ids);
  h5::write_matrix(root, "classical", file.classical);
  h5::write_vector(root, "classical_eigenvalues", file.classical_eigenvalues);
  h5::write_matrix(root, "smacof", file.smacof);
  const Node clusters = h5::create_group(root, "cluster");
  for (const LabelClusters& c : file.clusters) {
    const Node group = h5::create_group(clusters, c.label);
    const ClusterStats& s = c.stats;
    h5::write_attribute(group, "silhouette", s.silhouette);
    h5::write_attribute(group, "silhouette_p_value", s.silhouette_p_value);
    h5::write_attribute(group, "knn_accuracy", s.knn_accuracy);
    h5::write_attribute(group, "knn_p_value", s.knn_p_value);
    h5::write_attribute(group, "majority_accuracy", s.majority_accuracy);
    h5::write_attribute(group, "k", std::int64_t{c.k});
    h5::write_attribute(group, "n_permutations", std::int64_t{s.n_permutations});
    h5::write_attribute(group, "n_groups", std::int64_t{c.n_groups});
  }
  similarity::internal::write_params(h5::create_group(root, "options"), file.options);
  return writer.finish();
}

}  // namespace

namespace internal {

std::vector<unsigned char> embedding_file_image(const EmbeddingFile& file) {
  check_contents(file);
  return build_image(file);
}

EmbeddingFile parse_embedding_file_image(const std::vector<unsigned char>& image) {
  const h5::ImageReader reader(image);
  const Node& root = reader.root();
  h5::check_format(root, kFormatName, kEmbeddingFileFormatVersion, "rnnatlas embedding file");
  EmbeddingFile file;
  file.library_version = h5::read_string(root, "library_version");
  file.created = h5::read_string(root, "created");
  file.metric = h5::read_string(root, "metric");
  if (file.metric.empty()) throw IoError(h5::attribute_label(root, "metric") + " is empty");
  file.stress = h5::read_double(root, "stress");
  file.normalized_stress = h5::read_double(root, "normalized_stress");
  file.network_ids = h5::read_strings(root, "network_ids");
  const Eigen::Index n = static_cast<Eigen::Index>(file.network_ids.size());
  if (n == 0) throw IoError("dataset /network_ids is empty");
  if (const std::string duplicate = similarity::internal::first_duplicate(file.network_ids);
      !duplicate.empty()) {
    throw IoError("dataset /network_ids: network id '" + duplicate + "' appears twice");
  }
  file.classical = h5::read_matrix(root, "classical", n, 2);
  file.classical_eigenvalues = h5::read_vector(root, "classical_eigenvalues", n);
  file.smacof = h5::read_matrix(root, "smacof", n, 2);
  const Node clusters = h5::open_group(root, "cluster");
  for (const std::string& label : h5::child_names(clusters)) {
    const Node group = h5::open_group(clusters, label);
    LabelClusters c;
    c.label = label;
    c.n_groups = h5::read_int(group, "n_groups");
    c.k = h5::read_int(group, "k");
    ClusterStats& s = c.stats;
    s.silhouette = h5::read_double(group, "silhouette");
    s.silhouette_p_value = h5::read_double(group, "silhouette_p_value");
    s.knn_accuracy = h5::read_double(group, "knn_accuracy");
    s.knn_p_value = h5::read_double(group, "knn_p_value");
    s.majority_accuracy = h5::read_double(group, "majority_accuracy");
    s.n_permutations = h5::read_int(group, "n_permutations");
    file.clusters.push_back(std::move(c));
  }
  std::stable_sort(file.clusters.begin(), file.clusters.end(),
                   [](const LabelClusters& a, const LabelClusters& b) {
                     return label_rank(a.label) < label_rank(b.label);
                   });
  if (h5::has_child(root, "options"))
    file.options = similarity::internal::read_params(h5::open_group(root, "options"));
  return file;
}

}  // namespace internal

void save_embedding_file(const std::string& path, const EmbeddingFile& file) {
  RNNATLAS_CHECK_ARG(!path.empty(), "save_embedding_file: the path is empty");
  try {
    h5::write_file_atomically(path, internal::embedding_file_image(file));
  } catch (const IoError& e) {
    throw IoError("cannot write embedding file '" + path + "': " + e.what());
  }
}

EmbeddingFile load_embedding_file(const std::string& path) {
  try {
    return internal::parse_embedding_file_image(h5::read_file(path));
  } catch (const IoError& e) {
    throw IoError("cannot read embedding file '" + path + "': " + e.what());
  }
}

}  // namespace rnnatlas::embedding
