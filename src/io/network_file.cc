// HDF5 network files. Module maintainer: rnnatlas io. Layout: docs/network-file.md.
//
// The whole file is built in memory (HDF5 core driver, no backing store) and written with plain
// POSIX calls; loading reads the file into memory and opens the image. HDF5 therefore never touches
// the file system, which gives us
//  - atomic, durable writes with exact errno messages: temp file, write, fsync, rename, fsync dir;
//  - no HDF5 file locking (HDF5 1.10 flock()s files it opens and fails on file systems without
//    locks, a classic cluster problem that otherwise needs HDF5_USE_FILE_LOCKING=FALSE);
//  - errors that separate "cannot read the file" (errno) from "the bytes are not a network file".
// Network files are small (a 256-unit LSTM is 2 MB), so holding one in memory twice is cheap.
#include "rnnatlas/io/network_file.h"

#include <fcntl.h>
#include <hdf5.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <limits>
#include <mutex>
#include <sstream>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "rnnatlas/config.h"
#include "rnnatlas/error.h"

namespace rnnatlas {
namespace {

constexpr const char* kFormatName = "rnnatlas.network";

// ---- HDF5 plumbing ------------------------------------------------------------------------------

// HDF5 keeps global state (open-file list, error stacks); a thread-safe build serialises calls
// internally, a non-thread-safe one must not be entered twice. Only the in-memory HDF5 work is
// done under this lock, never the file system I/O.
std::mutex& hdf5_mutex() {
  static std::mutex mutex;
  return mutex;
}

// Holds the HDF5 lock and silences HDF5's automatic error printing (errors become IoError
// messages instead), restoring the caller's error handler afterwards.
class Hdf5Session {
 public:
  Hdf5Session() : lock_(hdf5_mutex()) {
    H5Eget_auto2(H5E_DEFAULT, &old_func_, &old_data_);
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  }
  ~Hdf5Session() { H5Eset_auto2(H5E_DEFAULT, old_func_, old_data_); }
  Hdf5Session(const Hdf5Session&) = delete;
  Hdf5Session& operator=(const Hdf5Session&) = delete;

 private:
  std::lock_guard<std::mutex> lock_;
  H5E_auto2_t old_func_ = nullptr;
  void* old_data_ = nullptr;
};

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

[[noreturn]] void throw_hdf5_failure(const std::string& what) {
  const std::string detail = hdf5_error_detail();
  throw IoError(detail.empty() ? what : what + " (HDF5: " + detail + ")");
}

// Throws IoError(what + HDF5's reason) when an HDF5 call returned a negative status or id.
template <typename T>
T check(T status, const std::string& what) {
  if (status < 0) throw_hdf5_failure(what);
  return status;
}

// An owned HDF5 identifier, closed with the matching H5*close function.
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
  // Closes now and reports failure (the destructor cannot).
  void close(const std::string& what) {
    const hid_t id = std::exchange(id_, H5I_INVALID_HID);
    check(close_(id), what);
  }

 private:
  hid_t id_ = H5I_INVALID_HID;
  Closer close_ = nullptr;
};

// A group (or the file's root) and its absolute path, for error messages.
struct Node {
  Handle handle;
  std::string path;
  hid_t id() const { return handle.get(); }
  std::string child(std::string_view name) const {
    return (path == "/" ? "/" : path + "/") + std::string(name);
  }
};

std::string shape_string(const std::vector<hsize_t>& dims) {
  std::ostringstream ss;
  ss << '[';
  for (std::size_t i = 0; i < dims.size(); ++i) ss << (i ? ", " : "") << dims[i];
  ss << ']';
  return ss.str();
}

// Every in-memory HDF5 file needs a name that is unique among open files (HDF5 identifies core
// files by name) and, when opening an image, that does not exist on disk (the core driver refuses
// to open an image whose name exists). Nothing can exist below /dev/null.
std::string unique_image_name() {
  static std::atomic<unsigned long long> counter{0};
  return "/dev/null/rnnatlas-image-" + std::to_string(counter++);
}

// ---- Writing ------------------------------------------------------------------------------------

Handle create_group(const Node& parent, const char* name) {
  return Handle(check(H5Gcreate2(parent.id(), name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                      "cannot create group " + parent.child(name)),
                H5Gclose);
}

Node create_node(const Node& parent, const char* name) {
  return Node{create_group(parent, name), parent.child(name)};
}

// A scalar attribute of file type `file_type`, written from memory type `mem_type`.
void write_scalar_attribute(
    const Node& node, const char* name, hid_t file_type, hid_t mem_type, const void* value) {
  const std::string what = "cannot write attribute '" + std::string(name) + "' of " + node.path;
  Handle space(check(H5Screate(H5S_SCALAR), what), H5Sclose);
  Handle attribute(
      check(H5Acreate2(node.id(), name, file_type, space.get(), H5P_DEFAULT, H5P_DEFAULT), what),
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

void write_attribute(const Node& node, const char* name, std::string_view value) {
  const std::string copy(value);  // HDF5 needs a NUL-terminated string
  const char* data = copy.c_str();
  const Handle type = utf8_string_type();
  write_scalar_attribute(node, name, type.get(), type.get(), &data);
}
void write_attribute(const Node& node, const char* name, std::int64_t value) {
  write_scalar_attribute(node, name, H5T_STD_I64LE, H5T_NATIVE_INT64, &value);
}
void write_attribute(const Node& node, const char* name, int value) {
  write_attribute(node, name, static_cast<std::int64_t>(value));
}
void write_attribute(const Node& node, const char* name, std::uint64_t value) {
  write_scalar_attribute(node, name, H5T_STD_U64LE, H5T_NATIVE_UINT64, &value);
}
void write_attribute(const Node& node, const char* name, double value) {
  write_scalar_attribute(node, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &value);
}

// A float64 dataset of shape `dims` from row-major `data`.
void write_dataset(const Node& node,
                   const char* name,
                   const std::vector<hsize_t>& dims,
                   const double* data) {
  const std::string what = "cannot write dataset " + node.child(name);
  Handle space(check(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), what),
               H5Sclose);
  Handle dataset(check(H5Dcreate2(node.id(), name, H5T_IEEE_F64LE, space.get(), H5P_DEFAULT,
                                  H5P_DEFAULT, H5P_DEFAULT),
                       what),
                 H5Dclose);
  hsize_t n_elements = 1;
  for (hsize_t d : dims) n_elements *= d;
  if (n_elements > 0) {  // H5Dwrite rejects a null buffer even for zero elements
    check(H5Dwrite(dataset.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), what);
  }
}

// ---- Reading ------------------------------------------------------------------------------------

Node open_node(const Node& parent, const char* name) {
  const std::string path = parent.child(name);
  const htri_t exists = H5Lexists(parent.id(), name, H5P_DEFAULT);
  if (exists <= 0) {
    H5Eclear2(H5E_DEFAULT);
    throw IoError("missing group " + path);
  }
  return Node{
      Handle(check(H5Gopen2(parent.id(), name, H5P_DEFAULT), path + " is not a group"), H5Gclose),
      path};
}

std::string attribute_label(const Node& node, const char* name) {
  return "attribute '" + std::string(name) + "' of " + node.path;
}

// Opens a one-element attribute, checking that its type class is one of `classes`.
Handle open_scalar_attribute(const Node& node,
                             const char* name,
                             std::initializer_list<H5T_class_t> classes,
                             const char* expected,
                             Handle* file_type) {
  const std::string label = attribute_label(node, name);
  if (H5Aexists(node.id(), name) <= 0) {
    H5Eclear2(H5E_DEFAULT);
    throw IoError("missing " + label);
  }
  Handle attribute(check(H5Aopen(node.id(), name, H5P_DEFAULT), "cannot open " + label), H5Aclose);
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

std::string read_string(const Node& node, const char* name) {
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

double read_double(const Node& node, const char* name) {
  Handle file_type;
  const Handle attribute =
      open_scalar_attribute(node, name, {H5T_FLOAT, H5T_INTEGER}, "a number", &file_type);
  double value = 0.0;
  check(H5Aread(attribute.get(), H5T_NATIVE_DOUBLE, &value),
        "cannot read " + attribute_label(node, name));
  return value;
}

// Integers are read at full width and range-checked, because HDF5's conversions clip silently.
std::uint64_t read_uint64(const Node& node, const char* name) {
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

std::int64_t read_int64(const Node& node, const char* name) {
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

int read_int(const Node& node, const char* name) {
  const std::int64_t value = read_int64(node, name);
  if (value < std::numeric_limits<int>::min() || value > std::numeric_limits<int>::max()) {
    throw IoError(attribute_label(node, name) + " = " + std::to_string(value) +
                  " does not fit in a 32-bit int");
  }
  return static_cast<int>(value);
}

// Reads attribute `name` into `value`, dispatching on the C++ type of the field.
template <typename T>
void read_attribute(const Node& node, const char* name, T& value) {
  if constexpr (std::is_same_v<T, int>) {
    value = read_int(node, name);
  } else if constexpr (std::is_same_v<T, std::uint64_t>) {
    value = read_uint64(node, name);
  } else if constexpr (std::is_same_v<T, double>) {
    value = read_double(node, name);
  } else {
    static_assert(std::is_same_v<T, std::string>, "no HDF5 mapping for this field type");
    value = read_string(node, name);
  }
}

struct DoubleArray {
  std::vector<hsize_t> dims;
  std::vector<double> values;  // row-major
};

// A floating-point dataset of any rank, converted to double.
DoubleArray read_dataset(const Node& node, const char* name) {
  const std::string path = node.child(name);
  if (H5Lexists(node.id(), name, H5P_DEFAULT) <= 0) {
    H5Eclear2(H5E_DEFAULT);
    throw IoError("missing dataset " + path);
  }
  Handle dataset(check(H5Dopen2(node.id(), name, H5P_DEFAULT), path + " is not a dataset"),
                 H5Dclose);
  Handle type(check(H5Dget_type(dataset.get()), "cannot read " + path), H5Tclose);
  if (H5Tget_class(type.get()) != H5T_FLOAT) {
    throw IoError("dataset " + path + " must hold floating-point numbers");
  }
  Handle space(check(H5Dget_space(dataset.get()), "cannot read " + path), H5Sclose);
  const int rank = check(H5Sget_simple_extent_ndims(space.get()), "cannot read " + path);
  DoubleArray array;
  array.dims.resize(rank);
  check(H5Sget_simple_extent_dims(space.get(), array.dims.data(), nullptr), "cannot read " + path);
  hsize_t n_elements = 1;
  for (hsize_t d : array.dims) n_elements *= d;
  array.values.resize(n_elements);
  if (n_elements > 0) {
    check(H5Dread(dataset.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                  array.values.data()),
          "cannot read dataset " + path);
  }
  return array;
}

// ---- The record <-> the layout ------------------------------------------------------------------

// Every stored TrainOptions field, by its C++ name. `progress` (a callback) is not stored.
// A new TrainOptions field needs one line here and a row in docs/network-file.md.
template <typename Options, typename Visitor>
void visit_train_options(Options& o, Visitor&& visit) {
  visit("n_iterations", o.n_iterations);
  visit("n_batch", o.n_batch);
  visit("learning_rate", o.learning_rate);
  visit("adam_beta1", o.adam_beta1);
  visit("adam_beta2", o.adam_beta2);
  visit("adam_epsilon", o.adam_epsilon);
  visit("lr_decay_rate", o.lr_decay_rate);
  visit("lr_decay_steps", o.lr_decay_steps);
  visit("gradient_clip_norm", o.gradient_clip_norm);
  visit("l2", o.l2);
  visit("divergence_factor", o.divergence_factor);
  visit("seed", o.seed);
  visit("eval_seed", o.eval_seed);
  visit("n_eval_batch", o.n_eval_batch);
  visit("progress_every", o.progress_every);
}

template <typename Metrics, typename Visitor>
void visit_eval_metrics(Metrics& m, Visitor&& visit) {
  visit("mse", m.mse);
  visit("normalized_mse", m.normalized_mse);
  visit("sign_accuracy", m.sign_accuracy);
  visit("n_trials", m.n_trials);
}

std::string utc_timestamp() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

// The HDF5 file image of `record`.
std::vector<unsigned char> build_image(const NetworkRecord& record) {
  Hdf5Session session;
  Handle fapl(check(H5Pcreate(H5P_FILE_ACCESS), "cannot create property list"), H5Pclose);
  check(H5Pset_fapl_core(fapl.get(), 1 << 16, /*backing_store=*/false),
        "cannot select the HDF5 core driver");
  Node root{
      Handle(check(H5Fcreate(unique_image_name().c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get()),
                   "cannot create the in-memory HDF5 file"),
             H5Fclose),
      "/"};

  write_attribute(root, "format", kFormatName);
  write_attribute(root, "format_version", kNetworkFileFormatVersion);
  write_attribute(root, "library_version", RNNATLAS_VERSION);
  write_attribute(root, "created", utc_timestamp());

  const Network& network = record.network;
  const Architecture& arch = network.architecture();
  {
    const Node model = create_node(root, "model");
    write_attribute(model, "cell", to_string(arch.cell));
    write_attribute(model, "activation", to_string(arch.activation));
    write_attribute(model, "n_input", arch.n_input);
    write_attribute(model, "n_hidden", arch.n_hidden);
    write_attribute(model, "n_output", arch.n_output);
    write_attribute(model, "n_state", arch.n_state());
    write_attribute(model, "init_seed", record.init_seed);
    const Node parameters = create_node(model, "parameters");
    for (const ParameterInfo& info : network.parameter_table()) {
      // Row-major, PyTorch's layout; a bias is 1-D.
      const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> value =
          network.parameter(info.name);
      std::vector<hsize_t> dims{static_cast<hsize_t>(info.rows)};
      if (!info.is_bias) dims.push_back(static_cast<hsize_t>(info.cols));
      write_dataset(parameters, info.name.c_str(), dims, value.data());
    }
  }
  {
    const Node task = create_node(root, "task");
    write_attribute(task, "name", record.task_name);
    const Node params = create_node(task, "params");
    for (const auto& [key, value] : record.task_params) write_attribute(params, key.c_str(), value);
  }
  {
    const Node training = create_node(root, "training");
    visit_train_options(record.train_options, [&](const char* name, const auto& value) {
      write_attribute(training, name, value);
    });
    const TrainSummary& summary = record.summary;
    write_attribute(training, "termination", to_string(summary.termination));
    write_attribute(training, "message", summary.message);
    write_attribute(training, "n_iterations_done", summary.n_iterations_done);
    write_attribute(training, "seconds", summary.seconds);
    write_dataset(training, "loss", {static_cast<hsize_t>(summary.loss_history.size())},
                  summary.loss_history.data());
  }
  {
    const Node evaluation = create_node(root, "evaluation");
    visit_eval_metrics(record.summary.eval, [&](const char* name, const auto& value) {
      write_attribute(evaluation, name, value);
    });
  }

  check(H5Fflush(root.id(), H5F_SCOPE_GLOBAL), "cannot flush the in-memory HDF5 file");
  const ssize_t size =
      check(H5Fget_file_image(root.id(), nullptr, 0), "cannot get the size of the HDF5 file image");
  std::vector<unsigned char> image(static_cast<std::size_t>(size));
  check(H5Fget_file_image(root.id(), image.data(), image.size()),
        "cannot copy the HDF5 file image");
  root.handle.close("cannot close the in-memory HDF5 file");
  return image;
}

// Parses a file image.
NetworkRecord parse_image(const std::vector<unsigned char>& image) {
  Hdf5Session session;
  Handle fapl(check(H5Pcreate(H5P_FILE_ACCESS), "cannot create property list"), H5Pclose);
  check(H5Pset_fapl_core(fapl.get(), 1 << 16, /*backing_store=*/false),
        "cannot select the HDF5 core driver");
  // HDF5 copies the image; its API just lacks the const.
  check(H5Pset_file_image(fapl.get(), const_cast<unsigned char*>(image.data()), image.size()),
        "cannot pass the file image to HDF5");
  const hid_t file = H5Fopen(unique_image_name().c_str(), H5F_ACC_RDONLY, fapl.get());
  if (file < 0) {
    const std::string detail = hdf5_error_detail();
    throw IoError("not a readable HDF5 file (truncated or corrupt)" +
                  (detail.empty() ? std::string() : ": HDF5 says \"" + detail + "\""));
  }
  const Node root{Handle(file, H5Fclose), "/"};

  // Identity and version first, so that a foreign or newer file gets the right message.
  if (H5Aexists(root.id(), "format") <= 0) {
    throw IoError("not an rnnatlas network file (the root has no 'format' attribute)");
  }
  std::string format;
  try {
    format = read_string(root, "format");
  } catch (const IoError&) {
    throw IoError("not an rnnatlas network file (the root attribute 'format' is not a string)");
  }
  if (format != kFormatName) {
    throw IoError("not an rnnatlas network file (root attribute 'format' is \"" + format +
                  "\", expected \"" + kFormatName + "\")");
  }
  const std::int64_t version = read_int64(root, "format_version");
  if (version > kNetworkFileFormatVersion) {
    throw IoError("written by a newer rnnatlas (format version " + std::to_string(version) + " > " +
                  std::to_string(kNetworkFileFormatVersion) +
                  ", the newest this build reads); upgrade rnnatlas to read it");
  }
  if (version < 1) {
    throw IoError("root attribute 'format_version' = " + std::to_string(version) +
                  " is invalid (versions start at 1)");
  }

  NetworkRecord record;
  record.library_version = read_string(root, "library_version");

  const Node model = open_node(root, "model");
  Architecture arch;
  try {
    arch.cell = parse_cell_kind(read_string(model, "cell"));
  } catch (const InvalidArgument& e) {
    throw IoError(attribute_label(model, "cell") + ": " + e.what());
  }
  try {
    arch.activation = parse_activation(read_string(model, "activation"));
  } catch (const InvalidArgument& e) {
    throw IoError(attribute_label(model, "activation") + ": " + e.what());
  }
  arch.n_input = read_int(model, "n_input");
  arch.n_hidden = read_int(model, "n_hidden");
  arch.n_output = read_int(model, "n_output");
  try {
    arch.validate();
  } catch (const InvalidArgument& e) {
    throw IoError("invalid architecture in /model: " + std::string(e.what()));
  }
  const int n_state = read_int(model, "n_state");
  if (n_state != arch.n_state()) {
    throw IoError(attribute_label(model, "n_state") + " = " + std::to_string(n_state) +
                  " contradicts the architecture (" + std::string(to_string(arch.cell)) +
                  " with n_hidden = " + std::to_string(arch.n_hidden) +
                  " has n_state = " + std::to_string(arch.n_state()) + ")");
  }
  record.init_seed = read_uint64(model, "init_seed");
  record.network = Network(arch, record.init_seed);

  const Node parameters = open_node(model, "parameters");
  for (const ParameterInfo& info : record.network.parameter_table()) {
    const DoubleArray array = read_dataset(parameters, info.name.c_str());
    std::vector<hsize_t> expected{static_cast<hsize_t>(info.rows)};
    if (!info.is_bias) expected.push_back(static_cast<hsize_t>(info.cols));
    if (array.dims != expected) {
      throw IoError("dataset " + parameters.child(info.name) + " has shape " +
                    shape_string(array.dims) + ", expected " + shape_string(expected) + " for a " +
                    std::string(to_string(arch.cell)) + " cell with n_input = " +
                    std::to_string(arch.n_input) + ", n_hidden = " + std::to_string(arch.n_hidden) +
                    ", n_output = " + std::to_string(arch.n_output));
    }
    for (std::size_t i = 0; i < array.values.size(); ++i) {
      if (!std::isfinite(array.values[i])) {
        std::ostringstream ss;
        ss << "dataset " << parameters.child(info.name) << " holds a non-finite value ("
           << array.values[i] << " at flat index " << i << ")";
        throw IoError(ss.str());
      }
    }
    record.network.set_parameter(
        info.name,
        Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
            array.values.data(), info.rows, info.cols));
  }

  const Node task = open_node(root, "task");
  record.task_name = read_string(task, "name");
  const Node params = open_node(task, "params");
  std::vector<std::string> keys;
  hsize_t index = 0;
  check(H5Aiterate2(
            params.id(), H5_INDEX_NAME, H5_ITER_INC, &index,
            [](hid_t, const char* name, const H5A_info_t*, void* data) -> herr_t {
              static_cast<std::vector<std::string>*>(data)->emplace_back(name);
              return 0;
            },
            &keys),
        "cannot list the attributes of /task/params");
  for (const std::string& key : keys) record.task_params[key] = read_double(params, key.c_str());

  const Node training = open_node(root, "training");
  visit_train_options(record.train_options, [&](const char* name, auto& value) {
    read_attribute(training, name, value);
  });
  TrainSummary& summary = record.summary;
  try {
    summary.termination = parse_termination(read_string(training, "termination"));
  } catch (const InvalidArgument& e) {
    throw IoError(attribute_label(training, "termination") + ": " + e.what());
  }
  summary.message = read_string(training, "message");
  summary.n_iterations_done = read_int(training, "n_iterations_done");
  summary.seconds = read_double(training, "seconds");
  DoubleArray loss = read_dataset(training, "loss");
  const std::vector<hsize_t> expected_loss{static_cast<hsize_t>(summary.n_iterations_done)};
  if (loss.dims != expected_loss) {
    throw IoError("dataset /training/loss has shape " + shape_string(loss.dims) + ", expected " +
                  shape_string(expected_loss) + " (one entry per iteration done)");
  }
  summary.loss_history = std::move(loss.values);

  const Node evaluation = open_node(root, "evaluation");
  visit_eval_metrics(summary.eval, [&](const char* name, auto& value) {
    read_attribute(evaluation, name, value);
  });
  return record;
}

// ---- POSIX file handling ------------------------------------------------------------------------

std::string errno_text(int error) { return std::strerror(error); }

// Closes a POSIX file descriptor on scope exit.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  // Closes now; returns 0 or errno (close() is where some file systems report write errors).
  int close() {
    const int fd = std::exchange(fd_, -1);
    if (fd < 0) return 0;
    return ::close(fd) == 0 ? 0 : errno;
  }

 private:
  int fd_;
};

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

// Writes `bytes` to `path` atomically and durably: a temporary file in the same directory, fsync,
// rename(2) over `path`, fsync of the directory. On failure the temporary file is removed.
void write_file_atomically(const std::string& path, const std::vector<unsigned char>& bytes) {
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
    throw IoError("cannot rename temporary file '" + temp + "' to it: " + errno_text(error));
  }
  // Make the rename itself durable. Some file systems cannot fsync a directory (EINVAL); the
  // file is in place either way, so only real I/O errors are reported.
  std::string directory = std::filesystem::path(path).parent_path().string();
  if (directory.empty()) directory = ".";
  Fd dir(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() >= 0 && ::fsync(dir.get()) != 0 && errno != EINVAL && errno != ENOTSUP) {
    throw IoError("cannot fsync directory '" + directory + "': " + errno_text(errno));
  }
}

}  // namespace

void save_network_file(const std::string& path, const NetworkRecord& record) {
  RNNATLAS_CHECK_ARG(!path.empty(), "save_network_file: the path is empty");
  RNNATLAS_CHECK_ARG(record.network.parameters().allFinite(),
                     "save_network_file: the network has non-finite parameters; such a file "
                     "could not be loaded");
  RNNATLAS_CHECK_ARG(
      record.summary.n_iterations_done >= 0 &&
          record.summary.loss_history.size() ==
              static_cast<std::size_t>(record.summary.n_iterations_done),
      "save_network_file: summary.loss_history has "
          << record.summary.loss_history.size() << " entries but summary.n_iterations_done = "
          << record.summary.n_iterations_done << "; they must agree (one loss per iteration done)");
  try {
    write_file_atomically(path, build_image(record));
  } catch (const IoError& e) {
    throw IoError("cannot write network file '" + path + "': " + e.what());
  }
}

NetworkRecord load_network_file(const std::string& path) {
  try {
    const std::vector<unsigned char> image = read_file(path);
    if (image.empty())
      throw IoError("not a readable HDF5 file (truncated or corrupt): it is empty");
    return parse_image(image);
  } catch (const IoError& e) {
    throw IoError("cannot read network file '" + path + "': " + e.what());
  }
}

}  // namespace rnnatlas
