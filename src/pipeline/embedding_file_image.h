// Embedding files as bytes in memory, without the file system.
// Internal (reached as "pipeline/embedding_file_image.h" through
// rnnatlas::h5_internal): for the fuzzer of the embedding file reader (fuzz/).
#pragma once

#include <vector>

#include "rnnatlas/pipeline/embedding_file.h"

namespace rnnatlas::embedding::internal {

/// The bytes save_embedding_file() writes for `file` (an HDF5 file image). Throws
/// InvalidArgument like save_embedding_file() for inconsistent contents.
std::vector<unsigned char> embedding_file_image(const EmbeddingFile& file);

/// Parses the bytes of an embedding file, as load_embedding_file() does after reading the file.
/// Throws IoError naming the HDF5 path and the problem (the message has no file path) for bytes
/// that are not a valid embedding file, whatever they hold.
EmbeddingFile parse_embedding_file_image(const std::vector<unsigned char>& image);

}  // namespace rnnatlas::embedding::internal
