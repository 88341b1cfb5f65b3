// Test helpers: random matrices from a fixed seed, and Euclidean distance matrices.
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

/// Euclidean distances between the rows of points [n, dim] -> [n, n].
inline Eigen::MatrixXd distances_of(const Eigen::MatrixXd& points) {
  const Eigen::Index n = points.rows();
  Eigen::MatrixXd d(n, n);
  for (Eigen::Index i = 0; i < n; ++i)
    for (Eigen::Index j = 0; j < n; ++j) d(i, j) = (points.row(i) - points.row(j)).norm();
  return d;
}

}  // namespace rnnatlas::testing
