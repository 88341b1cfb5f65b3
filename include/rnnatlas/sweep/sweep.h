// Training a population: `rnnatlas sweep` as a library call.
//
// Directory layout (docs/sweep.md):
//   DIR/sweep.toml        the config as given, stored by the first run (or the last growth)
//   DIR/sweep.hash        SweepSpec::hash() of that config
//   DIR/history/<h>.toml  the configs the sweep grew from, named by their hash (growing a study)
//   DIR/manifest.csv      one row per network (manifest.h), rewritten atomically after each one
//   DIR/networks/<id>.h5  one network file per finished network, written atomically
//   DIR/.lock             flock(2)ed for the duration of a run
// Resume: a network whose file exists and loads is not trained again; its manifest row is rebuilt
// from the file. A run killed at any moment loses only the networks in flight.
#pragma once

#include <functional>
#include <limits>
#include <string>

#include "rnnatlas/execution.h"
#include "rnnatlas/runner.h"
#include "rnnatlas/sweep/manifest.h"
#include "rnnatlas/sweep/sweep_spec.h"

namespace rnnatlas {

/// Reported after every finished network (on one thread at a time).
struct SweepProgress {
  int n_networks = 0;  ///< in the spec
  int n_done = 0;      ///< finished, resumed ones included
  int n_resumed = 0;   ///< found finished in DIR at the start
  int n_diverged = 0;
  int n_kept = 0;
  double seconds = 0.0;  ///< since this run started training
  /// Fraction of this run's work done by the cost model, in [0, 1]: networks weighted by their
  /// estimated cost (iterations x batch x steps x gates x n_hidden x (n_hidden + n_input)).
  double work_done = 0.0;
  /// Estimated seconds until this run ends: time against cost fitted on the finished networks,
  /// the rest of the schedule replayed (src/common/eta.h). NaN before the first network finishes.
  double eta_seconds = std::numeric_limits<double>::quiet_NaN();
  const ManifestRow* last = nullptr;  ///< the network that just finished; null for the first report
};

struct SweepOptions {
  /// Optional; called after the resume scan (last == null) and after every finished network.
  std::function<void(const SweepProgress&)> progress;
};

struct SweepSummary {
  int n_networks = 0;
  int n_resumed = 0;   ///< already finished in DIR
  int n_trained = 0;   ///< trained by this run
  int n_diverged = 0;  ///< over the whole population
  int n_kept = 0;
  double seconds = 0.0;  ///< wall time of this run
  std::string brief_report() const;
};

/// Trains every network of `spec` that DIR does not hold yet. `config_text` is stored as
/// DIR/sweep.toml on the first run. When DIR holds a sweep that `spec` extends
/// (extension_mismatch() is empty) with fewer networks, the study grows: DIR's networks keep their
/// ids and files, and the networks `spec` adds are appended to the manifest (grown_networks()).
/// Throws InvalidArgument when DIR holds a different sweep that `spec` does not extend (the
/// message names each key that differs) or is not a sweep directory, IoError when another run holds
/// DIR's lock or a file cannot be written. Diverged networks are recorded, not errors.
///
/// With a runner spread over processes (MpiRunner), every process calls run_sweep() with the
/// same arguments. The coordinator (rank 0) does everything above; the other processes only
/// train the networks it hands them and write their files into DIR (a shared file system),
/// and their summary counts only n_networks, n_trained (by that process) and seconds. An error
/// on any process makes every process throw.
///
/// The networks are trained on execution.runner, or on a ThreadRunner of execution.n_threads.
SweepSummary run_sweep(const SweepOptions& options,
                       const SweepSpec& spec,
                       const std::string& config_text,
                       const std::string& dir,
                       const Execution& execution = {});

/// A sweep directory's population: its config and its networks in manifest order.
struct SweepPopulation {
  SweepSpec spec;  ///< DIR/sweep.toml
  /// grown_networks() of the configs DIR grew from and `spec`: the manifest's row i is
  /// networks[i], with the same id. Without growth, spec.network(0 .. n_networks() - 1).
  std::vector<SweepNetwork> networks;
};

/// Reads DIR/sweep.toml and DIR/history/*.toml. Throws IoError when they are missing or do not
/// form a chain of extensions, InvalidArgument when a config does not parse.
SweepPopulation read_sweep_population(const std::string& dir);

/// The manifest rows of a sweep directory (reads DIR/manifest.csv), checked as one population
/// (parse_manifest_csv()); a network file that resolves outside DIR through a symbolic link is
/// refused too. Throws IoError naming the file and the problem. The C++ stages read manifests
/// through this function, and so do the Python Population and the report (through the binding).
std::vector<ManifestRow> read_manifest(const std::string& dir);

/// The path of the network file of `row` (DIR/row.file) after checking that its content hash is
/// the one the manifest recorded. Throws IoError when it differs (the file was replaced or
/// changed), when the manifest records no hash (an older manifest: rerunning `rnnatlas sweep`
/// adds them without retraining) or when the file cannot be read.
std::string verified_network_file(const std::string& dir, const ManifestRow& row);

/// True while a `rnnatlas sweep` run holds DIR's lock (DIR/.lock). The probe takes a shared
/// lock for an instant; a run starting at that moment waits for it (up to 1 s) rather than
/// failing.
bool sweep_in_progress(const std::string& dir);

/// "" when every network of `rows` (DIR's manifest) is trained and no sweep is running on DIR.
/// Otherwise one sentence for the stages that read the population now: they see a snapshot, and
/// what to run to include the rest. Stages print it as a warning; the report puts it on the page.
std::string population_snapshot_note(const std::string& dir, const std::vector<ManifestRow>& rows);

/// Summarizes DIR's manifest by cell x activation and writes it atomically as DIR/summary.csv,
/// with the content hash of the manifest it counted. Throws IoError.
std::vector<PopulationGroup> write_population_summary(const std::string& dir);

}  // namespace rnnatlas
