#include "rnnatlas/models/cell.h"

#include "models/cell_impl.h"
#include "rnnatlas/error.h"

namespace rnnatlas {

template <typename Scalar>
std::unique_ptr<Cell<Scalar>> make_vanilla_cell(Activation, int, int);
template <typename Scalar>
std::unique_ptr<Cell<Scalar>> make_gru_cell(Activation, int, int);
template <typename Scalar>
std::unique_ptr<Cell<Scalar>> make_lstm_cell(Activation, int, int);
template <typename Scalar>
std::unique_ptr<Cell<Scalar>> make_ugrnn_cell(Activation, int, int);

template <typename Scalar>
Cell<Scalar>::Cell(Activation activation, int n_input, int n_hidden)
    : activation_(activation), n_input_(n_input), n_hidden_(n_hidden) {
  RNNATLAS_CHECK_ARG(n_input >= 1, "n_input = " << n_input << ": must be >= 1");
  RNNATLAS_CHECK_ARG(n_hidden >= 1, "n_hidden = " << n_hidden << ": must be >= 1");
}

template <typename Scalar>
std::vector<ParameterInfo> Cell<Scalar>::parameters() const {
  const int G = n_gates() * n_hidden_;
  std::vector<ParameterInfo> table;
  int offset = 0;
  auto add = [&](const char* name, int rows, int cols, bool is_bias) {
    table.push_back(ParameterInfo{name, rows, cols, offset, is_bias});
    offset += rows * cols;
  };
  add("weight_ih_l0", G, n_input_, false);
  add("weight_hh_l0", G, n_hidden_, false);
  add("bias_ih_l0", G, 1, true);
  add("bias_hh_l0", G, 1, true);
  return table;
}

template <typename Scalar>
int Cell<Scalar>::n_params() const {
  int n = 0;
  for (const ParameterInfo& p : parameters()) n += p.size();
  return n;
}

template <typename Scalar>
void Cell<Scalar>::jacobians(const Scalar* theta,
                             const Eigen::Ref<const VecS>& s,
                             const Eigen::Ref<const VecS>& x,
                             MatS& J,
                             MatS* B) const {
  RNNATLAS_CHECK_ARG(s.size() == n_state(),
                     "state has size " << s.size() << ", expected n_state = " << n_state());
  RNNATLAS_CHECK_ARG(x.size() == n_input_,
                     "input has size " << x.size() << ", expected n_input = " << n_input_);
  step_jacobians(theta, s, x, J, B);
}

template <typename Scalar>
std::unique_ptr<Cell<Scalar>> make_cell(CellKind kind,
                                        Activation activation,
                                        int n_input,
                                        int n_hidden) {
  switch (kind) {
    case CellKind::kVanilla:
      return make_vanilla_cell<Scalar>(activation, n_input, n_hidden);
    case CellKind::kGru:
      return make_gru_cell<Scalar>(activation, n_input, n_hidden);
    case CellKind::kLstm:
      return make_lstm_cell<Scalar>(activation, n_input, n_hidden);
    case CellKind::kUgrnn:
      return make_ugrnn_cell<Scalar>(activation, n_input, n_hidden);
  }
  RNNATLAS_CHECK_ARG(false, "unknown cell kind " << static_cast<int>(kind));
}

template class Cell<float>;
template class Cell<double>;
template std::unique_ptr<Cell<float>> make_cell<float>(CellKind, Activation, int, int);
template std::unique_ptr<Cell<double>> make_cell<double>(CellKind, Activation, int, int);

}  // namespace rnnatlas
