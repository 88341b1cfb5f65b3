// A network: a recurrent cell, a linear readout y = W_out h + b_out, and their parameters.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "rnnatlas/models/cell.h"

namespace rnnatlas {

/// Everything that fixes the shape of a network.
struct Architecture {
  CellKind cell = CellKind::kGru;
  Activation activation = Activation::kTanh;
  int n_input = 1;    ///< >= 1
  int n_hidden = 64;  ///< >= 1
  int n_output = 1;   ///< >= 1

  /// n_hidden, or 2 n_hidden for LSTM.
  int n_state() const { return cell == CellKind::kLstm ? 2 * n_hidden : n_hidden; }
  /// Throws InvalidArgument naming the field, its value and the rule.
  void validate() const;
};

/// Parameters are held in double precision as one flat vector: the cell's tensors (see cell.h) then
/// readout.weight [n_output, n_hidden] and readout.bias [n_output], each row-major. Training works
/// on a float copy and writes back. Copyable and cheap to move; const methods are thread-safe.
class Network {
 public:
  /// PyTorch's default initialisation, drawn from `seed`: every weight and bias of the cell and the
  /// readout ~ U(-1/sqrt(n_hidden), 1/sqrt(n_hidden)). UGRNN's gate bias starts at +1 instead
  /// (docs/study.md section 3). Throws InvalidArgument for an invalid architecture.
  explicit Network(const Architecture& architecture, std::uint64_t seed = 0);

  const Architecture& architecture() const { return architecture_; }
  int n_params() const { return static_cast<int>(parameters_.size()); }

  /// Names, shapes and offsets of every tensor, cell first, then readout.weight and readout.bias.
  const std::vector<ParameterInfo>& parameter_table() const { return table_; }
  const Eigen::VectorXd& parameters() const { return parameters_; }
  /// Throws InvalidArgument if the length differs from n_params() or a value is not finite.
  void set_parameters(const Eigen::Ref<const Eigen::VectorXd>& parameters);

  /// One tensor as a [rows, cols] matrix (a bias is [rows, 1]). Throws InvalidArgument for an
  /// unknown name, listing the known ones.
  Eigen::MatrixXd parameter(std::string_view name) const;
  /// Sets one tensor; throws InvalidArgument if the name is unknown, the shape differs (the message
  /// gives both shapes) or a value is not finite.
  void set_parameter(std::string_view name, const Eigen::Ref<const Eigen::MatrixXd>& value);

  const Cell<double>& cell() const { return *cell_; }

  // ---- Running the network in double precision (analysis) ---------------------------------

  struct Trajectory {
    int n_batch = 0;
    int n_time = 0;
    Eigen::MatrixXd
        states;  ///< [n_state, n_time * n_batch], S_t after step t, column t*n_batch + b
    Eigen::MatrixXd outputs;  ///< [n_output, n_time * n_batch]
  };

  /// Runs the network on inputs [n_input, n_time * n_batch] (TrialBatch layout) from
  /// `initial_state` [n_state, n_batch] (zeros when null).
  Trajectory run(const Eigen::Ref<const Eigen::MatrixXd>& inputs,
                 int n_batch,
                 const Eigen::MatrixXd* initial_state = nullptr) const;

  /// F(s, x) for one state [n_state] and input [n_input].
  Eigen::VectorXd step(const Eigen::Ref<const Eigen::VectorXd>& state,
                       const Eigen::Ref<const Eigen::VectorXd>& input) const;
  /// dF/ds [n_state, n_state] at (s, x).
  Eigen::MatrixXd state_jacobian(const Eigen::Ref<const Eigen::VectorXd>& state,
                                 const Eigen::Ref<const Eigen::VectorXd>& input) const;
  /// dF/dx [n_state, n_input] at (s, x).
  Eigen::MatrixXd input_jacobian(const Eigen::Ref<const Eigen::VectorXd>& state,
                                 const Eigen::Ref<const Eigen::VectorXd>& input) const;
  /// y = W_out h + b_out for states [n_state, n] (the h rows are used) -> [n_output, n].
  Eigen::MatrixXd readout(const Eigen::Ref<const Eigen::MatrixXd>& states) const;

 private:
  const ParameterInfo& find(std::string_view name) const;
  void check_state_input(const Eigen::Ref<const Eigen::VectorXd>& state,
                         const Eigen::Ref<const Eigen::VectorXd>& input) const;

  Architecture architecture_;
  std::shared_ptr<const Cell<double>> cell_;
  std::vector<ParameterInfo> table_;
  Eigen::VectorXd parameters_;
};

}  // namespace rnnatlas
