// A batch of trials: what every task generator returns and what training and analysis consume.
#pragma once

#include <Eigen/Core>

namespace rnnatlas {

/// Inputs, targets and loss mask of `n_batch` trials of `n_time` steps.
///
/// Layout is time-major, one column per (time step, trial): column `t * n_batch + b` holds step t
/// of trial b. So `input(t)` is the [n_input, n_batch] matrix a batched cell step consumes, with no
/// copy. (The Python module presents the same data as numpy arrays [n_batch, n_time, n_channel].)
struct TrialBatch {
  int n_batch = 0;
  int n_time = 0;
  Eigen::MatrixXd inputs;   ///< [n_input, n_time * n_batch]
  Eigen::MatrixXd targets;  ///< [n_output, n_time * n_batch]
  Eigen::MatrixXd mask;     ///< [n_output, n_time * n_batch]; 1 = scored by the loss, 0 = ignored

  int n_input() const { return static_cast<int>(inputs.rows()); }
  int n_output() const { return static_cast<int>(targets.rows()); }

  /// Column index of step t of trial b.
  Eigen::Index column(int t, int b) const { return static_cast<Eigen::Index>(t) * n_batch + b; }
  auto input(int t) const {
    return inputs.middleCols(static_cast<Eigen::Index>(t) * n_batch, n_batch);
  }
  auto target(int t) const {
    return targets.middleCols(static_cast<Eigen::Index>(t) * n_batch, n_batch);
  }
};

}  // namespace rnnatlas
