// Binds include/rnnatlas/io/network_file.h: NetworkRecord, save/load of HDF5 network files, and
// Network.save. Declarations only. File calls keep the GIL: HDF5 is not thread-safe, and the GIL
// is what serialises Python threads' calls into it. Module maintainer: rnnatlas python.
#include <pybind11/functional.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <filesystem>

#include "bindings.h"
#include "rnnatlas/io/network_file.h"

namespace rnnatlas::python {

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

  // Network.save lives here because it needs the io library; the class is registered by
  // bind_models, which module.cc calls first.
  py::object network_class = m.attr("Network");
  network_class.attr("save") = py::cpp_function(
      [](const Network& network, const std::filesystem::path& path) {
        NetworkRecord record;
        record.network = network;
        save_network_file(path.string(), record);
      },
      py::name("save"), py::is_method(network_class), py::arg("path"),
      "Writes the network alone (untrained record, init_seed 0) to an HDF5 file at `path`. "
      "rnnatlas.save_network also stores the task, options and summary.");
}

}  // namespace rnnatlas::python
