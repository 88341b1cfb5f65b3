// The training objective of one network on one batch, with its exact gradient. Private to the
// library; train() uses it in float, the tests check it against finite differences in double.
#pragma once

#include <vector>

#include "models/cell_impl.h"
#include "rnnatlas/models/cell.h"
#include "rnnatlas/tasks/trial_batch.h"

namespace rnnatlas::internal {

/// L(theta) = masked MSE of the readout over the batch + l2 * (||W_ih||^2 + ||W_hh||^2).
/// theta is the network's flat parameter vector: the cell's tensors, readout.weight [n_output,
/// n_hidden] and readout.bias [n_output]. Buffers are kept between calls: one Objective per thread.
template <typename Scalar>
class Objective {
 public:
  Objective(const Cell<Scalar>& cell, int n_output, double l2);

  int n_params() const { return n_cell_ + n_output_ * cell_.n_hidden() + n_output_; }

  /// Returns the data loss (masked MSE) and writes the total loss (with L2) to *total when
  /// non-null. When grad is non-null it receives dL_total/dtheta (overwritten, length n_params()).
  double evaluate(const Scalar* theta, const TrialBatch& batch, Scalar* grad, double* total);

 private:
  const Cell<Scalar>& cell_;
  int n_output_;
  int n_cell_;
  int n_l2_;  // W_ih and W_hh lead every cell's parameters
  double l2_;
  SequenceCache<Scalar> cache_;
  Mat<Scalar> X_, S0_, Y_, dY_, G_h_;
};

extern template class Objective<float>;
extern template class Objective<double>;

}  // namespace rnnatlas::internal
