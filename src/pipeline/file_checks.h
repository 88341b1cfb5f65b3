// Checks of file names and contents shared by the distance and embedding files (internal).
#pragma once

#include <Eigen/Core>
#include <cmath>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace rnnatlas::similarity::internal {

/// "" when `d` is a distance matrix (square, finite, non-negative, exactly symmetric, zero
/// diagonal); otherwise what is wrong, naming the first offending entry.
inline std::string distance_matrix_problem(const Eigen::MatrixXd& d) {
  std::ostringstream ss;
  if (d.rows() != d.cols()) {
    ss << "the distance matrix is [" << d.rows() << ", " << d.cols() << "], not square";
    return ss.str();
  }
  for (Eigen::Index j = 0; j < d.cols(); ++j) {
    for (Eigen::Index i = 0; i < d.rows(); ++i) {
      const double v = d(i, j);
      if (!std::isfinite(v) || v < 0.0) {
        ss << "distance (" << i << ", " << j << ") = " << v << " is not finite and >= 0";
      } else if (i == j && v != 0.0) {
        ss << "distance (" << i << ", " << i << ") = " << v << "; the diagonal must be 0";
      } else if (v != d(j, i)) {
        ss << "the distance matrix is not symmetric: (" << i << ", " << j << ") = " << v << " but ("
           << j << ", " << i << ") = " << d(j, i);
      } else {
        continue;
      }
      return ss.str();
    }
  }
  return "";
}

/// The first string of `items` that appeared before, or "" when all are distinct.
inline std::string first_duplicate(const std::vector<std::string>& items) {
  std::set<std::string> seen;
  for (const std::string& item : items)
    if (!seen.insert(item).second) return item;
  return "";
}

/// Whether `stem` is a plain file name of letters, digits, '_', '-' and '.' (not "." or ".."),
/// safe to use as DIR/similarity/<stem>.h5.
inline bool is_file_stem(const std::string& stem) {
  if (stem.empty() || stem == "." || stem == "..") return false;
  for (const char c : stem) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

}  // namespace rnnatlas::similarity::internal
