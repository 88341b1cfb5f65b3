#include "targets.h"

#include <hdf5.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "app.h"
#include "cli.h"
#include "io/h5.h"
#include "io/network_file_image.h"
#include "rnnatlas/error.h"
#include "rnnatlas/sweep/sweep_spec.h"
#include "rnnatlas/tasks/task.h"
#include "train_config.h"

namespace rnnatlas::fuzz {
namespace {

Outcome accepted() { return Outcome{true, {}}; }

Outcome rejected(const std::exception& e) { return Outcome{false, e.what()}; }

/// Every HDF5 object a reader opened (files, groups, datasets, attributes, types) is closed again,
/// whatever the outcome. (LeakSanitizer cannot tell these from HDF5's own leaks; fuzz/lsan.supp.)
void assert_no_open_hdf5_objects() {
  const ssize_t n_open = H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL);
  RNNATLAS_ASSERT(n_open == 0, n_open << " HDF5 objects are still open");
}

/// Reads a network file image: a clean rejection, or a record that survives a round trip.
Outcome parse_network_image(const std::vector<unsigned char>& image) {
  NetworkRecord record;
  try {
    record = internal::parse_network_file_image(image);
  } catch (const IoError& e) {
    assert_no_open_hdf5_objects();
    return rejected(e);
  }
  assert_no_open_hdf5_objects();
  // What was read can be written and read back to the same network. Neither may throw: the
  // record came from a valid file.
  const NetworkRecord again =
      internal::parse_network_file_image(internal::network_file_image(record));
  RNNATLAS_ASSERT(again.network.parameters() == record.network.parameters() &&
                      again.summary.loss_history.size() == record.summary.loss_history.size() &&
                      again.task_params == record.task_params,
                  "a network file read, written and read again changed");
  return accepted();
}

// ---- Network files edited at the level of HDF5 objects ---------------------------------------
//
// Mutating the bytes of an HDF5 file mostly tests HDF5's own parser (and Debian's HDF5 1.10
// overflows a heap buffer on some damaged files within seconds: docs/reliability.md). This target
// instead edits a valid network file the way a user with h5py, or a half-broken writer, could:
// attributes and datasets deleted, renamed, or replaced by values of another type, rank, shape or
// range, and unknown entries added. The file stays valid HDF5; only rnnatlas's reader is tested.

/// The fuzz input, consumed byte by byte; zeros once exhausted.
class Bytes {
 public:
  explicit Bytes(std::string_view data) : data_(data) {}
  std::uint8_t next() { return pos_ < data_.size() ? static_cast<std::uint8_t>(data_[pos_++]) : 0; }
  template <typename T>
  const T& pick(const std::vector<T>& options) {
    return options[next() % options.size()];
  }
  /// Up to `max_size` raw bytes of the input.
  std::string text(std::size_t max_size) {
    const std::size_t n = std::min<std::size_t>(next() % (max_size + 1), data_.size() - pos_);
    std::string out(data_.substr(pos_, n));
    pos_ += n;
    return out;
  }

 private:
  std::string_view data_;
  std::size_t pos_ = 0;
};

/// A small valid record: cell, size and task from the first bytes (all zero: a 1-unit vanilla
/// network on the first task).
NetworkRecord baseline_record(Bytes& in) {
  static const std::vector<CellKind> kCells = {CellKind::kVanilla, CellKind::kUgrnn, CellKind::kGru,
                                               CellKind::kLstm};
  const CellKind cell = in.pick(kCells);
  const int n_hidden = 1 + in.next() % 3;
  const std::vector<std::string> tasks = task_names();
  const std::unique_ptr<Task> task = make_task(in.pick(tasks));
  const Architecture architecture{cell, Activation::kTanh, task->n_input(), n_hidden,
                                  task->n_output()};
  NetworkRecord record;
  record.init_seed = 7;
  record.network = Network(architecture, record.init_seed);
  record.task_name = std::string(task->name());
  record.task_params = task->params();
  record.summary.termination = Termination::kCompleted;
  record.summary.message = "completed";
  record.summary.n_iterations_done = 3;
  record.summary.loss_history = {1.0, 0.5, 0.25};
  record.summary.eval = EvalMetrics{0.1, 0.2, std::numeric_limits<double>::quiet_NaN(), 16};
  return record;
}

const std::vector<std::int64_t> kInts = {0,
                                         -1,
                                         1,
                                         2,
                                         3,
                                         16384,
                                         16385,
                                         1 << 20,
                                         (1 << 20) + 1,
                                         INT32_MAX,
                                         static_cast<std::int64_t>(INT32_MAX) + 1,
                                         INT64_MIN};
const std::vector<double> kDoubles = {0.0,
                                      -0.0,
                                      0.5,
                                      -1.0,
                                      1e300,
                                      -1e300,
                                      1e-320,
                                      3.0,
                                      2.5e9,
                                      std::numeric_limits<double>::quiet_NaN(),
                                      std::numeric_limits<double>::infinity(),
                                      -std::numeric_limits<double>::infinity()};
const std::vector<std::string> kStrings = {"",
                                           "vanilla",
                                           "ugrnn",
                                           "gru",
                                           "lstm",
                                           "tanh",
                                           "relu",
                                           "flip_flop",
                                           "sine_wave",
                                           "completed",
                                           "diverged",
                                           "not_run",
                                           "rnnatlas.network",
                                           "rnnatlas.dynamics",
                                           std::string(300, 'x'),
                                           std::string("nul\0inside", 10)};

/// The groups of a network file (docs/network-file.md); edits may remove or rename any of them.
const std::vector<std::string> kGroups = {
    "/", "/model", "/model/parameters", "/task", "/task/params", "/training", "/evaluation"};

/// An entry of the file: attribute `name` of `group`, or link `name` in `group`.
struct Entry {
  std::string group;
  std::string name;
  bool is_attribute = false;
};

std::vector<Entry> entries(hid_t file) {
  std::vector<Entry> found;
  for (const std::string& group : kGroups) {
    if (group != "/" && H5Lexists(file, group.c_str(), H5P_DEFAULT) <= 0) continue;
    const hid_t id = H5Gopen2(file, group.c_str(), H5P_DEFAULT);
    if (id < 0) continue;  // renamed, or replaced by a dataset
    const h5::Node node{h5::Handle(id, H5Gclose), group};
    for (const std::string& name : h5::attribute_names(node)) found.push_back({group, name, true});
    for (const std::string& name : h5::child_names(node)) found.push_back({group, name, false});
  }
  return found;
}

/// Replaces (or adds) attribute or link `name` of `node` by a value drawn from the input.
void write_value(const h5::Node& node, const std::string& name, Bytes& in) {
  switch (in.next() % 7) {
    case 0:
      h5::write_attribute(node, name, in.pick(kInts));
      break;
    case 1:
      h5::write_attribute(node, name, in.pick(kDoubles));
      break;
    case 2:
      h5::write_attribute(node, name, in.pick(kStrings));
      break;
    case 3:
      h5::write_attribute(node, name, in.text(40));
      break;
    case 4:
      h5::write_attribute(node, name, std::numeric_limits<std::uint64_t>::max());
      break;
    case 5:
      h5::write_attribute(node, name, in.next() % 2 == 1);
      break;
    default: {  // a dataset: rank 0 to 3, small dims, values of any range, one of three types
      std::vector<hsize_t> dims(in.next() % 4);
      std::size_t size = 1;
      for (hsize_t& d : dims) size *= (d = in.next() % 5);
      std::vector<double> values(size);
      for (double& v : values) v = in.pick(kDoubles);
      switch (in.next() % 3) {
        case 0:
          h5::write_dataset(node, name, dims, values.data());
          break;
        case 1: {
          std::vector<std::int64_t> ints(size);
          for (std::int64_t& v : ints) v = in.pick(kInts);
          h5::write_dataset(node, name, dims, ints.data());
          break;
        }
        default: {
          std::vector<std::uint8_t> bytes(size, 1);
          h5::write_dataset(node, name, dims, bytes.data());
        }
      }
    }
  }
}

/// One edit of the file, chosen by the input. HDF5 refusing an edit (writing an attribute as a
/// link, say) leaves the file as it was.
void edit(hid_t file, Bytes& in) {
  const std::vector<Entry> all = entries(file);
  if (all.empty()) return;
  const Entry& entry = all[in.next() % all.size()];
  const hid_t group = H5Gopen2(file, entry.group.c_str(), H5P_DEFAULT);
  if (group < 0) return;
  const h5::Node node{h5::Handle(group, H5Gclose), entry.group};
  const int action = in.next() % 4;
  try {
    if (action == 0) {  // delete
      if (entry.is_attribute) {
        H5Adelete(node.id(), entry.name.c_str());
      } else {
        H5Ldelete(node.id(), entry.name.c_str(), H5P_DEFAULT);
      }
    } else if (action == 1 && !entry.is_attribute) {  // rename
      H5Lmove(node.id(), entry.name.c_str(), node.id(), (entry.name + "_").c_str(), H5P_DEFAULT,
              H5P_DEFAULT);
    } else if (action == 3) {  // an unknown entry beside it, which readers must ignore
      write_value(node, "unknown_" + std::to_string(in.next()), in);
    } else {  // replace
      if (entry.is_attribute) {
        H5Adelete(node.id(), entry.name.c_str());
      } else {
        H5Ldelete(node.id(), entry.name.c_str(), H5P_DEFAULT);
      }
      write_value(node, entry.name, in);
    }
  } catch (const IoError&) {
  }
}

/// `image` after up to 3 edits chosen by the rest of the input (none for an exhausted input).
std::vector<unsigned char> edited(std::vector<unsigned char> image, Bytes& in) {
  const int n_edits = in.next() % 4;
  if (n_edits == 0) return image;
  const h5::Session session;  // the HDF5 lock; no automatic error printing
  const h5::Handle fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  H5Pset_fapl_core(fapl.get(), 1 << 16, /*backing_store=*/false);
  H5Pset_file_image(fapl.get(), image.data(), image.size());
  const h5::Handle file(H5Fopen("fuzz_network_file.h5", H5F_ACC_RDWR, fapl.get()), H5Fclose);
  RNNATLAS_ASSERT(file.get() >= 0, "cannot open the network file image read-write");
  for (int k = 0; k < n_edits; ++k) edit(file.get(), in);
  RNNATLAS_ASSERT(H5Fflush(file.get(), H5F_SCOPE_GLOBAL) >= 0, "cannot flush the edited image");
  const ssize_t size = H5Fget_file_image(file.get(), nullptr, 0);
  RNNATLAS_ASSERT(size > 0, "cannot get the size of the edited image");
  image.resize(static_cast<std::size_t>(size));
  H5Fget_file_image(file.get(), image.data(), image.size());
  return image;
}

}  // namespace

Outcome sweep_config(std::string_view data) {
  try {
    const SweepSpec spec = parse_sweep_config(std::string(data), "sweep.toml");
    // Everything a sweep derives from an accepted config must be computable.
    (void)spec.hash();
    if (spec.n_networks() > 0) (void)spec.network(spec.n_networks() - 1);
  } catch (const InvalidArgument& e) {
    return rejected(e);
  }
  return accepted();
}

Outcome train_config(std::string_view data) {
  try {
    (void)cli::parse_train_config(data, "train.toml");
  } catch (const cli::UsageError& e) {
    return rejected(e);
  }
  return accepted();
}

Outcome network_file_bytes(std::string_view data) {
  return parse_network_image(std::vector<unsigned char>(data.begin(), data.end()));
}

Outcome network_file(std::string_view data) {
  Bytes in(data);
  std::vector<unsigned char> image = internal::network_file_image(baseline_record(in));
  image = edited(image, in);
  return parse_network_image(image);
}

Outcome cli_arguments(std::string_view data) {
  // "rnnatlas" then one argument per line; a bounded number of arguments keeps runs fast.
  constexpr std::size_t kMaxArguments = 64;
  std::vector<std::string> arguments{"rnnatlas"};
  std::size_t begin = 0;
  while (begin <= data.size() && arguments.size() <= kMaxArguments) {
    std::size_t end = data.find('\n', begin);
    if (end == std::string_view::npos) end = data.size();
    arguments.emplace_back(data.substr(begin, end - begin));
    begin = end + 1;
  }
  std::vector<char*> argv;
  argv.reserve(arguments.size() + 1);
  for (std::string& argument : arguments) argv.push_back(argument.data());
  argv.push_back(nullptr);
  const int code =
      cli::run_cli(static_cast<int>(arguments.size()), argv.data(), cli::CliMode::kParseOnly);
  RNNATLAS_ASSERT(code == cli::kExitOk || code == cli::kExitUsage,
                  "parsing the command line returned exit code " << code);
  if (code == cli::kExitOk) return accepted();
  return Outcome{false, "exit code " + std::to_string(code)};
}

}  // namespace rnnatlas::fuzz
