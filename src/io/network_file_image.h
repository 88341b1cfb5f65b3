// Network files as bytes in memory, without the file system. Module maintainer: rnnatlas io.
// Internal (reached as "io/network_file_image.h" through rnnatlas::h5_internal): for the fuzzer of
// the network file reader (fuzz/) and tests that tamper with the bytes of a file.
#pragma once

#include <vector>

#include "rnnatlas/io/network_file.h"

namespace rnnatlas::internal {

/// The bytes save_network_file() writes for `record` (an HDF5 file image).
std::vector<unsigned char> network_file_image(const NetworkRecord& record);

/// Parses the bytes of a network file, as load_network_file() does after reading the file. Throws
/// IoError naming the HDF5 path and the problem (the message has no file path) for bytes that are
/// not a valid network file, whatever they hold.
NetworkRecord parse_network_file_image(const std::vector<unsigned char>& image);

}  // namespace rnnatlas::internal
