// Internal HDF5 plumbing shared by every rnnatlas file format (network, dynamics, similarity).
// Not installed; stages reach it as "io/h5.h" by linking
// rnnatlas::h5_internal.
//
// Every file is built in memory (HDF5 core driver, no backing store) and written with plain POSIX
// calls; reading loads the file into memory and opens the image. HDF5 therefore never touches the
// file system, which gives
//  - atomic, durable writes with exact errno messages: temp file, write, fsync, rename, fsync dir;
//  - no HDF5 file locking (HDF5 1.10 flock()s the files it opens and fails on file systems without
//    locks, a classic cluster problem that otherwise needs HDF5_USE_FILE_LOCKING=FALSE);
//  - errors that separate "cannot read the file" (errno) from "the bytes are not our file".
//
// Conventions of the layouts (so that h5py, MATLAB and Julia read them without rnnatlas):
//  - matrices are row-major datasets of shape [rows, cols], as numpy sees them;
//  - floating-point data is float64, integers int64, flags uint8, strings variable-length UTF-8;
//  - every file's root has the string attribute `format` and the int attribute `format_version`.
//
// All failures throw IoError whose message names the HDF5 path (e.g. "/model/n_hidden") and the
// problem; callers prefix the file path.
#pragma once

#include <hdf5.h>

#include <Eigen/Core>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rnnatlas::h5 {

/// An owned HDF5 identifier, closed with the matching H5*close function.
class Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  Handle() = default;
  Handle(hid_t id, Closer close) : id_(id), close_(close) {}
  Handle(Handle&& other) noexcept
      : id_(std::exchange(other.id_, H5I_INVALID_HID)), close_(other.close_) {}
  Handle& operator=(Handle&& other) noexcept {
    std::swap(id_, other.id_);
    std::swap(close_, other.close_);
    return *this;
  }
  ~Handle() {
    if (id_ >= 0) close_(id_);
  }
  hid_t get() const { return id_; }
  /// Closes now and reports failure (the destructor cannot).
  void close(const std::string& what);

 private:
  hid_t id_ = H5I_INVALID_HID;
  Closer close_ = nullptr;
};

/// A group (or the file's root) and its absolute path, for error messages.
struct Node {
  Handle handle;
  std::string path;
  hid_t id() const { return handle.get(); }
  /// The absolute path of child `name`.
  std::string child(std::string_view name) const;
};

/// Throws IoError(what + HDF5's reason) when an HDF5 call returned a negative status or id.
[[noreturn]] void throw_hdf5_failure(const std::string& what);
template <typename T>
T check(T status, const std::string& what) {
  if (status < 0) throw_hdf5_failure(what);
  return status;
}

/// Holds the process-wide HDF5 lock (HDF5 keeps global state; a non-thread-safe build must not be
/// entered twice) and silences HDF5's automatic error printing for its lifetime. Only in-memory
/// HDF5 work is done under it, never file-system I/O.
class Session {
 public:
  Session();
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

 private:
  std::lock_guard<std::mutex> lock_;
  H5E_auto2_t old_func_ = nullptr;
  void* old_data_ = nullptr;
};

/// A new in-memory file: fill root(), then finish() returns its bytes. Holds the HDF5 session
/// (do not create two at once on one thread).
class ImageWriter {
 public:
  ImageWriter();
  const Node& root() const { return root_; }
  /// Flushes and closes the file and returns its image. Call once.
  std::vector<unsigned char> finish();

 private:
  Session session_;
  Node root_;
};

/// Opens a file image read-only. Throws IoError("not a readable HDF5 file ...") for bytes that are
/// not HDF5 (truncated, corrupt, empty).
class ImageReader {
 public:
  explicit ImageReader(const std::vector<unsigned char>& image);
  const Node& root() const { return root_; }

 private:
  Session session_;
  Node root_;
};

/// Checks the root's `format` attribute equals `format` and `format_version` is in
/// [1, newest_version]; returns the version. `what` names the kind of file in messages, e.g.
/// "rnnatlas dynamics file".
std::int64_t check_format(const Node& root,
                          std::string_view format,
                          std::int64_t newest_version,
                          std::string_view what);

// ---- Writing ------------------------------------------------------------------------------------

Node create_group(const Node& parent, std::string_view name);

void write_attribute(const Node& node, std::string_view name, std::string_view value);
void write_attribute(const Node& node, std::string_view name, const char* value);
void write_attribute(const Node& node, std::string_view name, std::int64_t value);
void write_attribute(const Node& node, std::string_view name, int value);
void write_attribute(const Node& node, std::string_view name, std::uint64_t value);
void write_attribute(const Node& node, std::string_view name, double value);
void write_attribute(const Node& node, std::string_view name, bool value);  ///< stored as uint8

/// Datasets of shape `dims` from row-major `data` (float64, int64, uint8 in the file).
void write_dataset(const Node& node,
                   std::string_view name,
                   const std::vector<hsize_t>& dims,
                   const double* data);
void write_dataset(const Node& node,
                   std::string_view name,
                   const std::vector<hsize_t>& dims,
                   const std::int64_t* data);
void write_dataset(const Node& node,
                   std::string_view name,
                   const std::vector<hsize_t>& dims,
                   const std::uint8_t* data);

/// Eigen conveniences: a matrix is stored [rows, cols] row-major, a vector [n].
void write_matrix(const Node& node, std::string_view name, const Eigen::MatrixXd& value);
void write_matrix(const Node& node, std::string_view name, const Eigen::MatrixXi& value);
void write_vector(const Node& node, std::string_view name, const Eigen::VectorXd& value);
void write_vector(const Node& node, std::string_view name, const Eigen::VectorXi& value);
void write_vector(const Node& node, std::string_view name, const std::vector<double>& value);
void write_vector(const Node& node, std::string_view name, const std::vector<int>& value);
void write_vector(const Node& node, std::string_view name, const std::vector<bool>& value);
/// A 1-D dataset of variable-length UTF-8 strings (h5py: bytes objects; .asstr() gives str).
void write_strings(const Node& node, std::string_view name, const std::vector<std::string>& value);

// ---- Reading ------------------------------------------------------------------------------------

bool has_child(const Node& node, std::string_view name);
bool has_attribute(const Node& node, std::string_view name);
/// Throws IoError("missing group /a/b") when absent.
Node open_group(const Node& parent, std::string_view name);
/// Names of the links (groups and datasets) directly under `node`, in name order.
std::vector<std::string> child_names(const Node& node);
/// Names of the attributes of `node`, in name order.
std::vector<std::string> attribute_names(const Node& node);

/// "attribute 'x' of /a/b", for messages.
std::string attribute_label(const Node& node, std::string_view name);

std::string read_string(const Node& node, std::string_view name);
double read_double(const Node& node, std::string_view name);  ///< float or integer attribute
/// Integers are read at full width and range-checked (HDF5's own conversions clip silently).
std::int64_t read_int64(const Node& node, std::string_view name);
std::uint64_t read_uint64(const Node& node, std::string_view name);
int read_int(const Node& node, std::string_view name);
bool read_bool(const Node& node, std::string_view name);

/// A numeric dataset of any rank converted to double (integers included), row-major.
struct DoubleArray {
  std::vector<hsize_t> dims;
  std::vector<double> values;
};
DoubleArray read_dataset(const Node& node, std::string_view name);
/// An integer dataset of any rank, row-major.
struct IntArray {
  std::vector<hsize_t> dims;
  std::vector<std::int64_t> values;
};
IntArray read_int_dataset(const Node& node, std::string_view name);

/// "[3, 4]".
std::string shape_string(const std::vector<hsize_t>& dims);

/// Reads a 2-D dataset; throws IoError when it is not 2-D, or when expected_rows / expected_cols
/// (when >= 0) disagree. Any numeric type is converted.
Eigen::MatrixXd read_matrix(const Node& node,
                            std::string_view name,
                            Eigen::Index expected_rows = -1,
                            Eigen::Index expected_cols = -1);
Eigen::MatrixXi read_int_matrix(const Node& node,
                                std::string_view name,
                                Eigen::Index expected_rows = -1,
                                Eigen::Index expected_cols = -1);
/// Reads a 1-D dataset; throws IoError when it is not 1-D or (when >= 0) its length differs.
Eigen::VectorXd read_vector(const Node& node, std::string_view name, Eigen::Index expected = -1);
Eigen::VectorXi read_int_vector(const Node& node,
                                std::string_view name,
                                Eigen::Index expected = -1);
std::vector<bool> read_bool_vector(const Node& node,
                                   std::string_view name,
                                   Eigen::Index expected = -1);
std::vector<std::string> read_strings(const Node& node,
                                      std::string_view name,
                                      Eigen::Index expected = -1);

// ---- Files --------------------------------------------------------------------------------------

/// The whole file. Throws IoError("no such file" / "cannot open: <errno>" / "is a directory ...").
std::vector<unsigned char> read_file(const std::string& path);

/// Writes `bytes` to `path` atomically and durably: a temporary file in the same directory,
/// fsync, rename(2) over `path`, fsync of the directory. On failure the temporary file is removed.
void write_file_atomically(const std::string& path, const std::vector<unsigned char>& bytes);

/// UTC now as "2026-11-29T04:09:03Z".
std::string utc_timestamp();

}  // namespace rnnatlas::h5
