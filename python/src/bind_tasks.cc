// Binds include/rnnatlas/tasks/: Task, TrialBatch, make_task, task_names. Declarations only.
#include <pybind11/stl.h>

#include <cmath>
#include <cstdint>
#include <string>

#include "bindings.h"
#include "rnnatlas/tasks/task.h"

namespace rnnatlas::python {

void bind_tasks(py::module_& m) {
  py::class_<TrialBatch>(m, "TrialBatch", R"pbdoc(
A batch of trials. The arrays are views [n_batch, n_time, n_channel] of the batch's own
time-major storage: they stay valid while any of them is alive, and writing to one changes the batch.
)pbdoc")
      .def_readonly("n_batch", &TrialBatch::n_batch)
      .def_readonly("n_time", &TrialBatch::n_time)
      .def_property_readonly("n_input", &TrialBatch::n_input)
      .def_property_readonly("n_output", &TrialBatch::n_output)
      .def_property_readonly(
          "inputs",
          [](const py::object& self) {
            const auto& batch = self.cast<const TrialBatch&>();
            return batch_major_view(batch.inputs, batch.n_batch, batch.n_time, self);
          },
          "float64 [n_batch, n_time, n_input]")
      .def_property_readonly(
          "targets",
          [](const py::object& self) {
            const auto& batch = self.cast<const TrialBatch&>();
            return batch_major_view(batch.targets, batch.n_batch, batch.n_time, self);
          },
          "float64 [n_batch, n_time, n_output]")
      .def_property_readonly(
          "mask",
          [](const py::object& self) {
            const auto& batch = self.cast<const TrialBatch&>();
            return batch_major_view(batch.mask, batch.n_batch, batch.n_time, self);
          },
          "float64 [n_batch, n_time, n_output]; 1 = scored by the loss, 0 = ignored")
      .def("__repr__", [](const TrialBatch& batch) {
        return py::str("TrialBatch(n_batch={}, n_time={}, n_input={}, n_output={})")
            .format(batch.n_batch, batch.n_time, batch.n_input(), batch.n_output());
      });

  py::class_<Task>(m, "Task", "A trial generator; immutable and thread-safe. Build with make_task.")
      .def_property_readonly("name", [](const Task& task) { return std::string(task.name()); })
      .def_property_readonly("n_input", &Task::n_input)
      .def_property_readonly("n_output", &Task::n_output)
      .def_property_readonly("n_time", &Task::n_time)
      .def_property_readonly("has_sign_targets", &Task::has_sign_targets)
      .def("params", &Task::params,
           "Every parameter with its value (defaults included); make_task(task.name, "
           "**task.params()) rebuilds an identical task.")
      .def(
          "sample", &Task::sample, py::arg("n_batch"), py::arg("seed"), py::arg("n_threads") = 1,
          py::call_guard<py::gil_scoped_release>(),
          "`n_batch` trials of stream `seed`. Trial b depends only on (seed, b): sample(4, s) is a "
          "prefix of sample(10, s), for any n_threads.")
      .def("__repr__", [](const Task& task) {
        std::string text = "Task('" + std::string(task.name()) + "'";
        for (const auto& [key, value] : task.params()) {
          // Integer parameters are stored as whole doubles; show them as integers.
          const py::object shown = value == std::trunc(value) && std::abs(value) < 1e15
                                       ? py::object(py::int_(static_cast<long long>(value)))
                                       : py::object(py::float_(value));
          text += ", " + key + "=" + py::repr(shown).cast<std::string>();
        }
        return text + ")";
      });

  m.def("make_task", &make_task, py::arg("name"), py::arg("params") = TaskParams{},
        "Builds a task by name with parameters {key: value}; unknown names and keys raise "
        "ValueError.");
  m.def("task_names", &task_names, "The canonical task names.");
}

}  // namespace rnnatlas::python
