#include "rnnatlas/io/output_path.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "rnnatlas/error.h"

namespace rnnatlas {
namespace {

namespace fs = std::filesystem;

/// The directory a relative or absolute path lives in ("." for a bare name).
fs::path directory_of(const fs::path& path) {
  return path.has_parent_path() ? path.parent_path() : fs::path(".");
}

/// Creates and removes a uniquely named probe file in `directory`; returns 0 or the errno of the
/// failed creation.
int probe(const fs::path& directory) {
  static std::atomic<unsigned long long> counter{0};
  const fs::path file = directory / (".rnnatlas-write-check-" + std::to_string(::getpid()) + "-" +
                                     std::to_string(counter++));
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return errno;
  ::close(fd);
  ::unlink(file.c_str());
  return 0;
}

/// Throws unless `directory` is an existing directory in which a file can be created. `what`
/// names the output in the message ("cannot write 'x.h5'").
void require_creatable_in(const fs::path& directory, const std::string& what) {
  std::error_code error;
  const fs::file_status status = fs::status(directory, error);
  if (!fs::exists(status)) {
    // The nearest existing ancestor tells a missing directory from one below a regular file.
    for (fs::path up = directory; !up.empty() && up != up.parent_path(); up = up.parent_path()) {
      if (fs::exists(up, error) && !fs::is_directory(up, error)) {
        throw IoError(what + ": '" + up.string() +
                      "' is a file, not a directory; choose a path in an existing directory");
      }
    }
    throw IoError(what + ": directory '" + directory.string() +
                  "' does not exist; create it first or choose another path");
  }
  if (!fs::is_directory(status)) {
    throw IoError(what + ": '" + directory.string() +
                  "' is a file, not a directory; choose a path in an existing directory");
  }
  if (const int failure = probe(directory); failure != 0) {
    throw IoError(what + ": no file can be created in '" + directory.string() + "': " +
                  std::strerror(failure) + "; choose a writable directory or fix its permissions");
  }
}

}  // namespace

void check_file_writable(const std::string& path) {
  const std::string what = "cannot write '" + path + "'";
  RNNATLAS_CHECK_ARG(!path.empty(), "cannot write an output: the path is empty");
  const fs::path file(path);
  std::error_code error;
  if (fs::is_directory(file, error) || (!path.empty() && path.back() == '/')) {
    throw IoError(what + ": it is a directory; give a file name, such as '" +
                  (file / "out.h5").lexically_normal().string() + "'");
  }
  require_creatable_in(directory_of(file), what);
}

void check_directory_writable(const std::string& dir) {
  const std::string what = "cannot write into '" + dir + "'";
  RNNATLAS_CHECK_ARG(!dir.empty(), "cannot write an output directory: the path is empty");
  fs::path existing(dir);
  std::error_code error;
  // The directory itself when it exists, else the nearest ancestor that does (where it would be
  // created).
  while (!fs::exists(existing, error)) {
    const fs::path up = existing.parent_path();
    if (up.empty() || up == existing) {
      existing = ".";
      break;
    }
    existing = up;
  }
  if (!fs::is_directory(existing, error)) {
    throw IoError(what + ": '" + existing.string() +
                  "' is a file, not a directory; choose another directory");
  }
  require_creatable_in(existing, what);
}

}  // namespace rnnatlas
