// Input checks shared by the similarity stage (internal).
#pragma once

#include <Eigen/Core>
#include <cmath>

#include "common/matrix_checks.h"
#include "rnnatlas/error.h"

namespace rnnatlas::similarity::internal {

using ::rnnatlas::internal::check_finite;
using ::rnnatlas::internal::shape_of;

/// Checks an activity matrix [n_samples, n_units]: non-empty, finite, at least `min_samples` rows.
inline void check_activity(const Eigen::Ref<const Eigen::MatrixXd>& m,
                           const char* what,
                           const char* name,
                           int min_samples) {
  RNNATLAS_CHECK_ARG(m.cols() >= 1,
                     what << ": " << name << shape_of(m)
                          << " has no units (columns); expected [n_samples, n_units]");
  RNNATLAS_CHECK_ARG(m.rows() >= min_samples,
                     what << ": " << name << shape_of(m) << " has " << m.rows()
                          << " samples (rows); this metric needs at least " << min_samples);
  check_finite(m, what, name);
}

inline void check_same_samples(int n_x, int n_y, const char* what) {
  RNNATLAS_CHECK_ARG(n_x == n_y, what << ": X has " << n_x << " samples (rows) but Y has " << n_y
                                      << "; rows must be the same trials and time steps in both");
}

/// X minus its column means.
inline Eigen::MatrixXd centre_columns(const Eigen::Ref<const Eigen::MatrixXd>& x) {
  return x.rowwise() - x.colwise().mean();
}

}  // namespace rnnatlas::similarity::internal
