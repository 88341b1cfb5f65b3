// Dynamics files as bytes in memory, without the file system.
// Internal (reached as "pipeline/dynamics_file_image.h" through rnnatlas::h5_internal):
// for the fuzzer of the dynamics file reader (fuzz/).
#pragma once

#include <vector>

#include "rnnatlas/pipeline/dynamics_file.h"

namespace rnnatlas::internal {

/// The bytes save_dynamics_file() writes for `dynamics` (an HDF5 file image). Throws
/// InvalidArgument like save_dynamics_file() for inconsistent shapes.
std::vector<unsigned char> dynamics_file_image(const NetworkDynamics& dynamics);

/// Parses the bytes of a dynamics file, as load_dynamics_file() does after reading the file.
/// Throws IoError naming the HDF5 path and the problem (the message has no file path) for bytes
/// that are not a valid dynamics file, whatever they hold.
NetworkDynamics parse_dynamics_file_image(const std::vector<unsigned char>& image);

/// The topology of the bytes of a dynamics file, as load_topology_summary() reads it; throws
/// IoError like parse_dynamics_file_image().
TopologySummary parse_topology_summary_image(const std::vector<unsigned char>& image);

}  // namespace rnnatlas::internal
