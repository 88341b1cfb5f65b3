#include "common/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "rnnatlas/error.h"

namespace rnnatlas::internal {
namespace {

std::string errno_text(int error) { return std::strerror(error); }

}  // namespace

std::string read_text_file(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) throw IoError("cannot read '" + path + "': no such file");
    throw IoError("cannot read '" + path + "': " + errno_text(errno));
  }
  struct stat status {};
  if (::fstat(fd.get(), &status) != 0) {
    throw IoError("cannot read '" + path + "': " + errno_text(errno));
  }
  if (S_ISDIR(status.st_mode)) throw IoError("cannot read '" + path + "': is a directory");
  std::string text;
  text.reserve(static_cast<std::size_t>(status.st_size));
  char buffer[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      throw IoError("cannot read '" + path + "': " + errno_text(errno));
    }
    text.append(buffer, static_cast<std::size_t>(n));
  }
  return text;
}

void write_file_atomically(const std::string& path, std::string_view bytes) {
  static std::atomic<unsigned long long> counter{0};
  const std::string temp =
      path + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
  Fd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666));
  if (fd.get() < 0) {
    throw IoError("cannot create temporary file '" + temp + "': " + errno_text(errno));
  }
  const auto fail = [&](const std::string& what, int error) {
    fd.close();
    ::unlink(temp.c_str());
    throw IoError(what + " '" + temp + "': " + errno_text(error));
  };
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd.get(), bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("cannot write temporary file", errno);
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd.get()) != 0) fail("cannot fsync temporary file", errno);
  if (const int error = fd.close(); error != 0) fail("cannot close temporary file", error);
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const int error = errno;
    ::unlink(temp.c_str());
    throw IoError("cannot rename temporary file '" + temp + "' to '" + path +
                  "': " + errno_text(error));
  }
  // Make the rename itself durable. Some file systems cannot fsync a directory (EINVAL); the
  // file is in place either way, so only real I/O errors are reported.
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  const std::string directory = parent.empty() ? std::string(".") : parent.string();
  Fd dir(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() >= 0 && ::fsync(dir.get()) != 0 && errno != EINVAL && errno != ENOTSUP) {
    throw IoError("cannot fsync directory '" + directory + "': " + errno_text(errno));
  }
}

}  // namespace rnnatlas::internal
