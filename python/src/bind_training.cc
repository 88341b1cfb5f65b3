// Binds include/rnnatlas/training/train.h: TrainOptions (one def_readwrite per field),
// TrainProgress, EvalMetrics, TrainSummary, train and evaluate. Declarations only. Module
// maintainer: rnnatlas python.
#include <pybind11/functional.h>
#include <pybind11/stl.h>

#include "bindings.h"
#include "rnnatlas/training/train.h"

namespace rnnatlas::python {

void bind_training(py::module_& m) {
  py::class_<TrainProgress>(m, "TrainProgress", "What TrainOptions.progress receives.")
      .def_readonly("iteration", &TrainProgress::iteration)
      .def_readonly("n_iterations", &TrainProgress::n_iterations)
      .def_readonly("loss", &TrainProgress::loss)
      .def_readonly("learning_rate", &TrainProgress::learning_rate)
      .def_readonly("seconds", &TrainProgress::seconds)
      .def("__repr__", [](const TrainProgress& p) {
        return py::str(
                   "TrainProgress(iteration={}, n_iterations={}, loss={}, learning_rate={}, "
                   "seconds={})")
            .format(p.iteration, p.n_iterations, p.loss, p.learning_rate, p.seconds);
      });

  // The field list is the one in train.h; rnnatlas.train(**options) sets them by these names.
  py::class_<TrainOptions>(m, "TrainOptions", "Options of train(); see training/train.h.")
      .def(py::init<>())
      .def_readwrite("n_iterations", &TrainOptions::n_iterations)
      .def_readwrite("n_batch", &TrainOptions::n_batch)
      .def_readwrite("learning_rate", &TrainOptions::learning_rate)
      .def_readwrite("adam_beta1", &TrainOptions::adam_beta1)
      .def_readwrite("adam_beta2", &TrainOptions::adam_beta2)
      .def_readwrite("adam_epsilon", &TrainOptions::adam_epsilon)
      .def_readwrite("lr_decay_rate", &TrainOptions::lr_decay_rate)
      .def_readwrite("lr_decay_steps", &TrainOptions::lr_decay_steps)
      .def_readwrite("gradient_clip_norm", &TrainOptions::gradient_clip_norm)
      .def_readwrite("l2", &TrainOptions::l2)
      .def_readwrite("divergence_factor", &TrainOptions::divergence_factor)
      .def_readwrite("seed", &TrainOptions::seed)
      .def_readwrite("eval_seed", &TrainOptions::eval_seed)
      .def_readwrite("n_eval_batch", &TrainOptions::n_eval_batch)
      .def_readwrite("progress_every", &TrainOptions::progress_every)
      // A Python callable, called with the GIL held (pybind11's function wrapper takes it) although
      // train() itself runs without the GIL. An exception it raises stops training and propagates.
      .def_readwrite("progress", &TrainOptions::progress)
      .def("validate", &TrainOptions::validate,
           "Raises ValueError naming the first field that breaks its rule.");

  py::class_<EvalMetrics>(m, "EvalMetrics", "Held-out performance of a network on a task.")
      .def(py::init<>())
      .def_readwrite("mse", &EvalMetrics::mse)
      .def_readwrite("normalized_mse", &EvalMetrics::normalized_mse)
      .def_readwrite("sign_accuracy", &EvalMetrics::sign_accuracy)
      .def_readwrite("n_trials", &EvalMetrics::n_trials)
      .def("__repr__", [](const EvalMetrics& e) {
        return py::str("EvalMetrics(mse={}, normalized_mse={}, sign_accuracy={}, n_trials={})")
            .format(e.mse, e.normalized_mse, e.sign_accuracy, e.n_trials);
      });

  py::class_<TrainSummary>(m, "TrainSummary", "How train() ended, its loss history and metrics.")
      .def(py::init<>())
      .def_property(
          "termination",
          [](const TrainSummary& s) { return std::string(to_string(s.termination)); },
          [](TrainSummary& s, const std::string& name) { s.termination = parse_termination(name); },
          "'not_run', 'completed' or 'diverged'")
      .def_readwrite("message", &TrainSummary::message)
      .def_readwrite("n_iterations_done", &TrainSummary::n_iterations_done)
      .def_property(
          "loss_history",
          [](const TrainSummary& s) {
            return py::array_t<double>(static_cast<py::ssize_t>(s.loss_history.size()),
                                       s.loss_history.data());
          },
          [](TrainSummary& s, std::vector<double> history) { s.loss_history = std::move(history); },
          "float64 [n_iterations_done], the minibatch loss of every iteration (a copy)")
      .def_readwrite("eval", &TrainSummary::eval)
      .def_readwrite("seconds", &TrainSummary::seconds)
      .def("brief_report", &TrainSummary::brief_report)
      .def("__repr__", &TrainSummary::brief_report);

  m.def(
      "train",
      [](const TrainOptions& options, const Task& task, Network& network) {
        return train(options, task, network);
      },
      py::arg("options"), py::arg("task"), py::arg("network"),
      py::call_guard<py::gil_scoped_release>(),
      "Trains `network` in place; runs without the GIL. See rnnatlas.train for the keyword "
      "form.");
  m.def("evaluate", &evaluate, py::arg("network"), py::arg("task"), py::arg("n_batch") = 256,
        py::arg("seed") = TrainOptions{}.eval_seed, py::call_guard<py::gil_scoped_release>(),
        "Held-out metrics of `network` on `n_batch` trials of stream `seed` (by default "
        "TrainOptions().eval_seed, the stream train() evaluates on).");
}

}  // namespace rnnatlas::python
