// Test helpers: random matrices from a fixed seed.
#pragma once

#include <Eigen/Core>

#include "common/random.h"

namespace rnnatlas::testing {

inline Eigen::MatrixXd random_normal(int rows, int cols, double scale, internal::Rng& rng) {
  Eigen::MatrixXd m(rows, cols);
  for (Eigen::Index j = 0; j < m.cols(); ++j)
    for (Eigen::Index i = 0; i < m.rows(); ++i) m(i, j) = scale * rng.normal();
  return m;
}

inline Eigen::VectorXd random_vector(int n, double scale, internal::Rng& rng) {
  return random_normal(n, 1, scale, rng);
}

}  // namespace rnnatlas::testing
