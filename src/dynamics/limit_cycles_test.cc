#include "rnnatlas/dynamics/limit_cycles.h"

#include <gtest/gtest.h>

#include <Eigen/LU>
#include <algorithm>
#include <cmath>
#include <complex>
#include <numbers>
#include <string>

#include "dynamics/dynamics_testing.h"
#include "rnnatlas/error.h"
#include "testing/random_matrix.h"

namespace rnnatlas {
namespace {

using Eigen::MatrixXd;
using Eigen::VectorXd;

constexpr double kPi = std::numbers::pi;

/// h' = tanh(W h), W = [[0, a], [-a, 0]]: F^4 acts coordinatewise as g(g(x)), g = tanh(a tanh(a
/// .)), so every period-4 point has coordinates in {-c, 0, c}, c = tanh(a c). Two period-4 orbits:
/// the diagonal one (c, c) -> (c, -c) -> (-c, -c) -> (-c, c), where every Jacobian is
/// a (1 - c^2) K (K = [[0, 1], [-1, 0]], K^4 = I), so M = (a (1 - c^2))^4 I: stable;
/// and the axis one (c, 0) -> (0, -c) -> (-c, 0) -> (0, c), where the Jacobians alternate
/// diag(1, d) W and diag(d, 1) W (d = 1 - c^2) and M = diag(a^4 d^4, a^4): a saddle.
Network rotating_tanh(double a) {
  MatrixXd W(2, 2);
  W << 0.0, a, -a, 0.0;
  return testing::recurrent_only(Activation::kTanh, W);
}

VectorXd vec2(double x, double y) {
  VectorXd v(2);
  v << x, y;
  return v;
}

/// Index of the column of `points` nearest to p, and the distance.
std::pair<int, double> nearest(const MatrixXd& points, const VectorXd& p) {
  Eigen::Index j = 0;
  const double d = (points.colwise() - p).colwise().norm().minCoeff(&j);
  return {static_cast<int>(j), d};
}

TEST(ClassifyAttractors, RotatingTanhNetworkReachesTheStablePeriodFourOrbit) {
  const double a = 1.5;
  const double c = testing::tanh_fixed_point(a);
  const double mu = std::pow(a * (1.0 - c * c), 4);  // double Floquet multiplier
  const Network network = rotating_tanh(a);
  internal::Rng rng(3);
  const MatrixXd starts = testing::random_normal(2, 12, 1.0, rng);
  const AttractorResult result = classify_attractors(network, starts, VectorXd::Zero(1));
  ASSERT_EQ(result.runs.size(), 12u);
  EXPECT_EQ(result.counts[static_cast<int>(AttractorKind::kPeriodicOrbit)], 12)
      << result.brief_report();
  EXPECT_EQ(result.n_unique, 1);
  for (const Attractor& run : result.runs) {
    ASSERT_EQ(run.kind, AttractorKind::kPeriodicOrbit) << run.message;
    EXPECT_EQ(run.same_as, 0);
    const PeriodicOrbit& orbit = run.orbit;
    ASSERT_EQ(orbit.period, 4);
    EXPECT_TRUE(orbit.converged);
    EXPECT_LT(orbit.residual, 1e-14);
    for (const double sx : {-1.0, 1.0}) {
      for (const double sy : {-1.0, 1.0}) {
        EXPECT_LT(nearest(orbit.points, vec2(sx * c, sy * c)).second, 1e-13);
      }
    }
    // Each step rotates by -90 degrees: (x, y) -> (y, -x) for |x| = |y| = c.
    for (int k = 0; k < 4; ++k) {
      const VectorXd p = orbit.points.col(k), next = orbit.points.col((k + 1) % 4);
      EXPECT_NEAR(next[0], p[1], 1e-13);
      EXPECT_NEAR(next[1], -p[0], 1e-13);
    }
    ASSERT_EQ(orbit.multipliers.size(), 2);
    for (int i = 0; i < 2; ++i) {
      EXPECT_NEAR(orbit.multipliers[i].real(), mu, 1e-12);
      EXPECT_NEAR(orbit.multipliers[i].imag(), 0.0, 1e-12);
    }
    EXPECT_TRUE(orbit.monodromy.isApprox(mu * MatrixXd::Identity(2, 2), 1e-10));
    EXPECT_EQ(orbit.stability, StabilityClass::kStable);
    EXPECT_EQ(orbit.n_unstable, 0);
    EXPECT_EQ(std::abs(orbit.winding_number), 1);
    EXPECT_NEAR(orbit.frequency, kPi / 2, 1e-15);
    EXPECT_NEAR(orbit.amplitude.rms_radius, std::sqrt(2.0) * c, 1e-13);
    EXPECT_NEAR(orbit.amplitude.max_radius, std::sqrt(2.0) * c, 1e-13);
    EXPECT_LT(orbit.amplitude.center.norm(), 1e-13);
    EXPECT_NEAR(orbit.amplitude.half_range[0], c, 1e-13);
    EXPECT_NEAR(orbit.amplitude.half_range[1], c, 1e-13);
    ASSERT_EQ(run.lyapunov_exponents.size(), 2);
    EXPECT_NEAR(run.lyapunov_exponents[0], std::log(a * (1.0 - c * c)), 1e-10);
    EXPECT_NEAR(run.lyapunov_exponents[1], std::log(a * (1.0 - c * c)), 1e-10);
  }
}

TEST(RefinePeriodicOrbit, NewtonShootingConvergesQuadraticallyToTheSaddleOrbit) {
  const double a = 1.5;
  const double c = testing::tanh_fixed_point(a);
  const double d = 1.0 - c * c;
  const Network network = rotating_tanh(a);
  const PeriodicOrbit orbit =
      refine_periodic_orbit(network, vec2(c + 0.05, 0.04), VectorXd::Zero(1), 4);
  ASSERT_TRUE(orbit.converged) << "residual " << orbit.residual;
  EXPECT_EQ(orbit.period, 4);
  EXPECT_LT(orbit.residual, 1e-15);
  // Quadratic convergence: r_{k+1} <= C r_k^2 until rounding takes over.
  const std::vector<double>& r = orbit.residual_history;
  ASSERT_GE(r.size(), 4u);
  EXPECT_GT(r[0], 1e-2);
  int n_checked = 0;
  for (std::size_t k = 0; k + 1 < r.size(); ++k) {
    if (r[k] < 1e-7) break;
    EXPECT_LE(r[k + 1], 10.0 * r[k] * r[k]) << "step " << k;
    ++n_checked;
  }
  EXPECT_GE(n_checked, 2);
  EXPECT_LE(orbit.n_newton_iters, 6);
  // The axis orbit, starting near (c, 0).
  EXPECT_LT((orbit.points.col(0) - vec2(c, 0.0)).norm(), 1e-14);
  EXPECT_LT((orbit.points.col(1) - vec2(0.0, -c)).norm(), 1e-14);
  EXPECT_LT((orbit.points.col(2) - vec2(-c, 0.0)).norm(), 1e-14);
  EXPECT_LT((orbit.points.col(3) - vec2(0.0, c)).norm(), 1e-14);
  // M = diag(a^4 d^4, a^4): a saddle.
  ASSERT_EQ(orbit.multipliers.size(), 2);
  EXPECT_NEAR(orbit.multipliers[0].real(), std::pow(a, 4), 1e-12);
  EXPECT_NEAR(orbit.multipliers[1].real(), std::pow(a * d, 4), 1e-12);
  EXPECT_EQ(orbit.multipliers.imag().cwiseAbs().maxCoeff(), 0.0);
  EXPECT_EQ(orbit.stability, StabilityClass::kSaddle);
  EXPECT_EQ(orbit.n_unstable, 1);
  EXPECT_NEAR(orbit.frequency, kPi / 2, 1e-15);
  const VectorXd exponents = orbit.lyapunov_exponents();
  EXPECT_NEAR(exponents[0], std::log(a), 1e-12);
  EXPECT_NEAR(exponents[1], std::log(a * d), 1e-12);
}

TEST(RefinePeriodicOrbit, ReportsTheMinimalPeriodAndNonConvergence) {
  const double a = 1.5;
  const double c = testing::tanh_fixed_point(a);
  const Network network = rotating_tanh(a);
  // Asked for period 8 on the period-4 orbit.
  const PeriodicOrbit twice =
      refine_periodic_orbit(network, vec2(0.9 * c, 1.1 * c), VectorXd::Zero(1), 8);
  EXPECT_TRUE(twice.converged);
  EXPECT_EQ(twice.period, 4);
  EXPECT_EQ(twice.points.cols(), 4);
  // The origin is the only fixed point; no period-3 orbit exists (F^4 = g o g coordinatewise
  // and there is no period 2), so shooting for P = 3 away from the origin cannot converge there.
  ShootingOptions options;
  options.newton.enabled = false;
  const PeriodicOrbit unrefined =
      refine_periodic_orbit(network, vec2(c, c), VectorXd::Zero(1), 3, options);
  EXPECT_FALSE(unrefined.converged);
  EXPECT_EQ(unrefined.n_newton_iters, 0);
  EXPECT_EQ(unrefined.residual_history.size(), 1u);
  EXPECT_GT(unrefined.residual, 0.1);
}

TEST(IterateMap, JacobianOfThePStepMapMatchesFiniteDifferences) {
  constexpr double kStep = 1e-6;
  for (const CellKind kind :
       {CellKind::kVanilla, CellKind::kGru, CellKind::kLstm, CellKind::kUgrnn}) {
    Architecture arch;
    arch.cell = kind;
    arch.n_input = 2;
    arch.n_hidden = 4;
    Network network(arch, /*seed=*/11);
    // Stronger weights than the default initialisation, so the products are not tiny.
    network.set_parameters(3.0 * network.parameters());
    internal::Rng rng(7);
    const VectorXd s = testing::random_vector(arch.n_state(), 0.5, rng);
    const VectorXd u = testing::random_vector(2, 0.5, rng);
    const int P = 5;
    MatrixXd M;
    const VectorXd FP = iterate_map(network, s, u, P, &M);
    // F^P by single steps agrees with iterate_map.
    VectorXd x = s;
    for (int t = 0; t < P; ++t) x = network.step(x, u);
    EXPECT_LT((x - FP).norm(), 1e-15) << to_string(kind);
    ASSERT_EQ(M.rows(), arch.n_state());
    for (int j = 0; j < arch.n_state(); ++j) {
      VectorXd plus = s, minus = s;
      plus[j] += kStep;
      minus[j] -= kStep;
      const VectorXd column =
          (iterate_map(network, plus, u, P) - iterate_map(network, minus, u, P)) / (2 * kStep);
      EXPECT_LT((column - M.col(j)).norm(), 1e-8 * std::max(1.0, column.norm()))
          << to_string(kind) << " column " << j;
    }
  }
}

TEST(RefinePeriodicOrbit, FloquetMultipliersMatchFiniteDifferencesOfThePStepMap) {
  // A GRU driven into a period-P orbit has no closed form; instead check the multipliers of the
  // saddle orbit against the eigenvalues of a central-difference monodromy matrix.
  constexpr double kStep = 1e-6;
  const double a = 1.7;
  const double c = testing::tanh_fixed_point(a);
  const Network network = rotating_tanh(a);
  const PeriodicOrbit orbit =
      refine_periodic_orbit(network, vec2(c - 0.02, 0.01), VectorXd::Zero(1), 4);
  ASSERT_TRUE(orbit.converged);
  MatrixXd fd(2, 2);
  for (int j = 0; j < 2; ++j) {
    VectorXd plus = orbit.points.col(0), minus = orbit.points.col(0);
    plus[j] += kStep;
    minus[j] -= kStep;
    fd.col(j) = (iterate_map(network, plus, VectorXd::Zero(1), 4) -
                 iterate_map(network, minus, VectorXd::Zero(1), 4)) /
                (2 * kStep);
  }
  EXPECT_LT((fd - orbit.monodromy).norm(), 1e-8 * orbit.monodromy.norm());
  const Linearization lin = analyze_jacobian(fd);
  for (int i = 0; i < 2; ++i) {
    EXPECT_LT(std::abs(lin.eigenvalues[i] - orbit.multipliers[i]),
              1e-8 * std::abs(orbit.multipliers[i]));
  }
}

TEST(ClassifyAttractors, LinearRotationHasNeutralInvariantCirclesOfFrequencyTheta) {
  for (const double theta : {0.3, 1.0, 2.5}) {
    const Network network =
        testing::recurrent_only(Activation::kLinear, testing::rotation_scaling(1.0, theta));
    MatrixXd starts(2, 2);
    starts << 1.0, 0.3, 0.0, -0.4;  // radii 1 and 0.5
    LimitCycleOptions options;
    options.n_transient = 100;
    const AttractorResult result = classify_attractors(network, starts, VectorXd::Zero(1), options);
    EXPECT_EQ(result.n_unique, 2) << result.brief_report();
    for (int i = 0; i < 2; ++i) {
      const Attractor& run = result.runs[i];
      ASSERT_EQ(run.kind, AttractorKind::kInvariantCurve)
          << "theta " << theta << ": " << run.message;
      const InvariantCurve& curve = run.curve;
      EXPECT_NEAR(curve.frequency, theta, 1e-10) << run.message;
      EXPECT_LT(curve.frequency_error, 1e-10);
      EXPECT_NEAR(curve.period, 2 * kPi / theta, 1e-8);
      EXPECT_NEAR(curve.n_turns, options.n_record * theta / (2 * kPi), 1.0);
      EXPECT_EQ(curve.winding_consistency, 1.0);
      const double radius = starts.col(i).norm();
      EXPECT_NEAR(curve.amplitude.rms_radius, radius, 1e-3 * radius);
      EXPECT_NEAR(curve.plane_radius, radius, 1e-3 * radius);
      EXPECT_LT(curve.curve_gap, 0.05);
      EXPECT_LT(curve.radius_drift, 1e-8);
      EXPECT_EQ(curve.points.cols(), options.n_curve_points);
      EXPECT_NEAR(curve.points.col(options.n_curve_points - 1).norm(), radius, 1e-12);
      // Rotations preserve lengths: both exponents vanish, the circle is neutral.
      EXPECT_LT(run.lyapunov_exponents.cwiseAbs().maxCoeff(), 1e-13);
      EXPECT_FALSE(curve.attracting);
      EXPECT_EQ(run.same_as, i);
    }
  }
}

TEST(AnalyzeCurve, WeightedBirkhoffFrequencyOfANonUniformEllipseIsExact) {
  // Points (2 cos(w t), 0.5 sin(w t), 0) winding non-uniformly around their mean: the plain mean
  // advance errs by O(1/N), the weighted Birkhoff average by far less.
  const double w = 0.7;
  const int N = 3000;
  MatrixXd window = MatrixXd::Zero(3, N);
  for (int t = 0; t < N; ++t) {
    window(0, t) = 2.0 * std::cos(w * t) + 0.1;
    window(1, t) = 0.5 * std::sin(w * t) - 0.2;
  }
  const InvariantCurve curve = analyze_curve(window, 10);
  EXPECT_NEAR(curve.frequency, w, 1e-9);
  EXPECT_LT(curve.frequency_error, 1e-9);
  // The plain mean advance, total angle / (N - 1), is far less accurate.
  const double plain = 2 * kPi * curve.n_turns / (N - 1);
  EXPECT_GT(std::abs(plain - w), 1e-5);
  EXPECT_EQ(curve.points.cols(), 10);
  EXPECT_TRUE(curve.points.col(9).isApprox(window.col(N - 1)));
  EXPECT_NEAR(curve.plane_variance[0], 2.0, 1e-2);    // 2^2 / 2
  EXPECT_NEAR(curve.plane_variance[1], 0.125, 1e-3);  // 0.5^2 / 2
  EXPECT_NEAR(std::abs(curve.plane(0, 0)), 1.0, 1e-6);
  EXPECT_NEAR(curve.amplitude.half_range[0], 2.0, 1e-3);
  EXPECT_NEAR(curve.amplitude.half_range[1], 0.5, 1e-3);
  EXPECT_EQ(curve.amplitude.half_range[2], 0.0);
  EXPECT_LT(curve.curve_gap, 0.05);
}

TEST(ClassifyAttractors, ContractingSpiralIsAFixedPointAndExpandingLinearOneDiverges) {
  const Network stable =
      testing::recurrent_only(Activation::kTanh, testing::rotation_scaling(0.9, 0.5));
  internal::Rng rng(4);
  const MatrixXd starts = testing::random_normal(2, 4, 1.0, rng);
  const AttractorResult result = classify_attractors(stable, starts, VectorXd::Zero(1));
  EXPECT_EQ(result.counts[static_cast<int>(AttractorKind::kFixedPoint)], 4)
      << result.brief_report();
  EXPECT_EQ(result.n_unique, 1);
  for (const Attractor& run : result.runs) {
    ASSERT_EQ(run.kind, AttractorKind::kFixedPoint) << run.message;
    EXPECT_EQ(run.orbit.period, 1);
    EXPECT_LT(run.orbit.points.norm(), 1e-14);
    EXPECT_NEAR(std::abs(run.orbit.multipliers[0]), 0.9, 1e-12);
    EXPECT_NEAR(std::abs(std::arg(run.orbit.multipliers[0])), 0.5, 1e-12);
    EXPECT_EQ(run.orbit.stability, StabilityClass::kStable);
    EXPECT_EQ(run.orbit.frequency, 0.0);
    EXPECT_NEAR(run.lyapunov_exponents[0], std::log(0.9), 1e-12);
  }

  const Network expanding =
      testing::recurrent_only(Activation::kLinear, testing::rotation_scaling(1.1, 0.5));
  const AttractorResult gone = classify_attractors(expanding, starts, VectorXd::Zero(1));
  EXPECT_EQ(gone.counts[static_cast<int>(AttractorKind::kDiverged)], 4) << gone.brief_report();
  for (const Attractor& run : gone.runs) {
    EXPECT_EQ(run.same_as, -1);
    EXPECT_GT(run.final_state.norm(), 1e6);
    // ||s_t|| = 1.1^t ||s_0||: the first step past 1e6.
    const int expected =
        static_cast<int>(
            std::floor(std::log(1e6 / starts.col(run.initial_index).norm()) / std::log(1.1))) +
        1;
    EXPECT_NEAR(run.n_steps, expected, 1) << run.message;
    EXPECT_NE(run.message.find("diverged"), std::string::npos);
  }
  EXPECT_EQ(gone.n_unique, 0);
}

TEST(ClassifyAttractors, SaturatingUnstableSpiralSettlesOnAnAttractingCurve) {
  // tanh(rho R(theta) h), rho slightly above 1: the origin is an unstable focus and tanh bounds the
  // growth, so the orbit settles on an attracting closed curve with frequency near theta.
  const double rho = 1.05, theta = 0.3;
  const Network network =
      testing::recurrent_only(Activation::kTanh, testing::rotation_scaling(rho, theta));
  internal::Rng rng(9);
  MatrixXd starts(2, 5);
  starts.leftCols(4) = testing::random_normal(2, 4, 1.0, rng);
  starts.col(4).setZero();  // exactly the unstable fixed point: stays there
  const AttractorResult result = classify_attractors(network, starts, VectorXd::Zero(1));
  EXPECT_EQ(result.counts[static_cast<int>(AttractorKind::kInvariantCurve)], 4)
      << result.brief_report();
  EXPECT_EQ(result.n_unique, 2);
  const Attractor& origin = result.runs[4];
  ASSERT_EQ(origin.kind, AttractorKind::kFixedPoint) << origin.message;
  EXPECT_EQ(origin.orbit.stability, StabilityClass::kUnstable);
  EXPECT_NEAR(std::abs(origin.orbit.multipliers[0]), rho, 1e-12);
  EXPECT_NEAR(std::abs(std::arg(origin.orbit.multipliers[0])), theta, 1e-12);

  const InvariantCurve& first = result.runs[0].curve;
  for (int i = 0; i < 4; ++i) {
    const Attractor& run = result.runs[i];
    ASSERT_EQ(run.kind, AttractorKind::kInvariantCurve) << run.message;
    EXPECT_EQ(run.same_as, 0);
    EXPECT_TRUE(run.curve.attracting);
    EXPECT_NEAR(run.curve.frequency, theta, 0.02) << run.message;
    EXPECT_NEAR(run.curve.frequency, first.frequency, 1e-9);
    EXPECT_LT(run.curve.frequency_error, 1e-9);
    EXPECT_LT(std::abs(run.lyapunov_exponents[0]), 1e-3) << run.message;
    EXPECT_LT(run.lyapunov_exponents[1], -0.05) << run.message;
    EXPECT_NEAR(run.curve.amplitude.rms_radius, first.amplitude.rms_radius, 1e-9);
    EXPECT_LT(run.curve.amplitude.center.norm(), 1e-3);
  }
  // The frequency does not depend on the window: four times longer, same value.
  LimitCycleOptions longer;
  longer.n_record = 16000;
  const AttractorResult long_run =
      classify_attractors(network, starts.col(0), VectorXd::Zero(1), longer);
  ASSERT_EQ(long_run.runs[0].kind, AttractorKind::kInvariantCurve);
  EXPECT_NEAR(long_run.runs[0].curve.frequency, first.frequency, 1e-10);
  // Lyapunov sum = mean log |det J| along the orbit (the QR method conserves volume growth).
  const MatrixXd& points = long_run.runs[0].curve.points;
  double log_det = 0.0;
  for (int t = 0; t < points.cols(); ++t) {
    log_det +=
        std::log(std::abs(network.state_jacobian(points.col(t), VectorXd::Zero(1)).determinant()));
  }
  log_det /= points.cols();
  EXPECT_NEAR(long_run.runs[0].lyapunov_exponents.sum(), log_det, 2e-3);
}

TEST(ClassifyAttractors, SlowlyContractingSpiralIsUnresolvedAndSaysWhy) {
  const Network network =
      testing::recurrent_only(Activation::kLinear, testing::rotation_scaling(0.9995, 0.5));
  const AttractorResult result = classify_attractors(network, vec2(1.0, 0.0), VectorXd::Zero(1));
  const Attractor& run = result.runs[0];
  ASSERT_EQ(run.kind, AttractorKind::kUnresolved) << run.message;
  EXPECT_NE(run.message.find("radius drift"), std::string::npos) << run.message;
  EXPECT_GT(run.curve.radius_drift, 0.5);
  EXPECT_NEAR(run.lyapunov_exponents[0], std::log(0.9995), 1e-12);
  EXPECT_EQ(run.same_as, -1);
  EXPECT_EQ(result.n_unique, 0);
}

TEST(ClassifyAttractors, StronglyCoupledRandomTanhNetworkIsChaotic) {
  const int n = 24;
  internal::Rng rng(21);
  const MatrixXd W = testing::random_normal(n, n, 3.0 / std::sqrt(n), rng);
  const Network network = testing::recurrent_only(Activation::kTanh, W);
  LimitCycleOptions options;
  options.n_transient = 500;
  options.n_record = 2000;
  const AttractorResult result = classify_attractors(
      network, testing::random_normal(n, 2, 1.0, rng), VectorXd::Zero(1), options);
  for (const Attractor& run : result.runs) {
    ASSERT_EQ(run.kind, AttractorKind::kChaotic) << run.message;
    EXPECT_GT(run.lyapunov_exponents[0], 0.05);
    EXPECT_GT(run.curve.frequency_error, 1e-6);  // no quasi-periodic convergence
    EXPECT_EQ(run.same_as, -1);
  }
}

TEST(LyapunovExponents, OfALinearMapAreTheLogModuliOfItsEigenvalues) {
  internal::Rng rng(5);
  const int n = 5;
  const MatrixXd W = testing::random_normal(n, n, 0.4, rng);  // non-normal, complex pairs
  const Network network = testing::recurrent_only(Activation::kLinear, W);
  const Linearization lin = analyze_jacobian(W);
  VectorXd expected = lin.eigenvalues.cwiseAbs().array().log();  // descending
  const int N = 4000;
  const VectorXd all = lyapunov_exponents(network, VectorXd::Ones(n), VectorXd::Zero(1), N, n);
  ASSERT_EQ(all.size(), n);
  for (int i = 0; i < n; ++i) EXPECT_NEAR(all[i], expected[i], 5e-3) << i;
  // The sum is exact: the volume growth of the whole space is |det W| per step.
  EXPECT_NEAR(all.sum(), std::log(std::abs(W.determinant())), 1e-10);
  const VectorXd two = lyapunov_exponents(network, VectorXd::Ones(n), VectorXd::Zero(1), N, 2);
  ASSERT_EQ(two.size(), 2);
  EXPECT_NEAR(two[0], expected[0], 5e-3);
  EXPECT_NEAR(two[1], expected[1], 5e-3);
}

TEST(LyapunovExponents, OnTheSaddleOrbitAreLogAAndLogAD) {
  const double a = 1.5;
  const double c = testing::tanh_fixed_point(a);
  const Network network = rotating_tanh(a);
  // The axis orbit is exact in floating point (tanh(0) = 0), so the run stays on it.
  const VectorXd exponents =
      lyapunov_exponents(network, vec2(c, 0.0), VectorXd::Zero(1), 4000, 2, /*n_transient=*/8);
  EXPECT_NEAR(exponents[0], std::log(a), 1e-3);
  EXPECT_NEAR(exponents[1], std::log(a * (1.0 - c * c)), 1e-3);
  EXPECT_NEAR(exponents.sum(), std::log(a * a * (1.0 - c * c)), 1e-10);
}

TEST(ClassifyAttractors, ResultsDoNotDependOnTheThreadCount) {
  const Network network =
      testing::recurrent_only(Activation::kTanh, testing::rotation_scaling(1.05, 0.3));
  internal::Rng rng(12);
  const MatrixXd starts = testing::random_normal(2, 5, 1.0, rng);
  LimitCycleOptions options;
  options.n_transient = 300;
  options.n_record = 600;
  const AttractorResult one = classify_attractors(network, starts, VectorXd::Zero(1), options);
  const AttractorResult three =
      classify_attractors(network, starts, VectorXd::Zero(1), options, Execution{3});
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(one.runs[i].kind, three.runs[i].kind);
    EXPECT_EQ(one.runs[i].message, three.runs[i].message);
    EXPECT_EQ(one.runs[i].curve.frequency, three.runs[i].curve.frequency);
    EXPECT_EQ(one.runs[i].same_as, three.runs[i].same_as);
  }
}

TEST(LimitCycleOptions, ValidationNamesTheField) {
  const auto message = [](const LimitCycleOptions& o) {
    try {
      o.validate();
    } catch (const InvalidArgument& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_EQ(message(LimitCycleOptions{}), "");
  LimitCycleOptions o;
  o.n_transient = -1;
  EXPECT_NE(message(o).find("n_transient = -1"), std::string::npos);
  o = {};
  o.max_period = 100;  // needs n_record >= 201: fine with 4000
  EXPECT_EQ(message(o), "");
  o.n_record = 150;
  EXPECT_NE(message(o).find("n_record = 150: must be >= 16 and >= 2 max_period + 1 = 201"),
            std::string::npos)
      << message(o);
  o = {};
  o.tol_recurrence = 0.0;
  EXPECT_NE(message(o).find("tol_recurrence"), std::string::npos);
  o = {};
  o.shooting.tol_residual = -1.0;
  EXPECT_NE(message(o).find("shooting.tol_residual = -1"), std::string::npos) << message(o);
  o = {};
  o.shooting.newton.lm_damping = 0.0;
  EXPECT_NE(message(o).find("shooting.newton.lm_damping = 0"), std::string::npos) << message(o);
  o = {};
  o.min_winding_consistency = 0.5;
  EXPECT_NE(message(o).find("min_winding_consistency = 0.5: must be in (0.5, 1]"),
            std::string::npos);
  o = {};
  o.n_curve_points = -1;
  EXPECT_NE(message(o).find("n_curve_points = -1: must be >= 0"), std::string::npos);
  o = {};
  o.n_lyapunov = 0;
  EXPECT_NE(message(o).find("n_lyapunov"), std::string::npos);

  const Network network = rotating_tanh(1.5);
  EXPECT_THROW(classify_attractors(network, MatrixXd::Zero(3, 2), VectorXd::Zero(1)),
               InvalidArgument);
  EXPECT_THROW(classify_attractors(network, MatrixXd::Zero(2, 2), VectorXd::Zero(2)),
               InvalidArgument);
  EXPECT_THROW(refine_periodic_orbit(network, vec2(0.1, 0.1), VectorXd::Zero(1), 0),
               InvalidArgument);
  EXPECT_THROW(lyapunov_exponents(network, vec2(0.1, 0.1), VectorXd::Zero(1), 10, 3),
               InvalidArgument);
  EXPECT_THROW(iterate_map(network, vec2(0.1, 0.1), VectorXd::Zero(1), -1), InvalidArgument);
}

}  // namespace
}  // namespace rnnatlas
