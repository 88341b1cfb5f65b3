// Content hashes of files, for recording what a derived file was made from (docs/reliability.md).
#pragma once

#include <string>
#include <string_view>

namespace rnnatlas {

/// 64-bit FNV-1a of `bytes`, as 16 lowercase hex digits. Not cryptographic: it tells a file that
/// was replaced or edited apart from the one recorded, not a deliberate forgery.
std::string content_hash(std::string_view bytes);

/// content_hash() of the whole file at `path`. Throws IoError naming the path when it cannot be
/// read.
std::string file_content_hash(const std::string& path);

/// True when `text` has the form content_hash() returns (16 lowercase hex digits).
bool is_content_hash(std::string_view text);

}  // namespace rnnatlas
