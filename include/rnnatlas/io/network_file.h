// One HDF5 file per trained network.
//
// The layout is documented in docs/network-file.md so that h5py, MATLAB and Julia users can read
// the files without rnnatlas. Files are written atomically: to a temporary file in the same
// directory, flushed, then renamed over the destination, so a reader never sees a partial file and
// a crash never leaves one behind under the final name.
#pragma once

#include <cstdint>
#include <string>

#include "rnnatlas/models/network.h"
#include "rnnatlas/tasks/task.h"
#include "rnnatlas/training/train.h"

namespace rnnatlas {

/// The format version this build writes. Readers accept versions <= this one.
inline constexpr int kNetworkFileFormatVersion = 1;

/// A network with everything needed to reproduce and judge it.
struct NetworkRecord {
  Network network{Architecture{}};
  std::uint64_t init_seed = 0;  ///< seed of the parameter initialisation
  std::string task_name;        ///< canonical task name; empty when untrained
  TaskParams task_params;       ///< every task parameter
  TrainOptions train_options;   ///< the options used (progress callback not stored)
  TrainSummary summary;         ///< termination, message, loss history, held-out metrics
  std::string library_version;  ///< filled by the writer; read back from the file
};

/// Writes `record` to `path` atomically. Throws IoError naming the path and the cause.
void save_network_file(const std::string& path, const NetworkRecord& record);

/// Reads a network file. Throws IoError naming the path and the problem for a missing, truncated or
/// non-HDF5 file, a newer format version, or a missing or mis-shaped dataset or attribute.
NetworkRecord load_network_file(const std::string& path);

/// The first difference in how two records were set up (architecture, initialisation seed, task
/// and its parameters, stored training options) as "what: a vs b", or "" when they agree. The
/// trained parameters, the outcome and the library version are not compared.
std::string first_setup_difference(const NetworkRecord& a, const NetworkRecord& b);

}  // namespace rnnatlas
