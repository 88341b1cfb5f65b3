// The dynamics stage of a trained population: `rnnatlas dynamics DIR` as a library call.
//
// Reads the manifest of a sweep directory (sweep.h) and analyses every kept network into
// DIR/dynamics/<id>.h5 (dynamics_file.h), one network per thread. Resume: a network whose dynamics
// file exists, loads and was made with the same options is skipped; any other file is replaced. A
// run killed at any moment loses only the networks in flight.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "rnnatlas/dynamics/analysis.h"
#include "rnnatlas/execution.h"
#include "rnnatlas/io/network_file.h"
#include "rnnatlas/tasks/task.h"

namespace rnnatlas {

/// Reported after the resume scan (last_id empty) and after every analysed network, on one thread
/// at a time.
struct PopulationProgress {
  int n_networks = 0;         ///< kept networks of the sweep
  int n_done = 0;             ///< analysed, resumed ones included
  int n_resumed = 0;          ///< found analysed (with the same options) at the start
  double seconds = 0.0;       ///< since this run started analysing
  std::string last_id;        ///< the network just analysed; empty for the first report
  double last_seconds = 0.0;  ///< its wall time
  /// Networks analysed per second by this run, and the estimated seconds left (NaN until the
  /// first network of this run finishes): time against cost (gates x n_state^2) fitted on the
  /// networks analysed so far, the rest of the schedule replayed (src/common/eta.h).
  double rate = 0.0;
  double eta_seconds = 0.0;
};

struct PopulationOptions {
  AnalysisOptions analysis;
  /// Optional; called on one thread at a time.
  std::function<void(const PopulationProgress&)> progress;
  /// Throws InvalidArgument naming the field.
  void validate() const;
};

struct PopulationSummary {
  int n_networks = 0;  ///< kept networks of the sweep
  int n_resumed = 0;   ///< already analysed in DIR/dynamics
  int n_analysed = 0;  ///< analysed by this run
  double seconds = 0.0;
  /// "analysed 6 networks (2 already done) of 8 kept in 41s".
  std::string brief_report() const;
};

/// A network file's record and the task it was trained on, rebuilt from the file.
struct TrainedNetwork {
  NetworkRecord record;
  std::unique_ptr<Task> task;
};

/// Reads a network file (io/network_file.h) and rebuilds its task. Throws IoError when the file
/// cannot be read, holds a network that was never trained (no task) or a task that cannot be
/// rebuilt.
TrainedNetwork load_trained_network(const std::string& network_file);

/// analyze_network() of the network stored in `network_file`, on the task it was trained on
/// (load_trained_network()); network_id, network_file and network_hash are left for the caller.
NetworkDynamics analyze_network_file(const std::string& network_file,
                                     const AnalysisOptions& options,
                                     const Execution& execution = {});

/// The dynamics file of network `id` in sweep directory `dir`: dir/dynamics/<id>.h5.
std::string dynamics_file_path(const std::string& dir, const std::string& id);

/// Analyses every kept network of the sweep directory `dir`. Throws IoError for a directory
/// without a readable manifest, unreadable network files or unwritable outputs, InvalidArgument
/// for invalid options. The first failure stops the run after the networks in flight.
/// execution.n_threads networks are analysed at once, one per thread; when fewer networks than
/// threads remain, each gets several threads. The files do not depend on it.
PopulationSummary analyze_population(const std::string& dir,
                                     const PopulationOptions& options,
                                     const Execution& execution = {});

}  // namespace rnnatlas
