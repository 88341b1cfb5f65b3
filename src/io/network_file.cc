// HDF5 network files. Layout: docs/network-file.md.
//
// Built in memory and written atomically through the HDF5 plumbing of io/h5.h. Network files
// are small (a 256-unit LSTM is 2 MB), so holding one in memory twice is cheap.
#include "rnnatlas/io/network_file.h"

#include <cmath>
#include <cstdint>
#include <sstream>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "io/h5.h"
#include "io/network_file_image.h"
#include "rnnatlas/config.h"
#include "rnnatlas/error.h"
#include "rnnatlas/format.h"
#include "rnnatlas/tasks/task.h"

namespace rnnatlas {
namespace {

constexpr const char* kFormatName = "rnnatlas.network";

/// A named task must be one this build can run, since every later stage rebuilds the task from the
/// file: throws make_task's InvalidArgument otherwise. An empty name (never trained) is allowed.
void check_task(const NetworkRecord& record) {
  if (!record.task_name.empty()) make_task(record.task_name, record.task_params);
}

using h5::attribute_label;
using h5::check;
using h5::create_group;
using h5::DoubleArray;
using h5::Node;
using h5::open_group;
using h5::read_dataset;
using h5::read_double;
using h5::read_int;
using h5::read_int64;
using h5::read_string;
using h5::read_uint64;
using h5::shape_string;
using h5::write_attribute;
using h5::write_dataset;

// Reads attribute `name` into `value`, dispatching on the C++ type of the field.
template <typename T>
void read_attribute(const Node& node, const char* name, T& value) {
  if constexpr (std::is_same_v<T, int>) {
    value = read_int(node, name);
  } else if constexpr (std::is_same_v<T, std::uint64_t>) {
    value = read_uint64(node, name);
  } else if constexpr (std::is_same_v<T, double>) {
    value = read_double(node, name);
  } else if constexpr (std::is_same_v<T, bool>) {
    value = h5::read_bool(node, name);
  } else {
    static_assert(std::is_same_v<T, std::string>, "no HDF5 mapping for this field type");
    value = read_string(node, name);
  }
}

// ---- The record <-> the layout ------------------------------------------------------------------

// Every stored TrainOptions field (the kStored fields of TrainOptions::schema(), in its order), as
// visit(name, value). The callbacks, `stop` and `checkpoint_every` are not stored: they do not
// change the trained network. A new stored field needs a row in docs/network-file.md.
template <typename Options, typename Visitor>
void visit_train_options(Options& o, Visitor&& visit) {
  for (const OptionField<TrainOptions>& f : TrainOptions::schema().fields) {
    if (f.is(kStored)) f.visit(o, [&](auto& value) { visit(f.name.data(), value); });
  }
}

template <typename Metrics, typename Visitor>
void visit_eval_metrics(Metrics& m, Visitor&& visit) {
  visit("mse", m.mse);
  visit("normalized_mse", m.normalized_mse);
  visit("sign_accuracy", m.sign_accuracy);
  visit("n_trials", m.n_trials);
}

}  // namespace

namespace internal {

std::vector<unsigned char> network_file_image(const NetworkRecord& record) {
  h5::ImageWriter writer;
  write_network_record(writer.root(), record);
  return writer.finish();
}

void write_network_record(const h5::Node& root, const NetworkRecord& record) {
  write_attribute(root, "format", kFormatName);
  write_attribute(root, "format_version", kNetworkFileFormatVersion);
  write_attribute(root, "library_version", RNNATLAS_VERSION);
  write_attribute(root, "created", h5::utc_timestamp());

  const Network& network = record.network;
  const Architecture& arch = network.architecture();
  {
    const Node model = create_group(root, "model");
    write_attribute(model, "cell", to_string(arch.cell));
    write_attribute(model, "activation", to_string(arch.activation));
    write_attribute(model, "n_input", arch.n_input);
    write_attribute(model, "n_hidden", arch.n_hidden);
    write_attribute(model, "n_output", arch.n_output);
    write_attribute(model, "n_state", arch.n_state());
    write_attribute(model, "init_seed", record.init_seed);
    const Node parameters = create_group(model, "parameters");
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
    const Node task = create_group(root, "task");
    write_attribute(task, "name", record.task_name);
    const Node params = create_group(task, "params");
    for (const auto& [key, value] : record.task_params) write_attribute(params, key.c_str(), value);
  }
  {
    const Node training = create_group(root, "training");
    const TrainSummary& summary = record.summary;
    // A network never trained has no training options: the file states none rather than defaults
    // that were never used.
    if (summary.termination != Termination::kNotRun) {
      visit_train_options(record.train_options, [&](const char* name, const auto& value) {
        write_attribute(training, name, value);
      });
    }
    write_attribute(training, "termination", to_string(summary.termination));
    write_attribute(training, "message", summary.message);
    write_attribute(training, "n_iterations_done", summary.n_iterations_done);
    write_attribute(training, "seconds", summary.seconds);
    write_dataset(training, "loss", {static_cast<hsize_t>(summary.loss_history.size())},
                  summary.loss_history.data());
  }
  {
    const Node evaluation = create_group(root, "evaluation");
    visit_eval_metrics(record.summary.eval, [&](const char* name, const auto& value) {
      write_attribute(evaluation, name, value);
    });
  }
}

NetworkRecord parse_network_file_image(const std::vector<unsigned char>& image) {
  const h5::ImageReader reader(image);
  return read_network_record(reader.root());
}

NetworkRecord read_network_record(const h5::Node& root) {
  // Identity and version first, so that a foreign or newer file gets the right message.
  h5::check_format(root, kFormatName, kNetworkFileFormatVersion, "rnnatlas network file");

  NetworkRecord record;
  record.library_version = read_string(root, "library_version");

  const Node model = open_group(root, "model");
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

  // Every tensor is read and checked before the network is built: a damaged file that claims a
  // huge architecture then fails on its first (small) dataset, instead of first allocating and
  // initialising gigabytes of parameters for that architecture.
  std::vector<ParameterInfo> table =
      make_cell<double>(arch.cell, arch.activation, arch.n_input, arch.n_hidden)->parameters();
  // The readout, as Network lays it out; offsets are not needed here (tensors are set by name).
  table.push_back(ParameterInfo{"readout.weight", arch.n_output, arch.n_hidden, 0, false});
  table.push_back(ParameterInfo{"readout.bias", arch.n_output, 1, 0, true});
  std::vector<DoubleArray> tensors;
  tensors.reserve(table.size());
  const Node parameters = open_group(model, "parameters");
  for (const ParameterInfo& info : table) {
    DoubleArray array = read_dataset(parameters, info.name.c_str());
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
    tensors.push_back(std::move(array));
  }
  record.network = Network(arch, record.init_seed);
  for (std::size_t k = 0; k < table.size(); ++k) {
    record.network.set_parameter(
        table[k].name,
        Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
            tensors[k].values.data(), table[k].rows, table[k].cols));
  }

  const Node task = open_group(root, "task");
  record.task_name = read_string(task, "name");
  const Node params = open_group(task, "params");
  const std::vector<std::string> keys = h5::attribute_names(params);
  for (const std::string& key : keys) record.task_params[key] = read_double(params, key.c_str());
  try {
    check_task(record);
  } catch (const InvalidArgument& e) {
    throw IoError("group " + task.path + " does not describe a valid task: " + e.what());
  }

  const Node training = open_group(root, "training");
  TrainSummary& summary = record.summary;
  try {
    summary.termination = parse_termination(read_string(training, "termination"));
  } catch (const InvalidArgument& e) {
    throw IoError(attribute_label(training, "termination") + ": " + e.what());
  }
  // The file of a network never trained has no options (files of older versions do: read them).
  const bool untrained = summary.termination == Termination::kNotRun;
  visit_train_options(record.train_options, [&](const char* name, auto& value) {
    if (!untrained || h5::has_attribute(training, name)) read_attribute(training, name, value);
  });
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

  const Node evaluation = open_group(root, "evaluation");
  visit_eval_metrics(summary.eval, [&](const char* name, auto& value) {
    read_attribute(evaluation, name, value);
  });
  return record;
}

}  // namespace internal

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
    check_task(record);
  } catch (const InvalidArgument& e) {
    throw InvalidArgument(std::string("save_network_file: the file could not be loaded, since ") +
                          e.what());
  }
  try {
    h5::write_file_atomically(path, internal::network_file_image(record));
  } catch (const IoError& e) {
    throw IoError("cannot write network file '" + path + "': " + e.what());
  }
}

std::string first_setup_difference(const NetworkRecord& a, const NetworkRecord& b) {
  const Architecture& x = a.network.architecture();
  const Architecture& y = b.network.architecture();
  std::ostringstream ss;
  if (x.cell != y.cell || x.activation != y.activation || x.n_input != y.n_input ||
      x.n_hidden != y.n_hidden || x.n_output != y.n_output) {
    ss << "the architecture: " << to_string(x.cell) << "/" << to_string(x.activation)
       << " n_hidden " << x.n_hidden << " vs " << to_string(y.cell) << "/"
       << to_string(y.activation) << " n_hidden " << y.n_hidden;
    return ss.str();
  }
  if (a.init_seed != b.init_seed) {
    ss << "the initialisation seed: " << a.init_seed << " vs " << b.init_seed;
    return ss.str();
  }
  if (a.task_name != b.task_name) return "the task: " + a.task_name + " vs " + b.task_name;
  if (a.task_params != b.task_params) {
    for (const auto& [key, value] : a.task_params) {
      const auto other = b.task_params.find(key);
      if (other == b.task_params.end() || other->second != value) {
        ss << "task parameter " << key << ": " << format_shortest(value) << " vs "
           << (other == b.task_params.end() ? std::string("(none)")
                                            : format_shortest(other->second));
        return ss.str();
      }
    }
    return "the task parameters";
  }
  // Each stored option as exact text: shortest round-trip form for doubles.
  const auto text = [](const auto& value) -> std::string {
    if constexpr (std::is_same_v<std::decay_t<decltype(value)>, double>) {
      return format_shortest(value);
    } else {
      return std::to_string(value);
    }
  };
  std::vector<std::string> values_a;
  visit_train_options(a.train_options,
                      [&](const char*, const auto& value) { values_a.push_back(text(value)); });
  std::size_t k = 0;
  std::string difference;
  visit_train_options(b.train_options, [&](const char* name, const auto& value) {
    const std::string value_b = text(value);
    if (difference.empty() && value_b != values_a[k])
      difference = "training option " + std::string(name) + ": " + values_a[k] + " vs " + value_b;
    ++k;
  });
  return difference;
}

NetworkRecord load_network_file(const std::string& path) {
  try {
    return internal::parse_network_file_image(h5::read_file(path));
  } catch (const IoError& e) {
    throw IoError("cannot read network file '" + path + "': " + e.what());
  }
}

}  // namespace rnnatlas
