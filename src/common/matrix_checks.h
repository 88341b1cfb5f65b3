// Input checks of matrices shared by the stages that take arrays from users (internal).
#pragma once

#include <Eigen/Core>
#include <cmath>
#include <sstream>
#include <string>

#include "rnnatlas/error.h"

namespace rnnatlas::internal {

/// "[rows, cols]", for messages.
inline std::string shape_of(const Eigen::Ref<const Eigen::MatrixXd>& m) {
  std::ostringstream ss;
  ss << "[" << m.rows() << ", " << m.cols() << "]";
  return ss.str();
}

/// Throws InvalidArgument naming the first non-finite entry of `m`.
inline void check_finite(const Eigen::Ref<const Eigen::MatrixXd>& m,
                         const char* what,
                         const char* name) {
  if (m.allFinite()) return;  // vectorized; the loop below only finds the culprit
  for (Eigen::Index j = 0; j < m.cols(); ++j)
    for (Eigen::Index i = 0; i < m.rows(); ++i)
      RNNATLAS_CHECK_ARG(std::isfinite(m(i, j)), what << ": " << name << shape_of(m)
                                                      << " has a non-finite entry " << m(i, j)
                                                      << " at (" << i << ", " << j
                                                      << "); remove NaN/inf activity first");
}

}  // namespace rnnatlas::internal
