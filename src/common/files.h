// Whole files in and out: the one atomic, durable write every stage uses, and the one text reader.
#pragma once

#include <unistd.h>

#include <cerrno>
#include <string>
#include <string_view>
#include <utility>

namespace rnnatlas::internal {

/// Closes a POSIX file descriptor on scope exit.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  /// Closes now; returns 0 or errno (close() is where some file systems report write errors).
  int close() {
    const int fd = std::exchange(fd_, -1);
    if (fd < 0) return 0;
    return ::close(fd) == 0 ? 0 : errno;
  }

 private:
  int fd_;
};

/// The whole file at `path` as bytes. Throws IoError naming the path: "no such file", "is a
/// directory", or the system's reason.
std::string read_text_file(const std::string& path);

/// Writes `bytes` to `path` atomically and durably: a temporary file in the same directory (named
/// `path` + ".tmp-<pid>-<n>"), fsync, rename(2) over `path`, fsync of the directory. A reader sees
/// the old file or the new one, never a part; after a crash at any point, one of them. On failure
/// the temporary file is removed and IoError names it and the reason.
void write_file_atomically(const std::string& path, std::string_view bytes);

}  // namespace rnnatlas::internal
