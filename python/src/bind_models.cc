// Binds include/rnnatlas/models/: Network, with PyTorch-shaped state dicts and numpy layouts.
// Declarations and data marshalling only; every check of values lives in the library.
#include <pybind11/eigen.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "bindings.h"
#include "rnnatlas/error.h"
#include "rnnatlas/models/network.h"

namespace rnnatlas::python {
namespace {

std::string shape_string(const std::vector<py::ssize_t>& shape) {
  std::ostringstream out;
  out << '(';
  for (std::size_t i = 0; i < shape.size(); ++i) out << (i ? ", " : "") << shape[i];
  out << (shape.size() == 1 ? ",)" : ")");
  return out.str();
}

/// The PyTorch shape of a tensor: [rows] for a bias, [rows, cols] for a weight.
std::vector<py::ssize_t> torch_shape(const ParameterInfo& info) {
  if (info.is_bias) return {info.rows};
  return {info.rows, info.cols};
}

py::dict state_dict(const Network& network) {
  py::dict result;
  const double* theta = network.parameters().data();
  for (const ParameterInfo& info : network.parameter_table()) {
    // Tensors are stored row-major, so a C-order copy of the slice is the PyTorch tensor.
    result[py::str(info.name)] = py::array_t<double>(torch_shape(info), theta + info.offset);
  }
  return result;
}

/// The key under which torch keeps a module's get_extra_state(); the modules of rnnatlas.torch
/// store {"format": "rnnatlas", "cell": ..., "activation": ...} there.
constexpr const char* kExtraState = "_extra_state";

/// Whether a state dict that does not record its activation can only have been made with
/// `activation`: torch's nn.GRU and nn.LSTM exist only with tanh, and nn.RNN with tanh or relu
/// (the network's own activation then says which). Every other combination has no torch module,
/// so its state dict must record the activation or the caller must name it.
bool torch_implies(CellKind cell, Activation activation) {
  switch (cell) {
    case CellKind::kVanilla:
      return activation == Activation::kTanh || activation == Activation::kRelu;
    case CellKind::kGru:
    case CellKind::kLstm:
      return activation == Activation::kTanh;
    case CellKind::kUgrnn:
      return false;
  }
  return false;
}

/// Checks that `state` (a state dict) was made with the network's cell and activation: by its
/// record (kExtraState) when it has one, else by `named` (the caller's word) or by torch_implies.
void check_activation(const Network& network,
                      const py::dict& state,
                      const std::optional<std::string>& named) {
  const Architecture& arch = network.architecture();
  const std::string cell(to_string(arch.cell)), activation(to_string(arch.activation));
  if (named) {
    RNNATLAS_CHECK_ARG(parse_activation(*named) == arch.activation,
                       "load_state_dict: activation = '"
                           << *named << "' but the network is a " << activation << " " << cell
                           << "; build the network with activation='" << *named << "'");
  }
  if (state.contains(kExtraState)) {
    const py::object record = state[kExtraState];
    const auto field = [&record](const char* key) -> std::string {
      if (!py::isinstance<py::dict>(record) || !record.contains(key)) return "?";
      return py::str(record[key]);
    };
    RNNATLAS_CHECK_ARG(field("format") == "rnnatlas",
                       "load_state_dict: '" << kExtraState << "' = " << py::str(py::repr(record))
                                            << " is not an rnnatlas record {'format': 'rnnatlas', "
                                               "'cell': ..., 'activation': ...}");
    RNNATLAS_CHECK_ARG(field("cell") == cell && field("activation") == activation,
                       "load_state_dict: the state dict is of a "
                           << field("activation") << " " << field("cell") << " network, not a "
                           << activation << " " << cell << "; build the network with cell='"
                           << field("cell") << "', activation='" << field("activation") << "'");
    return;
  }
  RNNATLAS_CHECK_ARG(named || torch_implies(arch.cell, arch.activation),
                     "load_state_dict: the state dict does not record the activation it was "
                     "trained with, and no torch module makes a "
                         << activation << " " << cell
                         << " (nn.GRU and nn.LSTM are tanh only, nn.RNN is tanh or relu, and "
                            "none is a UGRNN); if the weights are of a "
                         << activation << " " << cell
                         << ", say so: load_state_dict(state, activation='" << activation << "')");
}

/// Replaces every tensor at once: all keys are required and shapes must match PyTorch's, and the
/// activation must be known (check_activation). The network is unchanged when anything is wrong.
void load_state_dict(Network& network,
                     const py::dict& state,
                     const std::optional<std::string>& activation) {
  check_activation(network, state, activation);
  std::vector<std::string> expected;  // in storage order, as state_dict() lists them
  for (const ParameterInfo& info : network.parameter_table()) expected.push_back(info.name);
  std::vector<std::string> unknown, missing;
  for (const auto& item : state) {
    auto key = py::cast<std::string>(py::str(item.first));
    if (key == kExtraState) continue;
    if (std::find(expected.begin(), expected.end(), key) == expected.end()) unknown.push_back(key);
  }
  for (const std::string& name : expected) {
    if (!state.contains(name)) missing.push_back(name);
  }
  const auto join = [](const std::vector<std::string>& names) {
    std::string s;
    for (const std::string& name : names) s += (s.empty() ? "" : ", ") + name;
    return "[" + s + "]";
  };
  RNNATLAS_CHECK_ARG(unknown.empty() && missing.empty(),
                     "load_state_dict: " << (unknown.empty() ? "" : "unknown keys " + join(unknown))
                                         << (unknown.empty() || missing.empty() ? "" : "; ")
                                         << (missing.empty() ? "" : "missing keys " + join(missing))
                                         << "; expected exactly " << join(expected));

  Eigen::VectorXd theta = network.parameters();
  for (const ParameterInfo& info : network.parameter_table()) {
    const auto value = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(
        real_array(state[py::str(info.name)], "load_state_dict: '" + info.name + "'"));
    const std::vector<py::ssize_t> want = torch_shape(info);
    const std::vector<py::ssize_t> have(value.shape(), value.shape() + value.ndim());
    RNNATLAS_CHECK_ARG(have == want, "load_state_dict: '" << info.name << "' has shape "
                                                          << shape_string(have) << ", expected "
                                                          << shape_string(want));
    std::copy(value.data(), value.data() + info.size(), theta.data() + info.offset);
  }
  network.set_parameters(theta);  // checks finiteness
}

/// The library's [rows, n] column layout of a numpy [n, rows] (or [rows]) array.
Eigen::MatrixXd columns_of(const py::array_t<double, py::array::forcecast>& array,
                           const char* what,
                           int rows) {
  RNNATLAS_CHECK_ARG(
      array.ndim() >= 1 && array.ndim() <= 2 && array.shape(array.ndim() - 1) == rows,
      what << " must have shape [n, " << rows << "] or [" << rows << "], got "
           << shape_string({array.shape(), array.shape() + array.ndim()}));
  if (array.ndim() == 1) {
    const auto a = array.unchecked<1>();  // strides are honoured: the array may be a view
    Eigen::VectorXd v(rows);
    for (py::ssize_t i = 0; i < rows; ++i) v(i) = a(i);
    return v;
  }
  const auto a = array.unchecked<2>();
  Eigen::MatrixXd m(rows, a.shape(0));
  for (py::ssize_t j = 0; j < a.shape(0); ++j) {
    for (py::ssize_t i = 0; i < rows; ++i) m(i, j) = a(j, i);
  }
  return m;
}

/// A 1-D real array [n] as a vector; `what` names the argument in errors.
Eigen::VectorXd vector_of(const py::object& value, const std::string& what) {
  const auto array = real_array(value, what);
  RNNATLAS_CHECK_ARG(array.ndim() == 1,
                     what << " must be 1-D, got shape "
                          << shape_string({array.shape(), array.shape() + array.ndim()}));
  const auto a = array.unchecked<1>();
  Eigen::VectorXd v(a.shape(0));
  for (py::ssize_t i = 0; i < a.shape(0); ++i) v(i) = a(i);
  return v;
}

/// Binds a method f(state [n_state], input [n_input]) of Network, with real-vector arguments.
template <typename Method>
auto state_input_method(Method method) {
  return [method](const Network& n, const py::object& state, const py::object& input) {
    return (n.*method)(vector_of(state, "state"), vector_of(input, "input"));
  };
}

/// Network.run: numpy in ([n_batch, n_time, n_input] or [n_time, n_input]), numpy views out.
py::tuple run(const Network& network, const py::object& input_values, const py::object& s0_values) {
  const Architecture& arch = network.architecture();
  const auto inputs = real_array(input_values, "run: inputs");
  std::optional<py::array_t<double, py::array::forcecast>> initial_state;
  if (!s0_values.is_none()) initial_state = real_array(s0_values, "run: initial_state");
  const bool single = inputs.ndim() == 2;
  RNNATLAS_CHECK_ARG(
      (inputs.ndim() == 3 || single) && inputs.shape(inputs.ndim() - 1) == arch.n_input,
      "run: inputs must have shape [n_batch, n_time, "
          << arch.n_input << "] or [n_time, " << arch.n_input << "], got "
          << shape_string({inputs.shape(), inputs.shape() + inputs.ndim()}));
  py::array_t<double, py::array::forcecast> batch = inputs;
  if (single) {
    batch = py::array_t<double, py::array::forcecast>(
        batch.reshape(std::vector<py::ssize_t>{1, inputs.shape(0), inputs.shape(1)}));
  }
  const int n_batch = static_cast<int>(batch.shape(0));
  const int n_time = static_cast<int>(batch.shape(1));
  const Eigen::MatrixXd x = time_major_copy(batch);

  Eigen::MatrixXd s0;
  if (initial_state) {
    s0 = columns_of(*initial_state, "run: initial_state", arch.n_state());
    if (s0.cols() == 1 && n_batch > 1) s0 = s0.replicate(1, n_batch).eval();
    RNNATLAS_CHECK_ARG(s0.cols() == n_batch, "run: initial_state has "
                                                 << s0.cols()
                                                 << " rows but inputs have n_batch = " << n_batch);
  }

  auto trajectory = std::make_unique<Network::Trajectory>();
  {
    py::gil_scoped_release no_gil;
    *trajectory = network.run(x, n_batch, initial_state ? &s0 : nullptr);
  }
  // The arrays view the trajectory, which the capsule frees when the last of them goes away.
  const Network::Trajectory* t = trajectory.get();
  py::capsule owner(trajectory.release(),
                    [](void* p) { delete static_cast<Network::Trajectory*>(p); });
  py::array states = batch_major_view(t->states, n_batch, n_time, owner);
  py::array outputs = batch_major_view(t->outputs, n_batch, n_time, owner);
  if (single) {
    states = states[py::int_(0)];
    outputs = outputs[py::int_(0)];
  }
  return py::make_tuple(states, outputs);
}

/// A copy of a Python Network with a shallow copy of its __dict__.
py::object copy_network(const py::object& self) {
  py::object copy = py::cast(Network(self.cast<const Network&>()));
  copy.attr("__dict__").attr("update")(self.attr("__dict__"));
  return copy;
}

}  // namespace

void bind_models(py::module_& m) {
  py::class_<Network>(m, "Network", py::dynamic_attr(), R"pbdoc(
A recurrent cell (vanilla, ugrnn, gru or lstm) and a linear readout y = W_out h + b_out, with
parameters in float64. Vanilla, GRU and LSTM follow torch.nn.RNN/GRU/LSTM exactly (names, shapes,
gate order), so state_dict() and load_state_dict() exchange weights with PyTorch. The state is h,
or [h; c] for LSTM (n_state = 2 n_hidden).
)pbdoc")
      .def(py::init([](const std::string& cell, int n_input, int n_hidden, int n_output,
                       const std::string& activation, std::uint64_t seed) {
             return Network(Architecture{.cell = parse_cell_kind(cell),
                                         .activation = parse_activation(activation),
                                         .n_input = n_input,
                                         .n_hidden = n_hidden,
                                         .n_output = n_output},
                            seed);
           }),
           py::arg("cell"), py::arg("n_input"), py::arg("n_hidden"), py::arg("n_output"),
           py::arg("activation") = "tanh", py::arg("seed") = 0,
           "PyTorch's default initialisation drawn from `seed`.")
      .def_property_readonly(
          "cell", [](const Network& n) { return std::string(to_string(n.architecture().cell)); },
          "'vanilla', 'ugrnn', 'gru' or 'lstm': the `--cell` of `rnnatlas train` and the `cell` "
          "of a sweep grid")
      .def_property_readonly(
          "arch",
          [](const Network& n) {
            // The old name of `cell`; kept one release (docs/options.md).
            if (PyErr_WarnEx(PyExc_DeprecationWarning,
                             "Network.arch is deprecated: it is Network.cell", 1) != 0) {
              throw py::error_already_set();
            }
            return std::string(to_string(n.architecture().cell));
          },
          "Deprecated: Network.cell.")
      .def_property_readonly(
          "activation",
          [](const Network& n) { return std::string(to_string(n.architecture().activation)); })
      .def_property_readonly("n_input", [](const Network& n) { return n.architecture().n_input; })
      .def_property_readonly("n_hidden", [](const Network& n) { return n.architecture().n_hidden; })
      .def_property_readonly("n_output", [](const Network& n) { return n.architecture().n_output; })
      .def_property_readonly("n_state", [](const Network& n) { return n.architecture().n_state(); })
      .def_property_readonly("n_params", &Network::n_params)
      .def_property_readonly(
          "init_seed",
          [](const py::object& self) -> py::object {
            const py::dict dict = self.attr("__dict__");
            return dict.contains(kInitSeedKey) ? dict[kInitSeedKey] : py::object(py::none());
          },
          "The seed the network was initialised from, or None when it was not built here from a "
          "seed (e.g. the network inside a NetworkRecord). rnnatlas.load_network restores it.")
      .def(
          "parameter_names",
          [](const Network& n) {
            std::vector<std::string> names;
            for (const ParameterInfo& info : n.parameter_table()) names.push_back(info.name);
            return names;
          },
          "Tensor names in storage order (the keys of state_dict()).")
      .def("state_dict", &state_dict,
           "{name: float64 array} with PyTorch's shapes: weight_ih_l0 [G*n_hidden, n_input], "
           "weight_hh_l0 [G*n_hidden, n_hidden], biases [G*n_hidden], readout.weight "
           "[n_output, n_hidden], readout.bias [n_output]. The arrays are copies.")
      .def("load_state_dict", &load_state_dict, py::arg("state_dict"),
           py::arg("activation") = py::none(),
           "Sets every tensor from {name: array} (float32 or float64, numpy or torch). All keys "
           "are required and shapes must match. The activation the weights were trained with "
           "must be known: from the dict's '_extra_state' record (rnnatlas.torch modules write "
           "one; it must name this network's cell and activation), else from torch's modules "
           "(nn.GRU/nn.LSTM: tanh; nn.RNN: tanh or relu), else from `activation`, which must "
           "then name this network's activation. Otherwise ValueError, and the network is "
           "unchanged.")
      .def(
          "parameters", [](const Network& n) { return Eigen::VectorXd(n.parameters()); },
          "A copy of the flat parameter vector [n_params] (the tensors row-major, in "
          "parameter_names() order).")
      .def(
          "set_parameters",
          [](Network& n, const py::object& parameters) {
            n.set_parameters(vector_of(parameters, "set_parameters: parameters"));
          },
          py::arg("parameters"))
      .def("run", &run, py::arg("inputs"), py::arg("initial_state") = py::none(),
           "Runs trials: inputs [n_batch, n_time, n_input] -> (states [n_batch, n_time, n_state], "
           "outputs [n_batch, n_time, n_output]), states[:, t] being the state after step t. A "
           "2-D input [n_time, n_input] is one trial and gives 2-D results. initial_state is "
           "[n_batch, n_state] or [n_state] (shared by all trials); zeros when None. The results "
           "view one time-major buffer (strided, not C-contiguous, when n_batch > 1). Runs "
           "without the GIL.")
      .def("step", state_input_method(&Network::step), py::arg("state"), py::arg("input"),
           "F(s, x): the state [n_state] after one step from `state` [n_state] with `input` "
           "[n_input].")
      .def("state_jacobian", state_input_method(&Network::state_jacobian), py::arg("state"),
           py::arg("input"), "dF/ds [n_state, n_state] at (state, input).")
      .def("input_jacobian", state_input_method(&Network::input_jacobian), py::arg("state"),
           py::arg("input"), "dF/dx [n_state, n_input] at (state, input).")
      .def(
          "readout",
          [](const Network& n, const py::object& values) {
            const auto states = real_array(values, "readout: states");
            const Eigen::MatrixXd y =
                n.readout(columns_of(states, "readout: states", n.architecture().n_state()));
            if (states.ndim() == 1) return py::cast(Eigen::VectorXd(y.col(0)));
            return py::cast(Eigen::MatrixXd(y.transpose()));
          },
          py::arg("states"),
          "y = W_out h + b_out for states [n, n_state] -> [n, n_output] (or [n_state] -> "
          "[n_output]).")
      // A Network's __dict__ holds what it remembers of its origin (init_seed and the training
      // record, see bind_io.cc); copies and pickles keep it.
      .def("__copy__", &copy_network)
      .def(
          "__deepcopy__",
          [](const py::object& self, const py::dict&) { return copy_network(self); },
          py::arg("memo"))
      .def(py::pickle(
          [](const py::object& self) {
            const auto& n = self.cast<const Network&>();
            const Architecture& a = n.architecture();
            return py::make_tuple(
                std::string(to_string(a.cell)), std::string(to_string(a.activation)), a.n_input,
                a.n_hidden, a.n_output, Eigen::VectorXd(n.parameters()), self.attr("__dict__"));
          },
          [](const py::tuple& t) {
            RNNATLAS_CHECK_ARG(t.size() == 6 || t.size() == 7,
                               "Network.__setstate__: expected 6 or 7 fields, got " << t.size());
            Network n(Architecture{.cell = parse_cell_kind(t[0].cast<std::string>()),
                                   .activation = parse_activation(t[1].cast<std::string>()),
                                   .n_input = t[2].cast<int>(),
                                   .n_hidden = t[3].cast<int>(),
                                   .n_output = t[4].cast<int>()});
            n.set_parameters(t[5].cast<Eigen::VectorXd>());
            return std::make_pair(std::move(n), t.size() == 7 ? t[6].cast<py::dict>() : py::dict());
          }))
      .def("__repr__", [](const Network& n) {
        const Architecture& a = n.architecture();
        return py::str("Network({!r}, n_input={}, n_hidden={}, n_output={}, activation={!r})")
            .format(std::string(to_string(a.cell)), a.n_input, a.n_hidden, a.n_output,
                    std::string(to_string(a.activation)));
      });

  // The factory above cannot reach the Python object, so __init__ wraps it to keep the seed in the
  // instance's __dict__: Network.save writes it as the file's init_seed.
  py::object network_class = m.attr("Network");
  py::object construct = network_class.attr("__init__");
  network_class.attr("__init__") = py::cpp_function(
      [construct](const py::object& self, const std::string& cell, int n_input, int n_hidden,
                  int n_output, const std::string& activation, std::uint64_t seed) {
        construct(self, cell, n_input, n_hidden, n_output, activation, seed);
        self.attr("__dict__")[kInitSeedKey] = seed;
      },
      py::name("__init__"), py::is_method(network_class), py::arg("cell"), py::arg("n_input"),
      py::arg("n_hidden"), py::arg("n_output"), py::arg("activation") = "tanh", py::arg("seed") = 0,
      "PyTorch's default initialisation drawn from `seed` (kept as init_seed). activation: "
      "'tanh', 'relu', 'softplus' or 'linear'. Invalid names or sizes raise ValueError.");
}

}  // namespace rnnatlas::python
