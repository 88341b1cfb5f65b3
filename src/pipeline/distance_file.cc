// Distance files. Layout: distance_file.h and
// docs/pipeline.md.
#include "rnnatlas/pipeline/distance_file.h"

#include <cmath>
#include <set>
#include <sstream>
#include <type_traits>

#include "io/h5.h"
#include "pipeline/distance_file_image.h"
#include "pipeline/file_checks.h"
#include "pipeline/h5_params.h"
#include "rnnatlas/config.h"
#include "rnnatlas/error.h"
#include "rnnatlas/format.h"

namespace rnnatlas::similarity {
namespace {

constexpr const char* kFormatName = "rnnatlas.distances";

using h5::Node;

template <typename T>
void check_label_size(const std::vector<T>& values, const char* name, int n) {
  RNNATLAS_CHECK_ARG(static_cast<int>(values.size()) == n,
                     "save_distance_file: labels." << name << " has " << values.size()
                                                   << " entries for " << n
                                                   << " networks; need one per network");
}

void check_contents(const DistanceFile& file) {
  const int n = file.n_networks();
  RNNATLAS_CHECK_ARG(!file.metric.empty(), "save_distance_file: metric is empty");
  RNNATLAS_CHECK_ARG(n >= 1, "save_distance_file: no networks (network_ids is empty)");
  RNNATLAS_CHECK_ARG(file.distances.rows() == n && file.distances.cols() == n,
                     "save_distance_file: distances is ["
                         << file.distances.rows() << ", " << file.distances.cols() << "] for " << n
                         << " network ids; must be [" << n << ", " << n << "]");
  if (const std::string problem = internal::distance_matrix_problem(file.distances);
      !problem.empty()) {
    throw InvalidArgument("save_distance_file: " + problem);
  }
  if (const std::string duplicate = internal::first_duplicate(file.network_ids);
      !duplicate.empty()) {
    throw InvalidArgument("save_distance_file: network id '" + duplicate + "' appears twice");
  }
  const NetworkLabels& l = file.labels;
  check_label_size(l.cell, "cell", n);
  check_label_size(l.activation, "activation", n);
  check_label_size(l.n_hidden, "n_hidden", n);
  check_label_size(l.l2, "l2", n);
  check_label_size(l.learning_rate, "learning_rate", n);
  check_label_size(l.seed, "seed", n);
  RNNATLAS_CHECK_ARG(file.input_hashes.empty() || static_cast<int>(file.input_hashes.size()) == n,
                     "save_distance_file: input_hashes has " << file.input_hashes.size()
                                                             << " entries for " << n
                                                             << " networks; need one per network "
                                                                "or none");
}

std::vector<unsigned char> build_image(const DistanceFile& file) {
  h5::ImageWriter writer;
  const Node& root = writer.root();
  h5::write_attribute(root, "format", kFormatName);
  h5::write_attribute(root, "format_version", kDistanceFileFormatVersion);
  h5::write_attribute(root, "library_version", RNNATLAS_VERSION);
  h5::write_attribute(root, "created", h5::utc_timestamp());
  h5::write_attribute(root, "metric", file.metric);
  const Node params = h5::create_group(root, "params");
  internal::write_params(params, file.params);
  h5::write_strings(root, "network_ids", file.network_ids);
  h5::write_matrix(root, "distances", file.distances);
  const Node labels = h5::create_group(root, "labels");
  const NetworkLabels& l = file.labels;
  const std::vector<hsize_t> dims{static_cast<hsize_t>(file.n_networks())};
  h5::write_strings(labels, "cell", l.cell);
  h5::write_strings(labels, "activation", l.activation);
  h5::write_dataset(labels, "n_hidden", dims, l.n_hidden.data());
  h5::write_vector(labels, "l2", l.l2);
  h5::write_vector(labels, "learning_rate", l.learning_rate);
  h5::write_dataset(labels, "seed", dims, l.seed.data());
  if (!file.input_hashes.empty()) h5::write_strings(root, "input_hashes", file.input_hashes);
  return writer.finish();
}

std::vector<std::int64_t> read_int64_vector(const Node& node, const char* name, hsize_t n) {
  h5::IntArray array = h5::read_int_dataset(node, name);
  if (array.dims != std::vector<hsize_t>{n}) {
    throw IoError("dataset " + node.child(name) + " has shape " + h5::shape_string(array.dims) +
                  ", expected [" + std::to_string(n) + "]");
  }
  return std::move(array.values);
}

std::vector<double> to_std(const Eigen::VectorXd& v) { return {v.data(), v.data() + v.size()}; }

}  // namespace

namespace internal {

std::vector<unsigned char> distance_file_image(const DistanceFile& file) {
  check_contents(file);
  return build_image(file);
}

DistanceFile parse_distance_file_image(const std::vector<unsigned char>& image) {
  const h5::ImageReader reader(image);
  const Node& root = reader.root();
  h5::check_format(root, kFormatName, kDistanceFileFormatVersion, "rnnatlas distance file");
  DistanceFile file;
  file.library_version = h5::read_string(root, "library_version");
  file.created = h5::read_string(root, "created");
  file.metric = h5::read_string(root, "metric");
  if (file.metric.empty()) throw IoError(h5::attribute_label(root, "metric") + " is empty");
  file.params = internal::read_params(h5::open_group(root, "params"));
  file.network_ids = h5::read_strings(root, "network_ids");
  const Eigen::Index n = static_cast<Eigen::Index>(file.network_ids.size());
  if (n == 0) throw IoError("dataset /network_ids is empty");
  if (const std::string duplicate = internal::first_duplicate(file.network_ids);
      !duplicate.empty()) {
    throw IoError("dataset /network_ids: network id '" + duplicate + "' appears twice");
  }
  file.distances = h5::read_matrix(root, "distances", n, n);
  if (const std::string problem = internal::distance_matrix_problem(file.distances);
      !problem.empty()) {
    throw IoError("dataset /distances: " + problem);
  }
  const Node labels = h5::open_group(root, "labels");
  NetworkLabels& l = file.labels;
  l.cell = h5::read_strings(labels, "cell", n);
  l.activation = h5::read_strings(labels, "activation", n);
  l.n_hidden = read_int64_vector(labels, "n_hidden", static_cast<hsize_t>(n));
  l.l2 = to_std(h5::read_vector(labels, "l2", n));
  l.learning_rate = to_std(h5::read_vector(labels, "learning_rate", n));
  l.seed = read_int64_vector(labels, "seed", static_cast<hsize_t>(n));
  if (h5::has_child(root, "input_hashes"))
    file.input_hashes = h5::read_strings(root, "input_hashes", n);
  return file;
}

}  // namespace internal

std::string to_string(const ParamValue& value) {
  return std::visit(
      [](const auto& v) -> std::string {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, bool>) {
          return v ? "true" : "false";
        } else if constexpr (std::is_same_v<T, double>) {
          return format_shortest(v);
        } else if constexpr (std::is_same_v<T, std::string>) {
          return v;
        } else {
          return std::to_string(v);
        }
      },
      value);
}

void save_distance_file(const std::string& path, const DistanceFile& file) {
  RNNATLAS_CHECK_ARG(!path.empty(), "save_distance_file: the path is empty");
  try {
    h5::write_file_atomically(path, internal::distance_file_image(file));
  } catch (const IoError& e) {
    throw IoError("cannot write distance file '" + path + "': " + e.what());
  }
}

DistanceFile load_distance_file(const std::string& path) {
  try {
    return internal::parse_distance_file_image(h5::read_file(path));
  } catch (const IoError& e) {
    throw IoError("cannot read distance file '" + path + "': " + e.what());
  }
}

}  // namespace rnnatlas::similarity
