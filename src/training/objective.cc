#include "training/objective.h"

#include "models/gemm.h"
#include "rnnatlas/training/train.h"

namespace rnnatlas::internal {

template <typename Scalar>
Objective<Scalar>::Objective(const Cell<Scalar>& cell, int n_output, double l2)
    : cell_(cell), n_output_(n_output), n_cell_(cell.n_params()), l2_(l2) {
  const std::vector<ParameterInfo> table = cell.parameters();
  n_l2_ = table[0].size() + table[1].size();
}

template <typename Scalar>
double Objective<Scalar>::evaluate(const Scalar* theta,
                                   const TrialBatch& batch,
                                   Scalar* grad,
                                   double* total) {
  const int N = cell_.n_hidden(), O = n_output_, B = batch.n_batch, T = batch.n_time;
  if constexpr (std::is_same_v<Scalar, double>) {
    X_ = batch.inputs;
  } else {
    X_ = batch.inputs.cast<Scalar>();
  }
  if (S0_.rows() != cell_.n_state() || S0_.cols() != B) S0_.setZero(cell_.n_state(), B);

  // Forward: the cell over all steps, then the readout of all steps at once.
  cell_.forward(theta, X_, S0_, T, cache_);
  const auto H = cache_.states.rightCols(Eigen::Index(T) * B).topRows(N);  // [N, T*B]
  const ConstRowMap<Scalar> W_out(theta + n_cell_, O, N);
  const ConstVecMap<Scalar> b_out(theta + n_cell_ + O * N, O);
  Y_.resize(O, H.cols());
  assign_product(Y_, W_out, H);
  Y_.colwise() += b_out;
  const double loss = masked_mse<Scalar>(Y_, batch, grad ? &dY_ : nullptr);
  const ConstVecMap<Scalar> W(theta, n_l2_);
  if (total) *total = loss + l2_ * W.template cast<double>().squaredNorm();
  if (!grad) return loss;

  // Backward: the readout, then BPTT through the cell, then the L2 term.
  VecMap<Scalar> g(grad, n_params());
  g.setZero();
  assign_product(RowMap<Scalar>(grad + n_cell_, O, N), dY_, H.transpose());
  VecMap<Scalar>(grad + n_cell_ + O * N, O) = dY_.rowwise().sum();
  G_h_.resize(N, dY_.cols());
  assign_product(G_h_, W_out.transpose(), dY_);
  cell_.backward(theta, X_, cache_, &G_h_, nullptr, grad, nullptr, nullptr);
  if (l2_ > 0) g.head(n_l2_) += Scalar(2 * l2_) * W;
  return loss;
}

template class Objective<float>;
template class Objective<double>;

}  // namespace rnnatlas::internal
