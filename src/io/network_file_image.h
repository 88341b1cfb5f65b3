// Network files as bytes in memory, without the file system.
// Internal (reached as "io/network_file_image.h" through rnnatlas::h5_internal): for the fuzzer of
// the network file reader (fuzz/) and tests that tamper with the bytes of a file.
#pragma once

#include <string>
#include <vector>

#include "io/h5.h"
#include "rnnatlas/io/network_file.h"

namespace rnnatlas::internal {

/// The bytes save_network_file() writes for `record` (an HDF5 file image).
std::vector<unsigned char> network_file_image(const NetworkRecord& record);

/// Parses the bytes of a network file, as load_network_file() does after reading the file. Throws
/// IoError naming the HDF5 path and the problem (the message has no file path) for bytes that are
/// not a valid network file, whatever they hold.
NetworkRecord parse_network_file_image(const std::vector<unsigned char>& image);

/// The network file's layout written into, and read from, the root of an open file image; files
/// that extend a network file (training checkpoints) add their own groups beside it.
void write_network_record(const h5::Node& root, const NetworkRecord& record);
NetworkRecord read_network_record(const h5::Node& root);

}  // namespace rnnatlas::internal
