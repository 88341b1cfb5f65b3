// Binds include/rnnatlas/training/train.h: TrainOptions (one def_readwrite per field),
// TrainProgress, EvalMetrics, TrainSummary, train and evaluate. Declarations only.
#include <pybind11/functional.h>
#include <pybind11/stl.h>

#include <chrono>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "bindings.h"
#include "rnnatlas/io/network_file.h"
#include "rnnatlas/training/train.h"
#include "schema_binding.h"

namespace rnnatlas::python {
namespace {

/// Calls `report` (a Python callable: it takes the GIL) at most once per `interval` seconds and
/// at the last iteration; the calls it skips cost a clock read and never touch the GIL.
std::function<void(const TrainProgress&)> rate_limited(
    std::function<void(const TrainProgress&)> report, double interval) {
  using Clock = std::chrono::steady_clock;
  return [report = std::move(report), interval,
          last = std::optional<Clock::time_point>()](const TrainProgress& p) mutable {
    const Clock::time_point now = Clock::now();
    if (p.iteration < p.n_iterations && last &&
        std::chrono::duration<double>(now - *last).count() < interval) {
      return;
    }
    last = now;
    report(p);
  };
}

/// Trains the network of the Python object `network` and keeps, in its __dict__, the record of
/// this training (see bindings.h), which Network.save writes.
TrainSummary train_network(TrainOptions options,
                           const Task& task,
                           const py::object& network,
                           double progress_interval) {
  auto& net = network.cast<Network&>();
  if (options.progress && progress_interval > 0) {
    options.progress = rate_limited(std::move(options.progress), progress_interval);
  }
  const py::dict dict = network.attr("__dict__");
  // Whether the network had been trained already: its record still matches its parameters.
  std::optional<int> trained_before;
  if (dict.contains(kTrainingKey)) {
    const auto& previous = dict[kTrainingKey].cast<const NetworkRecord&>();
    if (previous.summary.termination != Termination::kNotRun &&
        previous.network.parameters() == net.parameters()) {
      trained_before = previous.summary.n_iterations_done;
    }
  }
  TrainSummary summary;
  {
    py::gil_scoped_release no_gil;
    summary = train(options, task, net);
  }
  NetworkRecord record;
  record.network = net;
  record.task_name = std::string(task.name());
  record.task_params = task.params();
  record.train_options = options;
  record.train_options.progress = nullptr;
  record.summary = summary;
  if (trained_before) {
    record.summary.message =
        "continued from a network already trained for " + std::to_string(*trained_before) +
        " iterations (the options and loss history are of the last run); " + record.summary.message;
  }
  dict[kTrainingKey] = std::move(record);
  return summary;
}

}  // namespace

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

  // The fields are the kStored ones of TrainOptions::schema(): rnnatlas.train(**options) sets them
  // by these names, and pickling keeps them in the schema's order.
  py::class_<TrainOptions> train_options(m, "TrainOptions",
                                         "Options of train(); see training/train.h.");
  def_schema(train_options.def(py::init<>()),
             [](const OptionField<TrainOptions>& f) { return f.is(kStored); });
  train_options
      // A Python callable, called with the GIL held (pybind11's function wrapper takes it) although
      // train() itself runs without the GIL. An exception it raises stops training and propagates.
      .def_readwrite("progress", &TrainOptions::progress)
      .def(py::pickle(  // every stored field, not the progress callback
          [](const TrainOptions& o) {
            py::list fields;
            for (const OptionField<TrainOptions>& f : TrainOptions::schema().fields) {
              if (f.is(kStored)) f.visit(o, [&](auto value) { fields.append(value); });
            }
            return py::tuple(fields);
          },
          [](const py::tuple& t) {
            TrainOptions o;
            std::size_t i = 0;
            for (const OptionField<TrainOptions>& f : TrainOptions::schema().fields) {
              if (!f.is(kStored)) continue;
              RNNATLAS_CHECK_ARG(i < t.size(), "TrainOptions.__setstate__: expected more than "
                                                   << t.size() << " fields");
              f.visit(o, [&](auto& value) { value = t[i].cast<std::decay_t<decltype(value)>>(); });
              ++i;
            }
            RNNATLAS_CHECK_ARG(i == t.size(), "TrainOptions.__setstate__: expected "
                                                  << i << " fields, got " << t.size());
            return o;
          }));

  py::class_<EvalMetrics>(m, "EvalMetrics", "Held-out performance of a network on a task.")
      .def(py::init<>())
      .def_readwrite("mse", &EvalMetrics::mse)
      .def_readwrite("normalized_mse", &EvalMetrics::normalized_mse)
      .def_readwrite("sign_accuracy", &EvalMetrics::sign_accuracy)
      .def_readwrite("n_trials", &EvalMetrics::n_trials)
      .def(py::pickle(
          [](const EvalMetrics& e) {
            return py::make_tuple(e.mse, e.normalized_mse, e.sign_accuracy, e.n_trials);
          },
          [](const py::tuple& t) {
            RNNATLAS_CHECK_ARG(t.size() == 4,
                               "EvalMetrics.__setstate__: expected 4 fields, got " << t.size());
            return EvalMetrics{.mse = t[0].cast<double>(),
                               .normalized_mse = t[1].cast<double>(),
                               .sign_accuracy = t[2].cast<double>(),
                               .n_trials = t[3].cast<int>()};
          }))
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
      .def(py::pickle(
          [](const TrainSummary& s) {
            return py::make_tuple(std::string(to_string(s.termination)), s.message,
                                  s.n_iterations_done, s.loss_history, s.eval, s.seconds);
          },
          [](const py::tuple& t) {
            RNNATLAS_CHECK_ARG(t.size() == 6,
                               "TrainSummary.__setstate__: expected 6 fields, got " << t.size());
            TrainSummary s;
            s.termination = parse_termination(t[0].cast<std::string>());
            s.message = t[1].cast<std::string>();
            s.n_iterations_done = t[2].cast<int>();
            s.loss_history = t[3].cast<std::vector<double>>();
            s.eval = t[4].cast<EvalMetrics>();
            s.seconds = t[5].cast<double>();
            return s;
          }))
      .def("brief_report", &TrainSummary::brief_report)
      .def("__repr__", &TrainSummary::brief_report);

  m.def("train", &train_network, py::arg("options"), py::arg("task"), py::arg("network"),
        py::arg("progress_interval") = 0.0,
        "Trains `network` in place; runs without the GIL. The network keeps the record of this "
        "training (task, options, summary), which Network.save writes. options.progress is "
        "called at most once per `progress_interval` seconds (every progress_every iterations "
        "when 0) and at the end. See rnnatlas.train for the keyword form.");
  m.def("evaluate", &evaluate, py::arg("network"), py::arg("task"), py::arg("n_batch") = 256,
        py::arg("seed") = TrainOptions{}.eval_seed, py::call_guard<py::gil_scoped_release>(),
        "Held-out metrics of `network` on `n_batch` trials of stream `seed` (by default "
        "TrainOptions().eval_seed, the stream train() evaluates on).");
}

}  // namespace rnnatlas::python
