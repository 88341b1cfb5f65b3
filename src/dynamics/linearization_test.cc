#include "rnnatlas/dynamics/linearization.h"

#include <gtest/gtest.h>

#include <Eigen/LU>
#include <cmath>
#include <complex>
#include <string>

#include "dynamics/dynamics_testing.h"
#include "rnnatlas/error.h"
#include "testing/random_matrix.h"

namespace rnnatlas {
namespace {

using Eigen::MatrixXd;
using Eigen::VectorXd;

TEST(Linearization, RotationScalingHasKnownEigenvaluesAndFrequency) {
  const double theta = 0.3;
  for (const double r : {0.9, 1.1}) {
    const Network network =
        testing::recurrent_only(Activation::kLinear, testing::rotation_scaling(r, theta));
    const Linearization lin = linearize(network, VectorXd::Zero(2), VectorXd::Zero(1));
    ASSERT_EQ(lin.eigenvalues.size(), 2);
    EXPECT_NEAR(std::abs(lin.eigenvalues[0] - std::polar(r, theta)), 0.0, 1e-12) << "r = " << r;
    EXPECT_NEAR(std::abs(lin.eigenvalues[1] - std::polar(r, -theta)), 0.0, 1e-12) << "r = " << r;
    EXPECT_NEAR(lin.leading_frequency, theta, 1e-12);
    EXPECT_NEAR(lin.frequencies()[1], theta, 1e-12);
    EXPECT_EQ(lin.n_unstable, r > 1 ? 2 : 0);
    EXPECT_EQ(lin.stability, r > 1 ? StabilityClass::kUnstable : StabilityClass::kStable);
    EXPECT_EQ(lin.B.rows(), 2);
    EXPECT_EQ(lin.B.cols(), 1);
    EXPECT_EQ(lin.B.norm(), 0.0);  // W_ih = 0
  }
}

TEST(Linearization, ScaledIdentityTanhClassesAreKnownInClosedForm) {
  // At a fixed point J = diag(a (1 - x_i^2)): 2 > 1 where x_i = 0, a (1 - x*^2) < 1 elsewhere, so
  // the number of unstable dimensions is the number of zero coordinates.
  const int N = 3;
  const Network network = testing::scaled_identity_tanh(N, 2.0);
  internal::Rng rng(17);
  const FixedPointResult found =
      find_fixed_points(network, testing::random_normal(N, 512, 1.0, rng), VectorXd::Zero(1));
  ASSERT_EQ(found.points.n_points(), 27);
  const std::vector<Linearization> lins = linearize(network, found.points);
  ASSERT_EQ(lins.size(), 27u);
  int n_stable = 0, n_unstable = 0, n_saddle = 0;
  for (int p = 0; p < 27; ++p) {
    const Linearization& lin = lins[p];
    const int n_zero = static_cast<int>((found.points.states.col(p).array().abs() < 0.1).count());
    EXPECT_EQ(lin.n_unstable, n_zero) << "point " << p;
    EXPECT_EQ(lin.n_marginal, 0);
    EXPECT_EQ(lin.unstable_modes().size(), static_cast<std::size_t>(n_zero));
    EXPECT_TRUE(std::isnan(lin.leading_frequency));  // all eigenvalues real
    if (n_zero == 0) {
      EXPECT_EQ(lin.stability, StabilityClass::kStable);
      ++n_stable;
    } else if (n_zero == N) {
      EXPECT_EQ(lin.stability, StabilityClass::kUnstable);
      EXPECT_NEAR(lin.eigenvalues[0].real(), 2.0, 1e-12);
      ++n_unstable;
    } else {
      EXPECT_EQ(lin.stability, StabilityClass::kSaddle);
      ++n_saddle;
    }
  }
  EXPECT_EQ(n_stable, 8);  // 2^N corners
  EXPECT_EQ(n_unstable, 1);
  EXPECT_EQ(n_saddle, 18);
}

TEST(Linearization, LineAttractorHasOneMarginalMode) {
  MatrixXd P(3, 3);
  P << 1.0, 0.3, -0.2, 0.5, 1.0, 0.4, -0.3, 0.2, 1.0;
  const VectorXd lambda = (VectorXd(3) << 1.0, 0.5, 0.2).finished();
  const MatrixXd W = P * lambda.asDiagonal() * P.inverse();
  const Network network = testing::recurrent_only(Activation::kLinear, W);
  internal::Rng rng(8);
  const FixedPointResult found =
      find_fixed_points(network, testing::random_normal(3, 16, 1.0, rng), VectorXd::Zero(1));
  ASSERT_GE(found.points.n_points(), 1);
  for (const Linearization& lin : linearize(network, found.points)) {
    EXPECT_NEAR(lin.eigenvalues[0].real(), 1.0, 1e-12);
    EXPECT_NEAR(lin.eigenvalues[1].real(), 0.5, 1e-12);
    EXPECT_NEAR(lin.eigenvalues[2].real(), 0.2, 1e-12);
    EXPECT_EQ(lin.n_marginal, 1);
    EXPECT_EQ(lin.n_unstable, 0);
    EXPECT_EQ(lin.stability, StabilityClass::kMarginal);
    // The marginal mode points along the line (up to sign and phase).
    const Eigen::VectorXcd r0 = lin.right_eigenvectors.col(0);
    EXPECT_NEAR(std::abs(r0.dot(P.col(0).normalized().cast<std::complex<double>>())), 1.0, 1e-12);
  }
}

TEST(Linearization, EigenvectorsAreSortedAndBiorthonormal) {
  Architecture arch;
  arch.cell = CellKind::kGru;
  arch.n_input = 2;
  arch.n_hidden = 6;
  Network network(arch, 4);
  internal::Rng rng(6);
  network.set_parameters(testing::random_vector(network.n_params(), 0.9, rng));
  const VectorXd s = testing::random_vector(6, 0.5, rng);
  const VectorXd u = testing::random_vector(2, 0.5, rng);
  const Linearization lin = linearize(network, s, u);
  const Eigen::Index n = 6;
  const Eigen::MatrixXcd J = lin.J.cast<std::complex<double>>();
  const Eigen::MatrixXcd& R = lin.right_eigenvectors;
  const Eigen::MatrixXcd& L = lin.left_eigenvectors;
  EXPECT_LT((L.transpose() * R - Eigen::MatrixXcd::Identity(n, n)).norm(), 1e-10);
  EXPECT_LT((J * R - R * lin.eigenvalues.asDiagonal()).norm(), 1e-10);
  EXPECT_LT((L.transpose() * J - lin.eigenvalues.asDiagonal() * L.transpose()).norm(), 1e-10);
  for (Eigen::Index i = 0; i < n; ++i) {
    EXPECT_NEAR(R.col(i).norm(), 1.0, 1e-12);
    if (i > 0) {
      EXPECT_GE(std::abs(lin.eigenvalues[i - 1]), std::abs(lin.eigenvalues[i]) - 1e-15);
    }
  }
  EXPECT_GT(lin.eigenvector_rcond, 0.0);
  // J and B against central differences of one step.
  const double h = 1e-6;
  for (int j = 0; j < 6; ++j) {
    VectorXd plus = s, minus = s;
    plus[j] += h;
    minus[j] -= h;
    const VectorXd column = (network.step(plus, u) - network.step(minus, u)) / (2 * h);
    EXPECT_LT((lin.J.col(j) - column).norm(), 1e-8) << "state column " << j;
  }
  for (int j = 0; j < 2; ++j) {
    VectorXd plus = u, minus = u;
    plus[j] += h;
    minus[j] -= h;
    const VectorXd column = (network.step(s, plus) - network.step(s, minus)) / (2 * h);
    EXPECT_LT((lin.B.col(j) - column).norm(), 1e-8) << "input column " << j;
  }
}

TEST(AnalyzeJacobian, CountsModesAndClassifiesWithTheToleranceBand) {
  const auto diag = [](std::initializer_list<double> values) {
    VectorXd d(static_cast<Eigen::Index>(values.size()));
    Eigen::Index i = 0;
    for (double v : values) d[i++] = v;
    return MatrixXd(d.asDiagonal());
  };
  Linearization lin = analyze_jacobian(diag({1.5, 1.0005, 0.5}));
  EXPECT_EQ(lin.n_unstable, 1);
  EXPECT_EQ(lin.n_marginal, 1);
  EXPECT_EQ(lin.stability, StabilityClass::kSaddle);
  EXPECT_EQ(analyze_jacobian(diag({-2.0, 2.0})).stability, StabilityClass::kUnstable);
  EXPECT_EQ(analyze_jacobian(diag({0.9995, 0.1})).stability, StabilityClass::kMarginal);
  LinearizationOptions tight;
  tight.stability_tol = 1e-4;
  EXPECT_EQ(analyze_jacobian(diag({0.9995, 0.1}), tight).stability, StabilityClass::kStable);
  // A complex pair outside the unit circle counts as two unstable dimensions.
  MatrixXd J = MatrixXd::Zero(3, 3);
  J.topLeftCorner(2, 2) = testing::rotation_scaling(1.2, 0.7);
  J(2, 2) = -0.5;
  lin = analyze_jacobian(J);
  EXPECT_EQ(lin.n_unstable, 2);
  EXPECT_EQ(lin.stability, StabilityClass::kSaddle);
  EXPECT_GT(lin.eigenvalues[0].imag(), 0.0);  // positive imaginary part first
  EXPECT_NEAR(lin.leading_frequency, 0.7, 1e-12);
  EXPECT_NEAR(lin.frequencies()[2], M_PI, 1e-12);
  LinearizationOptions no_vectors;
  no_vectors.compute_eigenvectors = false;
  lin = analyze_jacobian(J, no_vectors);
  EXPECT_EQ(lin.right_eigenvectors.size(), 0);
  EXPECT_EQ(lin.n_unstable, 2);
}

TEST(LinearizationOptions, ValidationNamesTheField) {
  LinearizationOptions o;
  o.stability_tol = 1.0;
  try {
    o.validate();
    ADD_FAILURE() << "expected InvalidArgument";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("stability_tol = 1"), std::string::npos) << e.what();
  }
  EXPECT_THROW(analyze_jacobian(MatrixXd::Zero(2, 3)), InvalidArgument);
  const Network network = testing::scaled_identity_tanh(2, 2.0);
  EXPECT_THROW(linearize(network, VectorXd::Zero(3), VectorXd::Zero(1)), InvalidArgument);
}

}  // namespace
}  // namespace rnnatlas
