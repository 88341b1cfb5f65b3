// Binds include/rnnatlas/io/network_file.h: NetworkRecord, save/load of HDF5 network files, and
// Network.save / Network.record, which write the record a Python Network carries. Declarations
// and marshalling only. File calls keep the GIL: HDF5 is not thread-safe, and the GIL
// is what serialises Python threads' calls into it.
#include <pybind11/functional.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <filesystem>

#include "bindings.h"
#include "rnnatlas/io/network_file.h"

namespace rnnatlas::python {
namespace {

/// What Network.save writes for the Python Network `self`: the network with its init seed, and
/// the record of its training when it has one that still describes its parameters (a network
/// changed since, by set_parameters, load_state_dict or an interrupted train(), is written as
/// untrained, with a message saying why).
NetworkRecord record_of(const py::object& self) {
  const auto& network = self.cast<const Network&>();
  const py::dict dict = self.attr("__dict__");
  NetworkRecord record;
  if (dict.contains(kTrainingKey)) {
    record = dict[kTrainingKey].cast<NetworkRecord>();
    if (record.network.parameters() != network.parameters()) {
      record = NetworkRecord();
      record.summary.message =
          "The parameters were changed after training (set_parameters, load_state_dict or an "
          "interrupted train()), so no training record describes them.";
    }
  }
  record.network = network;
  record.init_seed = dict.contains(kInitSeedKey) ? dict[kInitSeedKey].cast<std::uint64_t>() : 0;
  record.library_version.clear();
  return record;
}

/// The network of `record` as a Python Network that carries the record (init seed and, when
/// trained, the training), so that saving it again writes the same record.
py::object network_of(const NetworkRecord& record) {
  py::object network = py::cast(Network(record.network));
  const py::dict dict = network.attr("__dict__");
  dict[kInitSeedKey] = record.init_seed;
  if (record.summary.termination != Termination::kNotRun || !record.task_name.empty()) {
    dict[kTrainingKey] = record;
  }
  return network;
}

}  // namespace

void bind_io(py::module_& m) {
  m.attr("NETWORK_FILE_FORMAT_VERSION") = kNetworkFileFormatVersion;

  py::class_<NetworkRecord>(m, "NetworkRecord", R"pbdoc(
A network with what is needed to reproduce and judge it: the contents of one network file.
)pbdoc")
      .def(py::init<>())
      .def_readwrite("network", &NetworkRecord::network)
      .def_readwrite("init_seed", &NetworkRecord::init_seed)
      .def_readwrite("task_name", &NetworkRecord::task_name, "canonical task name; '' if untrained")
      .def_readwrite("task_params", &NetworkRecord::task_params)
      .def_readwrite("train_options", &NetworkRecord::train_options)
      .def_readwrite("summary", &NetworkRecord::summary)
      .def_readwrite("library_version", &NetworkRecord::library_version)
      .def(py::pickle(
          [](const NetworkRecord& r) {
            return py::make_tuple(r.network, r.init_seed, r.task_name, r.task_params,
                                  r.train_options, r.summary, r.library_version);
          },
          [](const py::tuple& t) {
            RNNATLAS_CHECK_ARG(t.size() == 7,
                               "NetworkRecord.__setstate__: expected 7 fields, got " << t.size());
            NetworkRecord r;
            r.network = t[0].cast<Network>();
            r.init_seed = t[1].cast<std::uint64_t>();
            r.task_name = t[2].cast<std::string>();
            r.task_params = t[3].cast<TaskParams>();
            r.train_options = t[4].cast<TrainOptions>();
            r.summary = t[5].cast<TrainSummary>();
            r.library_version = t[6].cast<std::string>();
            return r;
          }))
      .def("__repr__", [](const NetworkRecord& r) {
        return py::str("NetworkRecord(network={!r}, task_name={!r}, summary={!r})")
            .format(py::cast(r.network), r.task_name, r.summary.brief_report());
      });

  m.def(
      "save_network_file",
      [](const std::filesystem::path& path, const NetworkRecord& record) {
        save_network_file(path.string(), record);
      },
      py::arg("path"), py::arg("record"),
      "Writes `record` to `path` atomically; OSError naming the path on failure.");
  m.def(
      "load_network_file",
      [](const std::filesystem::path& path) { return load_network_file(path.string()); },
      py::arg("path"), "Reads a network file; OSError naming the path and the problem.");

  m.def(
      "load_network",
      [](const std::filesystem::path& path) {
        return network_of(load_network_file(path.string()));
      },
      py::arg("path"),
      "The network of a network file, carrying the file's init seed and training record; "
      "OSError naming the path and the problem.");

  // Network.save and Network.record live here because they need the io library; the class is
  // registered by bind_models, which module.cc calls first.
  py::object network_class = m.attr("Network");
  network_class.attr("save") = py::cpp_function(
      [](const py::object& self, const std::filesystem::path& path) {
        save_network_file(path.string(), record_of(self));
      },
      py::name("save"), py::is_method(network_class), py::arg("path"),
      "Writes the network with its own record (see Network.record) to an HDF5 file at `path`, "
      "atomically. rnnatlas.save_network can add or replace parts of the record.");
  network_class.attr("record") = py::cpp_function(
      &record_of, py::name("record"), py::is_method(network_class),
      "The NetworkRecord that save() writes: this network, the seed it was built from (0 when "
      "unknown), and the task, training options and summary of its last rnnatlas.train, or an "
      "untrained record (task '', summary 'not_run') when it was never trained or its "
      "parameters changed after training.");
}

}  // namespace rnnatlas::python
