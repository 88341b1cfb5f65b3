// Internal HDF5 plumbing. See h5.h.
#include "io/h5.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <limits>
#include <sstream>

#include "common/files.h"
#include "rnnatlas/error.h"

namespace rnnatlas::h5 {

using internal::Fd;

namespace {

std::mutex& hdf5_mutex() {
  static std::mutex mutex;
  return mutex;
}

// The description of the innermost error on HDF5's error stack (where the failure started, e.g.
// "truncated file: eof = 1024, ..."), or "" when the stack is empty.
std::string hdf5_error_detail() {
  std::string detail;
  H5Ewalk2(
      H5E_DEFAULT, H5E_WALK_UPWARD,
      [](unsigned n, const H5E_error2_t* error, void* data) -> herr_t {
        if (n == 0 && error->desc != nullptr) *static_cast<std::string*>(data) = error->desc;
        return 0;
      },
      &detail);
  H5Eclear2(H5E_DEFAULT);
  return detail;
}

// Every in-memory HDF5 file needs a name that is unique among open files (HDF5 identifies core
// files by name) and, when opening an image, that does not exist on disk (the core driver refuses
// to open an image whose name exists). Nothing can exist below /dev/null.
std::string unique_image_name() {
  static std::atomic<unsigned long long> counter{0};
  return "/dev/null/rnnatlas-image-" + std::to_string(counter++);
}

Handle core_driver_access() {
  Handle fapl(check(H5Pcreate(H5P_FILE_ACCESS), "cannot create property list"), H5Pclose);
  check(H5Pset_fapl_core(fapl.get(), 1 << 16, /*backing_store=*/false),
        "cannot select the HDF5 core driver");
  return fapl;
}

std::string name_string(std::string_view name) { return std::string(name); }

// A scalar attribute of file type `file_type`, written from memory type `mem_type`.
void write_scalar_attribute(
    const Node& node, std::string_view name, hid_t file_type, hid_t mem_type, const void* value) {
  const std::string key = name_string(name);
  const std::string what = "cannot write attribute '" + key + "' of " + node.path;
  Handle space(check(H5Screate(H5S_SCALAR), what), H5Sclose);
  Handle attribute(
      check(H5Acreate2(node.id(), key.c_str(), file_type, space.get(), H5P_DEFAULT, H5P_DEFAULT),
            what),
      H5Aclose);
  check(H5Awrite(attribute.get(), mem_type, value), what);
}

// Variable-length UTF-8 string type: h5py returns str, MATLAB char, Julia String.
Handle utf8_string_type() {
  Handle type(check(H5Tcopy(H5T_C_S1), "cannot create string type"), H5Tclose);
  check(H5Tset_size(type.get(), H5T_VARIABLE), "cannot create string type");
  check(H5Tset_cset(type.get(), H5T_CSET_UTF8), "cannot create string type");
  return type;
}

void write_raw_dataset(const Node& node,
                       std::string_view name,
                       const std::vector<hsize_t>& dims,
                       hid_t file_type,
                       hid_t mem_type,
                       const void* data) {
  const std::string key = name_string(name);
  const std::string what = "cannot write dataset " + node.child(name);
  Handle space(check(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), what),
               H5Sclose);
  Handle dataset(check(H5Dcreate2(node.id(), key.c_str(), file_type, space.get(), H5P_DEFAULT,
                                  H5P_DEFAULT, H5P_DEFAULT),
                       what),
                 H5Dclose);
  hsize_t n_elements = 1;
  for (hsize_t d : dims) n_elements *= d;
  if (n_elements > 0) {  // H5Dwrite rejects a null buffer even for zero elements
    check(H5Dwrite(dataset.get(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), what);
  }
}

// Opens a one-element attribute, checking that its type class is one of `classes`.
Handle open_scalar_attribute(const Node& node,
                             std::string_view name,
                             std::initializer_list<H5T_class_t> classes,
                             const char* expected,
                             Handle* file_type) {
  const std::string label = attribute_label(node, name);
  const std::string key = name_string(name);
  if (H5Aexists(node.id(), key.c_str()) <= 0) {
    H5Eclear2(H5E_DEFAULT);
    throw IoError("missing " + label);
  }
  Handle attribute(check(H5Aopen(node.id(), key.c_str(), H5P_DEFAULT), "cannot open " + label),
                   H5Aclose);
  Handle space(check(H5Aget_space(attribute.get()), "cannot read " + label), H5Sclose);
  const hssize_t n_points =
      check(H5Sget_simple_extent_npoints(space.get()), "cannot read " + label);
  if (n_points != 1) {
    throw IoError(label + " must hold one value, found " + std::to_string(n_points));
  }
  *file_type = Handle(check(H5Aget_type(attribute.get()), "cannot read " + label), H5Tclose);
  const H5T_class_t type_class = H5Tget_class(file_type->get());
  for (H5T_class_t allowed : classes) {
    if (type_class == allowed) return attribute;
  }
  throw IoError(label + " must be " + expected);
}

// Opens dataset `name`, reads its dims, and checks its type class is one of `classes`.
Handle open_dataset(const Node& node,
                    std::string_view name,
                    std::initializer_list<H5T_class_t> classes,
                    const char* expected,
                    std::vector<hsize_t>* dims,
                    Handle* file_type) {
  const std::string path = node.child(name);
  const std::string key = name_string(name);
  if (H5Lexists(node.id(), key.c_str(), H5P_DEFAULT) <= 0) {
    H5Eclear2(H5E_DEFAULT);
    throw IoError("missing dataset " + path);
  }
  Handle dataset(check(H5Dopen2(node.id(), key.c_str(), H5P_DEFAULT), path + " is not a dataset"),
                 H5Dclose);
  *file_type = Handle(check(H5Dget_type(dataset.get()), "cannot read " + path), H5Tclose);
  const H5T_class_t type_class = H5Tget_class(file_type->get());
  bool allowed = false;
  for (H5T_class_t c : classes) allowed = allowed || c == type_class;
  if (!allowed) throw IoError("dataset " + path + " must hold " + expected);
  Handle space(check(H5Dget_space(dataset.get()), "cannot read " + path), H5Sclose);
  const int rank = check(H5Sget_simple_extent_ndims(space.get()), "cannot read " + path);
  dims->assign(static_cast<std::size_t>(rank), 0);
  check(H5Sget_simple_extent_dims(space.get(), dims->data(), nullptr), "cannot read " + path);
  return dataset;
}

hsize_t element_count(const std::vector<hsize_t>& dims) {
  hsize_t n = 1;
  for (hsize_t d : dims) n *= d;
  return n;
}

void expect_shape(const Node& node,
                  std::string_view name,
                  const std::vector<hsize_t>& dims,
                  std::size_t rank,
                  Eigen::Index expected_rows,
                  Eigen::Index expected_cols) {
  std::vector<hsize_t> expected;
  bool ok = dims.size() == rank;
  if (ok && expected_rows >= 0) ok = dims[0] == static_cast<hsize_t>(expected_rows);
  if (ok && rank == 2 && expected_cols >= 0) ok = dims[1] == static_cast<hsize_t>(expected_cols);
  if (ok) return;
  std::ostringstream want;
  want << '[' << (expected_rows >= 0 ? std::to_string(expected_rows) : std::string("n"));
  if (rank == 2) want << ", " << (expected_cols >= 0 ? std::to_string(expected_cols) : "m");
  want << ']';
  throw IoError("dataset " + node.child(name) + " has shape " + shape_string(dims) + ", expected " +
                want.str());
}

std::string errno_text(int error) { return std::strerror(error); }

}  // namespace

void Handle::close(const std::string& what) {
  const hid_t id = std::exchange(id_, H5I_INVALID_HID);
  check(close_(id), what);
}

std::string Node::child(std::string_view name) const {
  return (path == "/" ? "/" : path + "/") + std::string(name);
}

void throw_hdf5_failure(const std::string& what) {
  const std::string detail = hdf5_error_detail();
  throw IoError(detail.empty() ? what : what + " (HDF5: " + detail + ")");
}

Session::Session() : lock_(hdf5_mutex()) {
  H5Eget_auto2(H5E_DEFAULT, &old_func_, &old_data_);
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
}

Session::~Session() { H5Eset_auto2(H5E_DEFAULT, old_func_, old_data_); }

ImageWriter::ImageWriter() {
  const Handle fapl = core_driver_access();
  root_ = Node{
      Handle(check(H5Fcreate(unique_image_name().c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get()),
                   "cannot create the in-memory HDF5 file"),
             H5Fclose),
      "/"};
}

std::vector<unsigned char> ImageWriter::finish() {
  check(H5Fflush(root_.id(), H5F_SCOPE_GLOBAL), "cannot flush the in-memory HDF5 file");
  const ssize_t size = check(H5Fget_file_image(root_.id(), nullptr, 0),
                             "cannot get the size of the HDF5 file image");
  std::vector<unsigned char> image(static_cast<std::size_t>(size));
  check(H5Fget_file_image(root_.id(), image.data(), image.size()),
        "cannot copy the HDF5 file image");
  root_.handle.close("cannot close the in-memory HDF5 file");
  return image;
}

ImageReader::ImageReader(const std::vector<unsigned char>& image) {
  if (image.empty()) throw IoError("not a readable HDF5 file (truncated or corrupt): it is empty");
  const Handle fapl = core_driver_access();
  // HDF5 copies the image; its API just lacks the const.
  check(H5Pset_file_image(fapl.get(), const_cast<unsigned char*>(image.data()), image.size()),
        "cannot pass the file image to HDF5");
  const hid_t file = H5Fopen(unique_image_name().c_str(), H5F_ACC_RDONLY, fapl.get());
  if (file < 0) {
    const std::string detail = hdf5_error_detail();
    throw IoError("not a readable HDF5 file (truncated or corrupt)" +
                  (detail.empty() ? std::string() : ": HDF5 says \"" + detail + "\""));
  }
  root_ = Node{Handle(file, H5Fclose), "/"};
}

std::int64_t check_format(const Node& root,
                          std::string_view format,
                          std::int64_t newest_version,
                          std::string_view what) {
  const std::string kind(what);
  if (!has_attribute(root, "format")) {
    throw IoError("not an " + kind + " (the root has no 'format' attribute)");
  }
  std::string found;
  try {
    found = read_string(root, "format");
  } catch (const IoError&) {
    throw IoError("not an " + kind + " (the root attribute 'format' is not a string)");
  }
  if (found != format) {
    throw IoError("not an " + kind + " (root attribute 'format' is \"" + found + "\", expected \"" +
                  std::string(format) + "\")");
  }
  const std::int64_t version = read_int64(root, "format_version");
  if (version > newest_version) {
    throw IoError("written by a newer rnnatlas (format version " + std::to_string(version) + " > " +
                  std::to_string(newest_version) +
                  ", the newest this build reads); upgrade rnnatlas to read it");
  }
  if (version < 1) {
    throw IoError("root attribute 'format_version' = " + std::to_string(version) +
                  " is invalid (versions start at 1)");
  }
  return version;
}

// ---- Writing ------------------------------------------------------------------------------------

Node create_group(const Node& parent, std::string_view name) {
  const std::string key = name_string(name);
  return Node{
      Handle(check(H5Gcreate2(parent.id(), key.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                   "cannot create group " + parent.child(name)),
             H5Gclose),
      parent.child(name)};
}

void write_attribute(const Node& node, std::string_view name, std::string_view value) {
  const std::string copy(value);  // HDF5 needs a NUL-terminated string
  const char* data = copy.c_str();
  const Handle type = utf8_string_type();
  write_scalar_attribute(node, name, type.get(), type.get(), &data);
}
void write_attribute(const Node& node, std::string_view name, const char* value) {
  write_attribute(node, name, std::string_view(value));
}
void write_attribute(const Node& node, std::string_view name, std::int64_t value) {
  write_scalar_attribute(node, name, H5T_STD_I64LE, H5T_NATIVE_INT64, &value);
}
void write_attribute(const Node& node, std::string_view name, int value) {
  write_attribute(node, name, static_cast<std::int64_t>(value));
}
void write_attribute(const Node& node, std::string_view name, std::uint64_t value) {
  write_scalar_attribute(node, name, H5T_STD_U64LE, H5T_NATIVE_UINT64, &value);
}
void write_attribute(const Node& node, std::string_view name, double value) {
  write_scalar_attribute(node, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &value);
}
void write_attribute(const Node& node, std::string_view name, bool value) {
  const std::uint8_t byte = value ? 1 : 0;
  write_scalar_attribute(node, name, H5T_STD_U8LE, H5T_NATIVE_UINT8, &byte);
}

void write_dataset(const Node& node,
                   std::string_view name,
                   const std::vector<hsize_t>& dims,
                   const double* data) {
  write_raw_dataset(node, name, dims, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, data);
}
void write_dataset(const Node& node,
                   std::string_view name,
                   const std::vector<hsize_t>& dims,
                   const std::int64_t* data) {
  write_raw_dataset(node, name, dims, H5T_STD_I64LE, H5T_NATIVE_INT64, data);
}
void write_dataset(const Node& node,
                   std::string_view name,
                   const std::vector<hsize_t>& dims,
                   const std::uint8_t* data) {
  write_raw_dataset(node, name, dims, H5T_STD_U8LE, H5T_NATIVE_UINT8, data);
}

void write_matrix(const Node& node, std::string_view name, const Eigen::MatrixXd& value) {
  const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> row_major = value;
  write_dataset(node, name, {hsize_t(value.rows()), hsize_t(value.cols())}, row_major.data());
}
void write_matrix(const Node& node, std::string_view name, const Eigen::MatrixXi& value) {
  const Eigen::Matrix<std::int64_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> row_major =
      value.cast<std::int64_t>();
  write_dataset(node, name, {hsize_t(value.rows()), hsize_t(value.cols())}, row_major.data());
}
void write_vector(const Node& node, std::string_view name, const Eigen::VectorXd& value) {
  write_dataset(node, name, {hsize_t(value.size())}, value.data());
}
void write_vector(const Node& node, std::string_view name, const Eigen::VectorXi& value) {
  const std::vector<std::int64_t> wide(value.data(), value.data() + value.size());
  write_dataset(node, name, {hsize_t(wide.size())}, wide.data());
}
void write_vector(const Node& node, std::string_view name, const std::vector<double>& value) {
  write_dataset(node, name, {hsize_t(value.size())}, value.data());
}
void write_vector(const Node& node, std::string_view name, const std::vector<int>& value) {
  const std::vector<std::int64_t> wide(value.begin(), value.end());
  write_dataset(node, name, {hsize_t(wide.size())}, wide.data());
}
void write_vector(const Node& node, std::string_view name, const std::vector<bool>& value) {
  const std::vector<std::uint8_t> bytes(value.begin(), value.end());
  write_dataset(node, name, {hsize_t(bytes.size())}, bytes.data());
}

void write_strings(const Node& node, std::string_view name, const std::vector<std::string>& value) {
  std::vector<const char*> pointers;
  pointers.reserve(value.size());
  for (const std::string& s : value) pointers.push_back(s.c_str());
  const Handle type = utf8_string_type();
  write_raw_dataset(node, name, {hsize_t(value.size())}, type.get(), type.get(), pointers.data());
}

// ---- Reading ------------------------------------------------------------------------------------

bool has_child(const Node& node, std::string_view name) {
  const std::string key = name_string(name);
  const htri_t exists = H5Lexists(node.id(), key.c_str(), H5P_DEFAULT);
  if (exists < 0) H5Eclear2(H5E_DEFAULT);
  return exists > 0;
}

bool has_attribute(const Node& node, std::string_view name) {
  const std::string key = name_string(name);
  const htri_t exists = H5Aexists(node.id(), key.c_str());
  if (exists < 0) H5Eclear2(H5E_DEFAULT);
  return exists > 0;
}

Node open_group(const Node& parent, std::string_view name) {
  const std::string path = parent.child(name);
  if (!has_child(parent, name)) throw IoError("missing group " + path);
  const std::string key = name_string(name);
  return Node{
      Handle(check(H5Gopen2(parent.id(), key.c_str(), H5P_DEFAULT), path + " is not a group"),
             H5Gclose),
      path};
}

std::vector<std::string> child_names(const Node& node) {
  std::vector<std::string> names;
  hsize_t index = 0;
  check(H5Literate(
            node.id(), H5_INDEX_NAME, H5_ITER_INC, &index,
            [](hid_t, const char* name, const H5L_info_t*, void* data) -> herr_t {
              static_cast<std::vector<std::string>*>(data)->emplace_back(name);
              return 0;
            },
            &names),
        "cannot list the members of " + node.path);
  return names;
}

std::vector<std::string> attribute_names(const Node& node) {
  std::vector<std::string> names;
  hsize_t index = 0;
  check(H5Aiterate2(
            node.id(), H5_INDEX_NAME, H5_ITER_INC, &index,
            [](hid_t, const char* name, const H5A_info_t*, void* data) -> herr_t {
              static_cast<std::vector<std::string>*>(data)->emplace_back(name);
              return 0;
            },
            &names),
        "cannot list the attributes of " + node.path);
  return names;
}

std::string attribute_label(const Node& node, std::string_view name) {
  return "attribute '" + std::string(name) + "' of " + node.path;
}

std::string read_string(const Node& node, std::string_view name) {
  const std::string label = attribute_label(node, name);
  Handle file_type;
  const Handle attribute = open_scalar_attribute(node, name, {H5T_STRING}, "a string", &file_type);
  Handle mem_type(check(H5Tcopy(H5T_C_S1), "cannot read " + label), H5Tclose);
  check(H5Tset_cset(mem_type.get(), H5Tget_cset(file_type.get())), "cannot read " + label);
  if (H5Tis_variable_str(file_type.get()) > 0) {
    check(H5Tset_size(mem_type.get(), H5T_VARIABLE), "cannot read " + label);
    char* data = nullptr;
    check(H5Aread(attribute.get(), mem_type.get(), &data), "cannot read " + label);
    std::string value = data ? data : "";
    H5free_memory(data);
    return value;
  }
  // Fixed-length string (as MATLAB and some h5py code write them): NUL- or space-padded.
  const std::size_t size = H5Tget_size(file_type.get());
  check(H5Tset_size(mem_type.get(), size), "cannot read " + label);
  std::string value(size, '\0');
  check(H5Aread(attribute.get(), mem_type.get(), value.data()), "cannot read " + label);
  value.resize(std::strlen(value.c_str()));
  if (H5Tget_strpad(file_type.get()) == H5T_STR_SPACEPAD) {
    value.erase(value.find_last_not_of(' ') + 1);
  }
  return value;
}

double read_double(const Node& node, std::string_view name) {
  Handle file_type;
  const Handle attribute =
      open_scalar_attribute(node, name, {H5T_FLOAT, H5T_INTEGER}, "a number", &file_type);
  double value = 0.0;
  check(H5Aread(attribute.get(), H5T_NATIVE_DOUBLE, &value),
        "cannot read " + attribute_label(node, name));
  return value;
}

std::uint64_t read_uint64(const Node& node, std::string_view name) {
  const std::string label = attribute_label(node, name);
  Handle file_type;
  const Handle attribute =
      open_scalar_attribute(node, name, {H5T_INTEGER}, "an integer", &file_type);
  if (H5Tget_sign(file_type.get()) == H5T_SGN_2) {
    std::int64_t value = 0;
    check(H5Aread(attribute.get(), H5T_NATIVE_INT64, &value), "cannot read " + label);
    if (value < 0) throw IoError(label + " = " + std::to_string(value) + " must be >= 0");
    return static_cast<std::uint64_t>(value);
  }
  std::uint64_t value = 0;
  check(H5Aread(attribute.get(), H5T_NATIVE_UINT64, &value), "cannot read " + label);
  return value;
}

std::int64_t read_int64(const Node& node, std::string_view name) {
  const std::string label = attribute_label(node, name);
  Handle file_type;
  const Handle attribute =
      open_scalar_attribute(node, name, {H5T_INTEGER}, "an integer", &file_type);
  if (H5Tget_sign(file_type.get()) == H5T_SGN_NONE) {
    std::uint64_t value = 0;
    check(H5Aread(attribute.get(), H5T_NATIVE_UINT64, &value), "cannot read " + label);
    if (value > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      throw IoError(label + " = " + std::to_string(value) + " is out of range");
    }
    return static_cast<std::int64_t>(value);
  }
  std::int64_t value = 0;
  check(H5Aread(attribute.get(), H5T_NATIVE_INT64, &value), "cannot read " + label);
  return value;
}

int read_int(const Node& node, std::string_view name) {
  const std::int64_t value = read_int64(node, name);
  if (value < std::numeric_limits<int>::min() || value > std::numeric_limits<int>::max()) {
    throw IoError(attribute_label(node, name) + " = " + std::to_string(value) +
                  " does not fit in a 32-bit int");
  }
  return static_cast<int>(value);
}

bool read_bool(const Node& node, std::string_view name) {
  const std::int64_t value = read_int64(node, name);
  if (value != 0 && value != 1) {
    throw IoError(attribute_label(node, name) + " = " + std::to_string(value) + " must be 0 or 1");
  }
  return value == 1;
}

DoubleArray read_dataset(const Node& node, std::string_view name) {
  DoubleArray array;
  Handle file_type;
  const Handle dataset =
      open_dataset(node, name, {H5T_FLOAT, H5T_INTEGER}, "numbers", &array.dims, &file_type);
  array.values.resize(element_count(array.dims));
  if (!array.values.empty()) {
    check(H5Dread(dataset.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                  array.values.data()),
          "cannot read dataset " + node.child(name));
  }
  return array;
}

IntArray read_int_dataset(const Node& node, std::string_view name) {
  IntArray array;
  Handle file_type;
  const Handle dataset =
      open_dataset(node, name, {H5T_INTEGER}, "integers", &array.dims, &file_type);
  array.values.resize(element_count(array.dims));
  if (!array.values.empty()) {
    check(H5Dread(dataset.get(), H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                  array.values.data()),
          "cannot read dataset " + node.child(name));
  }
  return array;
}

std::string shape_string(const std::vector<hsize_t>& dims) {
  std::ostringstream ss;
  ss << '[';
  for (std::size_t i = 0; i < dims.size(); ++i) ss << (i ? ", " : "") << dims[i];
  ss << ']';
  return ss.str();
}

Eigen::MatrixXd read_matrix(const Node& node,
                            std::string_view name,
                            Eigen::Index expected_rows,
                            Eigen::Index expected_cols) {
  const DoubleArray array = read_dataset(node, name);
  expect_shape(node, name, array.dims, 2, expected_rows, expected_cols);
  return Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
      array.values.data(), Eigen::Index(array.dims[0]), Eigen::Index(array.dims[1]));
}

Eigen::MatrixXi read_int_matrix(const Node& node,
                                std::string_view name,
                                Eigen::Index expected_rows,
                                Eigen::Index expected_cols) {
  const IntArray array = read_int_dataset(node, name);
  expect_shape(node, name, array.dims, 2, expected_rows, expected_cols);
  for (std::int64_t v : array.values) {
    if (v < std::numeric_limits<int>::min() || v > std::numeric_limits<int>::max()) {
      throw IoError("dataset " + node.child(name) + " holds " + std::to_string(v) +
                    ", which does not fit in a 32-bit int");
    }
  }
  return Eigen::Map<
             const Eigen::Matrix<std::int64_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
             array.values.data(), Eigen::Index(array.dims[0]), Eigen::Index(array.dims[1]))
      .cast<int>();
}

Eigen::VectorXd read_vector(const Node& node, std::string_view name, Eigen::Index expected) {
  const DoubleArray array = read_dataset(node, name);
  expect_shape(node, name, array.dims, 1, expected, -1);
  return Eigen::Map<const Eigen::VectorXd>(array.values.data(), Eigen::Index(array.dims[0]));
}

Eigen::VectorXi read_int_vector(const Node& node, std::string_view name, Eigen::Index expected) {
  const IntArray array = read_int_dataset(node, name);
  expect_shape(node, name, array.dims, 1, expected, -1);
  Eigen::VectorXi result(Eigen::Index(array.dims[0]));
  for (Eigen::Index i = 0; i < result.size(); ++i) {
    const std::int64_t v = array.values[std::size_t(i)];
    if (v < std::numeric_limits<int>::min() || v > std::numeric_limits<int>::max()) {
      throw IoError("dataset " + node.child(name) + " holds " + std::to_string(v) +
                    ", which does not fit in a 32-bit int");
    }
    result[i] = static_cast<int>(v);
  }
  return result;
}

std::vector<bool> read_bool_vector(const Node& node, std::string_view name, Eigen::Index expected) {
  const IntArray array = read_int_dataset(node, name);
  expect_shape(node, name, array.dims, 1, expected, -1);
  std::vector<bool> result(array.values.size());
  for (std::size_t i = 0; i < result.size(); ++i) {
    if (array.values[i] != 0 && array.values[i] != 1) {
      throw IoError("dataset " + node.child(name) + " must hold 0 or 1, found " +
                    std::to_string(array.values[i]) + " at index " + std::to_string(i));
    }
    result[i] = array.values[i] == 1;
  }
  return result;
}

std::vector<std::string> read_strings(const Node& node,
                                      std::string_view name,
                                      Eigen::Index expected) {
  std::vector<hsize_t> dims;
  Handle file_type;
  const Handle dataset = open_dataset(node, name, {H5T_STRING}, "strings", &dims, &file_type);
  expect_shape(node, name, dims, 1, expected, -1);
  const std::string what = "cannot read dataset " + node.child(name);
  std::vector<std::string> result(dims[0]);
  if (result.empty()) return result;
  Handle mem_type(check(H5Tcopy(H5T_C_S1), what), H5Tclose);
  check(H5Tset_cset(mem_type.get(), H5Tget_cset(file_type.get())), what);
  if (H5Tis_variable_str(file_type.get()) > 0) {
    check(H5Tset_size(mem_type.get(), H5T_VARIABLE), what);
    std::vector<char*> data(result.size(), nullptr);
    check(H5Dread(dataset.get(), mem_type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, data.data()), what);
    for (std::size_t i = 0; i < result.size(); ++i) {
      result[i] = data[i] ? data[i] : "";
      H5free_memory(data[i]);
    }
    return result;
  }
  const std::size_t size = H5Tget_size(file_type.get());
  check(H5Tset_size(mem_type.get(), size), what);
  std::vector<char> buffer(size * result.size(), '\0');
  check(H5Dread(dataset.get(), mem_type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer.data()), what);
  for (std::size_t i = 0; i < result.size(); ++i) {
    std::string value(buffer.data() + i * size, size);
    value.resize(std::strlen(value.c_str()));
    result[i] = value;
  }
  return result;
}

// ---- Files --------------------------------------------------------------------------------------

std::vector<unsigned char> read_file(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) throw IoError("no such file");
    throw IoError("cannot open: " + errno_text(errno));
  }
  struct stat status {};
  if (::fstat(fd.get(), &status) != 0) throw IoError("cannot stat: " + errno_text(errno));
  if (S_ISDIR(status.st_mode)) throw IoError("is a directory, not a file");
  std::vector<unsigned char> bytes;
  bytes.reserve(static_cast<std::size_t>(status.st_size));
  unsigned char buffer[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      throw IoError("read failed: " + errno_text(errno));
    }
    bytes.insert(bytes.end(), buffer, buffer + n);
  }
  return bytes;
}

void write_file_atomically(const std::string& path, const std::vector<unsigned char>& bytes) {
  internal::write_file_atomically(
      path, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

std::string utc_timestamp() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

}  // namespace rnnatlas::h5
