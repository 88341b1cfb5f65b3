// Input checks of the embedding stage (internal).
#pragma once

#include <Eigen/Core>
#include <cmath>

#include "common/matrix_checks.h"
#include "rnnatlas/error.h"

namespace rnnatlas::embedding::internal {

using ::rnnatlas::internal::check_finite;
using ::rnnatlas::internal::shape_of;

/// Checks a distance matrix [n, n]: square, at least `min_n` points, finite, non-negative,
/// symmetric (to 1e-9 relative) and zero on the diagonal.
inline void check_distance_matrix(const Eigen::Ref<const Eigen::MatrixXd>& d,
                                  const char* what,
                                  int min_n = 2) {
  RNNATLAS_CHECK_ARG(d.rows() == d.cols(),
                     what << ": distances" << shape_of(d) << " is not square");
  RNNATLAS_CHECK_ARG(d.rows() >= min_n, what << ": distances" << shape_of(d) << " has " << d.rows()
                                             << " points; need at least " << min_n);
  check_finite(d, what, "distances");
  const double scale = d.cwiseAbs().maxCoeff();
  for (Eigen::Index i = 0; i < d.rows(); ++i) {
    RNNATLAS_CHECK_ARG(d(i, i) == 0.0, what << ": distances(" << i << ", " << i << ") = " << d(i, i)
                                            << "; the diagonal must be 0");
    for (Eigen::Index j = 0; j < i; ++j) {
      RNNATLAS_CHECK_ARG(d(i, j) >= 0.0, what << ": distances(" << i << ", " << j
                                              << ") = " << d(i, j) << " is negative");
      RNNATLAS_CHECK_ARG(std::abs(d(i, j) - d(j, i)) <= 1e-9 * scale,
                         what << ": distances is not symmetric: (" << i << ", " << j << ") = "
                              << d(i, j) << " but (" << j << ", " << i << ") = " << d(j, i));
    }
  }
}

}  // namespace rnnatlas::embedding::internal
