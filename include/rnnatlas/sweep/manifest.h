// The record of a sweep: one row per network, and the population summary built from it.
//
// DIR/manifest.csv has a header line and one row per network of the spec, in index order, with
// the columns of manifest_columns(). Rows of networks not trained yet say outcome "pending".
// It is rewritten atomically after every finished network, so it is always complete and readable.
// Manifests written before the `file_hash` column existed still read (with empty hashes); the
// stages that read network files refuse them until `rnnatlas sweep` is rerun (sweep.h).
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "rnnatlas/sweep/sweep_spec.h"
#include "rnnatlas/types.h"

namespace rnnatlas {

/// One network's line of the manifest.
struct ManifestRow {
  SweepNetwork network;             ///< what was (or will be) trained
  std::string outcome = "pending";  ///< "pending", or to_string(Termination): completed, diverged
  int n_iterations_done = 0;
  double final_loss = std::numeric_limits<double>::quiet_NaN();  ///< last minibatch loss
  double mse = std::numeric_limits<double>::quiet_NaN();         ///< held-out
  double normalized_mse = std::numeric_limits<double>::quiet_NaN();
  double sign_accuracy = std::numeric_limits<double>::quiet_NaN();
  bool kept = false;     ///< completed and normalized_mse < max_normalized_mse
  double seconds = 0.0;  ///< training wall time
  std::string file;      ///< relative to DIR: "networks/<id>.h5"; empty while pending
  /// file_content_hash() of `file` when the sweep wrote or adopted it (io/content_hash.h); empty
  /// while pending, and in a manifest written before hashes were recorded.
  std::string file_hash;
};

/// The CSV columns, in order.
const std::vector<std::string>& manifest_columns();

/// The CSV text of `rows` (header included). Numbers are written so that they read back exactly.
std::string format_manifest_csv(const std::vector<ManifestRow>& rows);

/// Parses manifest.csv text. Only the columns the summary needs are read back into `network`
/// (index, id, cell, activation, n_hidden, seed, init_seed, train seed). Throws IoError naming
/// `source_name` and the line for a malformed file, and for a population that is not one: an id
/// or index that appears twice, two rows naming one file, a `file` that is absolute or leaves the
/// directory ("..") or a kept row without one, a `file_hash` that is not 16 hex digits. The
/// header of a manifest without `file_hash` is accepted; its rows have empty hashes.
std::vector<ManifestRow> parse_manifest_csv(const std::string& text,
                                            const std::string& source_name);

/// One line of the population summary: the networks of one cell x activation.
struct PopulationGroup {
  CellKind cell = CellKind::kGru;
  Activation activation = Activation::kTanh;
  int n_networks = 0;  ///< in the spec
  int n_trained = 0;   ///< completed or diverged
  int n_kept = 0;
  int n_diverged = 0;
  /// Median held-out normalized MSE over the trained networks whose value is finite; NaN if none.
  double median_normalized_mse = std::numeric_limits<double>::quiet_NaN();
  double seconds = 0.0;  ///< total training time
};

/// Groups `rows` by (cell, activation) in enum order; groups with no network are left out.
std::vector<PopulationGroup> summarize_population(const std::vector<ManifestRow>& rows);

/// CSV text of the summary: cell,activation,networks,trained,kept,diverged,median_normalized_mse,
/// seconds,manifest_hash. `manifest_hash` is the content hash of the manifest text the groups were
/// counted from (io/content_hash.h), the same on every line: a reader compares it with the
/// manifest's hash now to tell a stale summary.
std::string format_summary_csv(const std::vector<PopulationGroup>& groups,
                               const std::string& manifest_hash);

}  // namespace rnnatlas
