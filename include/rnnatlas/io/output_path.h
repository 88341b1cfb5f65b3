// Checks that outputs can be written, made before long work starts, so that a run never computes
// for hours and then fails to save. Every command that writes files calls these first.
//
// A check creates a probe file where the output will go and removes it again: permissions alone
// do not tell (root writes into read-only directories; read-only mounts, /proc and full quotas
// refuse anyone), so only a real creation answers the question.
#pragma once

#include <string>

namespace rnnatlas {

/// Checks that a file can be written at `path` the way every rnnatlas file is (a temporary file
/// beside it, renamed over it): `path` is not a directory, its directory exists, and a file can be
/// created there. Leaves nothing behind. Throws IoError naming `path`, the problem and the fix.
void check_file_writable(const std::string& path);

/// Checks that files can be written inside the directory `dir`. When `dir` does not exist yet, its
/// nearest existing ancestor must be a directory in which it can be created. Leaves nothing behind.
/// Throws IoError naming `dir`, the problem and the fix.
void check_directory_writable(const std::string& dir);

}  // namespace rnnatlas
