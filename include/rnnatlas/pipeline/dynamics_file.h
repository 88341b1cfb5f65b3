// One HDF5 file per analysed network: `dynamics/<id>.h5` of docs/pipeline.md (format
// "rnnatlas.dynamics", version 2).
//
// The file holds everything of a NetworkDynamics except its wall time: the conditions (fixed
// points, eigenvalues, stability, readouts, transition counts, the limit cycles the transitions
// reached and finder summaries), the example trajectories, the task analysis, the topology
// signature, and the analysis options as attributes of /options. The limit cycles were added
// within version 1 (new attributes and datasets only); files written before them load with no
// limit cycles and options.transitions.find_limit_cycles = false. Version 2 added the continuous
// attractors (per condition `attractor` and `continuous_attractors`) and the signature's columns
// for them ([n_conditions, 11] instead of [n_conditions, 5]); version-1 files load with every point
// isolated and their 5-column signature, which topology_distance() refuses to compare with a
// version-2 one (rerun `rnnatlas dynamics`, which reanalyses them). Files are written atomically
// (temp file, fsync, rename), so a reader never sees a partial file. Matrices are stored row-major
// as h5py sees them: points are rows in the file and columns in ConditionDynamics.
#pragma once

#include <string>

#include "rnnatlas/dynamics/analysis.h"
#include "rnnatlas/dynamics/topology.h"

namespace rnnatlas {

/// The format version this build writes. Readers accept versions <= this one.
inline constexpr int kDynamicsFileFormatVersion = 2;

/// Writes `dynamics` to `path` atomically. Throws IoError naming the path and the cause, and
/// InvalidArgument when the shapes of `dynamics` are inconsistent (it did not come from
/// analyze_network()).
void save_dynamics_file(const std::string& path, const NetworkDynamics& dynamics);

/// Reads a dynamics file. Throws IoError naming the path and the problem for a missing,
/// truncated or non-HDF5 file, another format, a newer version, or a missing or mis-shaped
/// dataset or attribute.
NetworkDynamics load_dynamics_file(const std::string& path);

/// Only the topology of a dynamics file (root attributes and /topology): what the topology
/// distance needs. Throws IoError like load_dynamics_file().
TopologySummary load_topology_summary(const std::string& path);

/// Whether two option sets give the same analysis: every field that determines the result equal.
bool same_analysis(const AnalysisOptions& a, const AnalysisOptions& b);

}  // namespace rnnatlas
