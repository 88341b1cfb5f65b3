// Enumerations shared by every stage, with to_string() and parse_*() so that the CLI, the TOML
// configs, the HDF5 attributes, the Python module and the test names all spell them one way.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace rnnatlas {

/// The recurrent update. Vanilla, GRU and LSTM follow PyTorch's nn.RNN, nn.GRU and nn.LSTM.
enum class CellKind {
  kVanilla,  ///< h' = phi(W_ih x + b_ih + W_hh h + b_hh)
  kUgrnn,    ///< update-gate RNN (Collins, Sohl-Dickstein, Sussillo 2017)
  kGru,      ///< gated recurrent unit, gates (r, z, n)
  kLstm,     ///< long short-term memory, gates (i, f, g, o); state [h; c]
};

/// The nonlinearity phi of a cell (gates always use the logistic sigmoid).
enum class Activation {
  kTanh,
  kRelu,
  kSoftplus,  ///< log(1 + e^a), a smooth ReLU
  kLinear,    ///< phi(a) = a, for analysis of linear networks
};

/// How a long-running call ended.
enum class Termination {
  kNotRun,       ///< the call was never made
  kCompleted,    ///< ran its full budget (training) or converged
  kDiverged,     ///< the loss became NaN/infinite or exploded
  kInterrupted,  ///< stopped on request before its budget was spent (training); can be resumed
};

/// "vanilla", "ugrnn", "gru", "lstm".
std::string_view to_string(CellKind kind);
/// "tanh", "relu", "softplus", "linear".
std::string_view to_string(Activation activation);
/// "not_run", "completed", "diverged", "interrupted".
std::string_view to_string(Termination termination);

/// Parses the names above (case-insensitive; "rnn" is accepted for "vanilla").
/// Throws InvalidArgument listing the allowed names.
CellKind parse_cell_kind(std::string_view name);
Activation parse_activation(std::string_view name);
Termination parse_termination(std::string_view name);

}  // namespace rnnatlas
