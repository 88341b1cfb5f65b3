#include "rnnatlas/dynamics/linearization.h"

#include <Eigen/Eigenvalues>
#include <Eigen/LU>
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <sstream>

#include "common/parallel.h"
#include "rnnatlas/enum_names.h"
#include "rnnatlas/error.h"

namespace rnnatlas {

constexpr EnumName<StabilityClass> kStabilityClassNames[] = {
    {StabilityClass::kStable, "stable"},
    {StabilityClass::kMarginal, "marginal"},
    {StabilityClass::kSaddle, "saddle"},
    {StabilityClass::kUnstable, "unstable"}};

std::string_view to_string(StabilityClass stability) {
  return enum_to_string<StabilityClass>(kStabilityClassNames, stability);
}

namespace {

using L = LinearizationOptions;
constexpr OptionField<L> kLinearizationFields[] = {
    {"stability_tol", &L::stability_tol, Rule::in_closed_open(0, 1),
     "half-width of the marginal band around |lambda| = 1"},
    {"compute_eigenvectors", &L::compute_eigenvectors, Rule::none(),
     "right and left eigenvectors too (else only eigenvalues)", 0},
};

}  // namespace

const Schema<LinearizationOptions>& LinearizationOptions::schema() {
  static constexpr Schema<LinearizationOptions> kSchema{kLinearizationFields};
  return kSchema;
}

void LinearizationOptions::validate() const { schema().validate(*this); }

Eigen::VectorXd Linearization::frequencies() const {
  return eigenvalues.unaryExpr([](const std::complex<double>& z) { return std::abs(std::arg(z)); });
}

std::vector<int> Linearization::unstable_modes() const {
  std::vector<int> modes;
  for (Eigen::Index i = 0; i < eigenvalues.size(); ++i) {
    if (std::abs(eigenvalues[i]) > 1.0 + stability_tol) modes.push_back(static_cast<int>(i));
  }
  return modes;
}

Linearization analyze_jacobian(const Eigen::Ref<const Eigen::MatrixXd>& J,
                               const LinearizationOptions& options) {
  options.validate();
  RNNATLAS_CHECK_ARG(J.rows() == J.cols() && J.rows() >= 1,
                     "Jacobian has shape [" << J.rows() << ", " << J.cols()
                                            << "], expected a square matrix [n, n], n >= 1");
  RNNATLAS_CHECK_ARG(J.allFinite(), "Jacobian has non-finite values");
  const Eigen::Index n = J.rows();
  Linearization lin;
  lin.J = J;
  lin.stability_tol = options.stability_tol;

  const Eigen::EigenSolver<Eigen::MatrixXd> solver(lin.J, options.compute_eigenvectors);
  const Eigen::VectorXcd& values = solver.eigenvalues();
  // Sort by |lambda| descending; within a conjugate pair (equal modulus) positive imaginary first.
  std::vector<Eigen::Index> order(n);
  std::iota(order.begin(), order.end(), Eigen::Index(0));
  std::stable_sort(order.begin(), order.end(), [&](Eigen::Index a, Eigen::Index b) {
    const double ma = std::abs(values[a]), mb = std::abs(values[b]);
    if (ma != mb) return ma > mb;
    return values[a].imag() > values[b].imag();
  });
  lin.eigenvalues.resize(n);
  for (Eigen::Index i = 0; i < n; ++i) lin.eigenvalues[i] = values[order[i]];

  if (options.compute_eigenvectors) {
    const Eigen::MatrixXcd vectors = solver.eigenvectors();  // unit 2-norm columns
    lin.right_eigenvectors.resize(n, n);
    for (Eigen::Index i = 0; i < n; ++i) lin.right_eigenvectors.col(i) = vectors.col(order[i]);
    // Rows of R^{-1} are the left eigenvectors with l_i^T r_j = delta_ij.
    const Eigen::PartialPivLU<Eigen::MatrixXcd> lu(lin.right_eigenvectors);
    lin.eigenvector_rcond = lu.rcond();
    lin.left_eigenvectors = lu.inverse().transpose();
  }

  const double tol = options.stability_tol;
  for (Eigen::Index i = 0; i < n; ++i) {
    const double modulus = std::abs(lin.eigenvalues[i]);
    if (modulus > 1.0 + tol) {
      ++lin.n_unstable;
    } else if (modulus >= 1.0 - tol) {
      ++lin.n_marginal;
    }
  }
  if (lin.n_unstable == n) {
    lin.stability = StabilityClass::kUnstable;
  } else if (lin.n_unstable > 0) {
    lin.stability = StabilityClass::kSaddle;
  } else if (lin.n_marginal > 0) {
    lin.stability = StabilityClass::kMarginal;
  } else {
    lin.stability = StabilityClass::kStable;
  }

  lin.leading_frequency = std::numeric_limits<double>::quiet_NaN();
  for (Eigen::Index i = 0; i < n; ++i) {
    if (lin.eigenvalues[i].imag() != 0.0) {
      lin.leading_frequency = std::abs(std::arg(lin.eigenvalues[i]));
      break;
    }
  }
  return lin;
}

Linearization linearize(const Network& network,
                        const Eigen::Ref<const Eigen::VectorXd>& state,
                        const Eigen::Ref<const Eigen::VectorXd>& input,
                        const LinearizationOptions& options) {
  options.validate();
  const Architecture& arch = network.architecture();
  RNNATLAS_CHECK_ARG(
      state.size() == arch.n_state(),
      "state has size " << state.size() << ", expected n_state = " << arch.n_state());
  RNNATLAS_CHECK_ARG(input.size() == arch.n_input,
                     "input has size " << input.size() << ", expected n_input = " << arch.n_input);
  RNNATLAS_CHECK_ARG(state.allFinite() && input.allFinite(),
                     "state or input has non-finite values");
  Eigen::MatrixXd J, B;
  network.cell().jacobians(network.parameters().data(), state, input, J, &B);
  Linearization lin = analyze_jacobian(J, options);
  lin.state = state;
  lin.input = input;
  lin.B = std::move(B);
  return lin;
}

std::vector<Linearization> linearize(const Network& network,
                                     const FixedPoints& points,
                                     const LinearizationOptions& options,
                                     const Execution& execution) {
  options.validate();
  execution.validate();
  std::vector<Linearization> out(points.n_points());
  internal::parallel_ranges(points.n_points(), execution.n_threads, [&](int begin, int end, int) {
    for (int i = begin; i < end; ++i) {
      out[i] = linearize(network, points.states.col(i), points.input, options);
    }
  });
  return out;
}

}  // namespace rnnatlas
