#include "rnnatlas/models/network.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <sstream>

#include "common/random.h"
#include "models/cell_impl.h"
#include "rnnatlas/error.h"

namespace rnnatlas {

void Architecture::validate() const {
  RNNATLAS_CHECK_FIELD(n_input, n_input >= 1, ">= 1");
  RNNATLAS_CHECK_FIELD(n_hidden, n_hidden >= 1, ">= 1");
  RNNATLAS_CHECK_FIELD(n_output, n_output >= 1, ">= 1");
  RNNATLAS_CHECK_FIELD(n_hidden, n_hidden <= 16384, "<= 16384");
  RNNATLAS_CHECK_FIELD(n_input, n_input <= 1 << 20, "<= 2^20");
  RNNATLAS_CHECK_FIELD(n_output, n_output <= 1 << 20, "<= 2^20");
  // Keeps every flat index inside int: the largest cell (LSTM) has 4N(n_input + N + 2) parameters
  // and the readout O(N + 1). Counted in 64 bits, which the three bounds above keep from
  // overflowing, since sizes that are each valid (from a damaged file, say) can overflow int.
  const std::int64_t N = n_hidden;
  const std::int64_t n_params_bound = 4 * N * (n_input + N + 2) + std::int64_t{n_output} * (N + 1);
  RNNATLAS_CHECK_FIELD(n_hidden, n_params_bound <= std::numeric_limits<int>::max(),
                       "such that 4 n_hidden (n_input + n_hidden + 2) + n_output (n_hidden + 1) "
                       "<= 2^31 - 1, with n_input = " +
                           std::to_string(n_input) + " and n_output = " + std::to_string(n_output));
}

Network::Network(const Architecture& architecture, std::uint64_t seed)
    : architecture_(architecture) {
  architecture_.validate();
  cell_ = make_cell<double>(architecture_.cell, architecture_.activation, architecture_.n_input,
                            architecture_.n_hidden);
  table_ = cell_->parameters();
  int offset = cell_->n_params();
  const int N = architecture_.n_hidden, O = architecture_.n_output;
  table_.push_back(ParameterInfo{"readout.weight", O, N, offset, false});
  table_.push_back(ParameterInfo{"readout.bias", O, 1, offset + O * N, true});
  parameters_.resize(offset + O * N + O);

  // PyTorch's default: U(-k, k), k = 1/sqrt(n_hidden), for every recurrent tensor; nn.Linear's
  // default for the readout is the same bound since its fan-in is n_hidden.
  internal::Rng rng(seed, /*stream=*/0x1417);
  const double bound = 1.0 / std::sqrt(static_cast<double>(N));
  for (Eigen::Index i = 0; i < parameters_.size(); ++i) parameters_[i] = rng.uniform(-bound, bound);
  if (architecture_.cell == CellKind::kUgrnn) {
    const ParameterInfo& bias = find("bias_l0");
    parameters_.segment(bias.offset, N).setOnes();  // gate block (g) first
  }
}

void Network::set_parameters(const Eigen::Ref<const Eigen::VectorXd>& parameters) {
  RNNATLAS_CHECK_ARG(
      parameters.size() == parameters_.size(),
      "parameter vector has length " << parameters.size() << ", expected " << parameters_.size());
  RNNATLAS_CHECK_ARG(parameters.allFinite(), "parameter vector has non-finite values");
  parameters_ = parameters;
}

const ParameterInfo& Network::find(std::string_view name) const {
  for (const ParameterInfo& p : table_) {
    if (p.name == name) return p;
  }
  std::ostringstream known;
  for (const ParameterInfo& p : table_) known << (&p == &table_.front() ? "" : ", ") << p.name;
  RNNATLAS_CHECK_ARG(false, "unknown parameter '" << name << "' for a "
                                                  << to_string(architecture_.cell)
                                                  << " network; known: " << known.str());
}

Eigen::MatrixXd Network::parameter(std::string_view name) const {
  const ParameterInfo& p = find(name);
  return internal::ConstRowMap<double>(parameters_.data() + p.offset, p.rows, p.cols);
}

void Network::set_parameter(std::string_view name, const Eigen::Ref<const Eigen::MatrixXd>& value) {
  const ParameterInfo& p = find(name);
  RNNATLAS_CHECK_ARG(value.rows() == p.rows && value.cols() == p.cols,
                     "parameter '" << name << "' has shape [" << value.rows() << ", "
                                   << value.cols() << "], expected [" << p.rows << ", " << p.cols
                                   << "]");
  RNNATLAS_CHECK_ARG(value.allFinite(), "parameter '" << name << "' has non-finite values");
  internal::RowMap<double>(parameters_.data() + p.offset, p.rows, p.cols) = value;
}

Network::Trajectory Network::run(const Eigen::Ref<const Eigen::MatrixXd>& inputs,
                                 int n_batch,
                                 const Eigen::MatrixXd* initial_state) const {
  RNNATLAS_CHECK_ARG(n_batch >= 1, "n_batch = " << n_batch << ": must be >= 1");
  RNNATLAS_CHECK_ARG(inputs.rows() == architecture_.n_input,
                     "inputs have " << inputs.rows() << " channels, the network takes n_input = "
                                    << architecture_.n_input);
  RNNATLAS_CHECK_ARG(inputs.cols() % n_batch == 0 && inputs.cols() > 0,
                     "inputs have "
                         << inputs.cols()
                         << " columns, not a positive multiple of n_batch = " << n_batch);
  RNNATLAS_CHECK_ARG(inputs.allFinite(), "inputs have non-finite values");
  const int n_time = static_cast<int>(inputs.cols() / n_batch);
  Eigen::MatrixXd S0 = Eigen::MatrixXd::Zero(architecture_.n_state(), n_batch);
  if (initial_state) {
    RNNATLAS_CHECK_ARG(initial_state->rows() == S0.rows() && initial_state->cols() == n_batch,
                       "initial state has shape [" << initial_state->rows() << ", "
                                                   << initial_state->cols() << "], expected ["
                                                   << S0.rows() << ", " << n_batch << "]");
    RNNATLAS_CHECK_ARG(initial_state->allFinite(), "initial state has non-finite values");
    S0 = *initial_state;
  }
  SequenceCache<double> cache;
  cell_->forward(parameters_.data(), inputs, S0, n_time, cache);
  Trajectory out;
  out.n_batch = n_batch;
  out.n_time = n_time;
  out.states = cache.states.rightCols(Eigen::Index(n_time) * n_batch);
  out.outputs = readout(out.states);
  return out;
}

void Network::check_state_input(const Eigen::Ref<const Eigen::VectorXd>& state,
                                const Eigen::Ref<const Eigen::VectorXd>& input) const {
  RNNATLAS_CHECK_ARG(
      state.size() == architecture_.n_state(),
      "state has size " << state.size() << ", expected n_state = " << architecture_.n_state());
  RNNATLAS_CHECK_ARG(
      input.size() == architecture_.n_input,
      "input has size " << input.size() << ", expected n_input = " << architecture_.n_input);
  RNNATLAS_CHECK_ARG(state.allFinite(), "state has non-finite values");
  RNNATLAS_CHECK_ARG(input.allFinite(), "input has non-finite values");
}

Eigen::VectorXd Network::step(const Eigen::Ref<const Eigen::VectorXd>& state,
                              const Eigen::Ref<const Eigen::VectorXd>& input) const {
  check_state_input(state, input);
  SequenceCache<double> cache;
  cell_->forward(parameters_.data(), input, state, 1, cache);
  return cache.states.col(1);
}

Eigen::MatrixXd Network::state_jacobian(const Eigen::Ref<const Eigen::VectorXd>& state,
                                        const Eigen::Ref<const Eigen::VectorXd>& input) const {
  check_state_input(state, input);
  Eigen::MatrixXd J;
  cell_->jacobians(parameters_.data(), state, input, J, nullptr);
  return J;
}

Eigen::MatrixXd Network::input_jacobian(const Eigen::Ref<const Eigen::VectorXd>& state,
                                        const Eigen::Ref<const Eigen::VectorXd>& input) const {
  check_state_input(state, input);
  Eigen::MatrixXd J, B;
  cell_->jacobians(parameters_.data(), state, input, J, &B);
  return B;
}

Eigen::MatrixXd Network::readout(const Eigen::Ref<const Eigen::MatrixXd>& states) const {
  RNNATLAS_CHECK_ARG(
      states.rows() == architecture_.n_state(),
      "states have " << states.rows() << " rows, expected n_state = " << architecture_.n_state());
  const int N = architecture_.n_hidden, O = architecture_.n_output;
  const int offset = cell_->n_params();
  const internal::ConstRowMap<double> W(parameters_.data() + offset, O, N);
  const internal::ConstVecMap<double> b(parameters_.data() + offset + O * N, O);
  Eigen::MatrixXd y = W * states.topRows(N);
  y.colwise() += b;
  return y;
}

}  // namespace rnnatlas
