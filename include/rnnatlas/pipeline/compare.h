// The similarity stage of the pipeline: `rnnatlas compare` as a library call.
//
// compare_population(dir, options) reads a sweep directory (docs/sweep.md) and writes the distance
// matrix of its kept networks to DIR/similarity/<name>.h5 (distance_file.h; docs/pipeline.md):
//  - the kept networks are the manifest's rows with kept = 1 (read_manifest), in manifest order;
//  - activity metrics (cca, svcca, pwcca, cka, shape, dsa): every network is loaded from
//    DIR/networks/<id>.h5 and run on the same held-out trials of the sweep's task
//    (activity.h), on execution.n_threads threads, then distance_matrix() compares them. Only the
//    prepared form of each network is kept in memory, not its activity;
//  - topology: topology_distance_matrix() of the topology summaries of the dynamics files
//    DIR/dynamics/<id>.h5 (written by analyze_population(), population.h);
//  - labels (cell, activation, n_hidden, l2, learning_rate, seed) come from the sweep config
//    DIR/sweep.toml, so they are those the networks were trained with.
// Resume: when the file exists with the same metric, parameters and kept networks, nothing is
// computed. When only the kept networks differ (the sweep has trained more since), the file is
// stale and is replaced. When the metric or a parameter differs, it is replaced only with `force`.
//
// Over MPI ranks (`mpirun -n K rnnatlas compare DIR ...`): with Execution::runner an MpiRunner,
// every rank calls compare_population() with the same arguments. Every rank reads the manifest and
// config, makes the same resume decision from the same files, and loads and prepares every kept
// network (so DIR must be on a file system every rank mounts); the pairs are spread over all
// ranks' worker threads (distance_matrix.h); rank 0 alone writes the file, bit-identical to a
// threaded run's. Topology distances are computed by rank 0 alone.
#pragma once

#include <Eigen/Core>
#include <functional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "rnnatlas/dynamics/topology.h"
#include "rnnatlas/execution.h"
#include "rnnatlas/pipeline/distance_file.h"
#include "rnnatlas/schema.h"
#include "rnnatlas/similarity/activity.h"
#include "rnnatlas/similarity/dsa.h"
#include "rnnatlas/similarity/metrics.h"

namespace rnnatlas::similarity {

/// The metrics compare_population() knows: the activity metrics of distance_matrix.h, then
/// "topology".
const std::vector<std::string>& compare_metric_names();

/// The name under which CompareOptions nests the options of `metric`: "cca" for cca and pwcca,
/// the metric itself for svcca, cka, shape and dsa; empty for topology (and unknown names).
std::string_view metric_options_name(std::string_view metric);

/// True for the metrics that compare the networks' activity, and so use CompareOptions::activity:
/// all of compare_metric_names() but topology (which reads the dynamics files).
bool uses_activity(std::string_view metric);

struct CompareOptions {
  /// One of compare_metric_names(): cca, svcca, pwcca, cka, shape, dsa, topology.
  std::string metric = "svcca";
  CcaOptions cca{};            ///< for cca and pwcca
  SvccaOptions svcca{};        ///< for svcca
  CkaOptions cka{};            ///< for cka
  ShapeOptions shape{};        ///< for shape
  DsaOptions dsa{};            ///< for dsa; n_steps is set from the activity's kept steps
  ActivityOptions activity{};  ///< the trials and units of every activity metric
  /// Stem of the output file DIR/similarity/<name>.h5; empty = the metric's name. A plain file
  /// name: letters, digits, '_', '-', '.' (e.g. "svcca_k20").
  std::string name;
  bool force = false;  ///< replace an existing file computed with another metric or parameters
  /// For metric "topology": which matrices of the dynamics files topology_distance() compares
  /// (recorded in /params as "kind"); unused otherwise.
  TopologyDistanceKind topology_kind = TopologyDistanceKind::kAuto;

  /// No numeric fields of its own: the options of the metrics and of the activity, nested by their
  /// member names (svcca.k, dsa.alignment.seed, activity.n_trials). These paths are the flags of
  /// `rnnatlas compare` and the keys of a study's [compare] tables (docs/options.md).
  static const Schema<CompareOptions>& schema();
  static constexpr auto nested() {
    using O = CompareOptions;
    return std::tuple{
        Nest<O, CcaOptions>{"cca", &O::cca}, Nest<O, SvccaOptions>{"svcca", &O::svcca},
        Nest<O, CkaOptions>{"cka", &O::cka}, Nest<O, ShapeOptions>{"shape", &O::shape},
        Nest<O, DsaOptions>{"dsa", &O::dsa}, Nest<O, ActivityOptions>{"activity", &O::activity}};
  }

  /// Throws InvalidArgument naming the field, its value and what is allowed.
  void validate() const;
  /// The file stem: name, or metric when name is empty.
  std::string file_stem() const;
  /// What is written to /params: the metric's own options (svcca: k, variance_fraction,
  /// rank_tolerance; cka: kernel, threshold, debiased; shape: alpha, distance, rank_tolerance;
  /// cca and pwcca: rank_tolerance; dsa: n_delays, delay_interval, rank, rank_tolerance, distance,
  /// n_random_starts, n_screening_iterations, n_refined, max_iterations, tolerance,
  /// alignment_seed) and the activity options (n_trials, activity_seed, first_step,
  /// step_stride, state); for topology, topology.params.
  Params params() const;
};

struct CompareSummary {
  std::string path;  ///< the distance file
  std::string metric;
  int n_networks = 0;            ///< kept networks compared (rows of the matrix)
  int n_manifest_rows = 0;       ///< networks in the manifest
  bool resumed = false;          ///< the file was already there, up to date: nothing was computed
  bool replaced = false;         ///< an older file was replaced
  std::string replaced_because;  ///< what differed in it: "k = 10 there, 20 now", "kept ..."
  double seconds = 0.0;          ///< wall time of this call
  /// One line: "svcca: 48 kept networks of 64 -> DIR/similarity/svcca.h5 (12.3 s)".
  std::string brief_report() const;
};

/// DIR/similarity/<stem>.h5.
std::string distance_file_path(const std::string& dir, const std::string& stem);

/// Computes and writes the distance matrix of the kept networks of sweep directory `dir` (see the
/// file comment). Throws InvalidArgument for invalid options, fewer than 2 kept networks, or an
/// existing file computed with other options without `force` (the message says what differs);
/// IoError for a missing or unreadable sweep directory, manifest, config or network file, or a
/// file that cannot be written. Cost: loading and running the N kept networks, then
/// distance_matrix(). execution.n_threads threads load, run and prepare the networks and compute
/// the pairs; with execution.runner set (an MpiRunner), the pairs of an activity metric are
/// computed by the runner's workers on every rank (see the file comment).
CompareSummary compare_population(const std::string& dir,
                                  const CompareOptions& options,
                                  const Execution& execution = {});

/// "" when distance file `file` is current for sweep directory `dir`: it holds the manifest's kept
/// networks in order, and its input_hashes are those of the files it would be computed from now
/// (the network files; for topology the dynamics files). Otherwise what differs, e.g. "1 of its 8
/// input files changed since it was computed". Throws IoError when the population fails its
/// checks: read_manifest(), verified_network_file(), or a dynamics file made from another network
/// file.
std::string distance_file_staleness(const std::string& dir, const DistanceFile& file);

}  // namespace rnnatlas::similarity
