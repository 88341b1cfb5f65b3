// Distance files as bytes in memory, without the file system.
// Internal (reached as "pipeline/distance_file_image.h" through
// rnnatlas::h5_internal): for the fuzzer of the distance file reader (fuzz/).
#pragma once

#include <vector>

#include "rnnatlas/pipeline/distance_file.h"

namespace rnnatlas::similarity::internal {

/// The bytes save_distance_file() writes for `file` (an HDF5 file image). Throws InvalidArgument
/// like save_distance_file() for inconsistent contents.
std::vector<unsigned char> distance_file_image(const DistanceFile& file);

/// Parses the bytes of a distance file, as load_distance_file() does after reading the file.
/// Throws IoError naming the HDF5 path and the problem (the message has no file path) for bytes
/// that are not a valid distance file, whatever they hold.
DistanceFile parse_distance_file_image(const std::vector<unsigned char>& image);

}  // namespace rnnatlas::similarity::internal
