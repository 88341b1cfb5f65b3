// The distance file of a population: DIR/similarity/<name>.h5, written by `rnnatlas compare`.
// Layout (docs/pipeline.md, "Distance file"), as h5py
// sees it:
//
//   root attributes   format = "rnnatlas.distances", format_version = 1, library_version,
//                     created (UTC, ISO 8601), metric (svcca, cca, pwcca, cka, shape, topology)
//   /params           one attribute per parameter of the metric and of the activity it was
//                     computed on (k, kernel, alpha, n_trials, ...)
//   network_ids       [N] string, the row (and column) order
//   distances         [N, N] float64, symmetric, zero diagonal
//   /labels/cell, /labels/activation      [N] string
//   /labels/n_hidden, /labels/seed        [N] int64
//   /labels/l2, /labels/learning_rate     [N] float64
//   input_hashes      [N] string, content hashes of the files each row was computed from (the
//                     network files; for topology the dynamics files); absent in older files
//
// Written atomically (a reader never sees a partial file).
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

namespace rnnatlas::similarity {

/// The format version this build writes; readers accept versions <= this one.
inline constexpr int kDistanceFileFormatVersion = 1;

/// One parameter value in /params: a flag (uint8 in the file), an integer (int64), a seed (uint64),
/// a number (float64) or a text (string).
using ParamValue = std::variant<bool, std::int64_t, std::uint64_t, double, std::string>;
/// Parameters by name.
using Params = std::map<std::string, ParamValue>;
/// A value as text for messages: "true", "10", "0.5", "linear" (numbers round-trip exactly).
std::string to_string(const ParamValue& value);

/// What each network is, one entry per network in row order ([N] each).
struct NetworkLabels {
  std::vector<std::string> cell;        ///< "vanilla", "ugrnn", "gru", "lstm"
  std::vector<std::string> activation;  ///< "tanh", "relu", "softplus", "linear"
  std::vector<std::int64_t> n_hidden;
  std::vector<double> l2;
  std::vector<double> learning_rate;
  std::vector<std::int64_t> seed;  ///< the network's value of the sweep's [grid] seeds
};

struct DistanceFile {
  std::string metric;                    ///< svcca, cca, pwcca, cka, shape, topology
  Params params;                         ///< of the metric and the activity
  std::vector<std::string> network_ids;  ///< [N], distinct
  Eigen::MatrixXd distances;             ///< [N, N], symmetric, zero diagonal, finite, >= 0
  NetworkLabels labels;
  /// [N] content hashes (io/content_hash.h) of the file each network's row was computed from: its
  /// network file, or for topology its dynamics file. Empty: not recorded (an older file).
  std::vector<std::string> input_hashes;
  std::string library_version;  ///< set by the writer; read back from the file
  std::string created;          ///< set by the writer (UTC "2026-11-29T04:09:03Z"); read back

  int n_networks() const { return static_cast<int>(network_ids.size()); }
};

/// Writes `file` to `path` atomically. Throws InvalidArgument for inconsistent contents (sizes
/// that disagree with N, duplicate ids, a matrix that is not a distance matrix), IoError naming the
/// path and the cause when the file cannot be written.
void save_distance_file(const std::string& path, const DistanceFile& file);

/// Reads a distance file. Throws IoError naming the path and the problem: missing or unreadable
/// file, not a distance file, a newer format version, a missing or mis-shaped dataset or
/// attribute, or a matrix that is not symmetric with a zero diagonal.
DistanceFile load_distance_file(const std::string& path);

}  // namespace rnnatlas::similarity
