#include "rnnatlas/dynamics/analysis.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <Eigen/LU>
#include <algorithm>
#include <cmath>
#include <complex>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <type_traits>

#include "common/random.h"
#include "dynamics/analysis_testing.h"
#include "dynamics/dynamics_testing.h"
#include "rnnatlas/error.h"
#include "rnnatlas/tasks/tasks.h"
#include "testing/random_matrix.h"

namespace rnnatlas {
namespace {

using Eigen::MatrixXd;
using Eigen::RowVectorXi;
using Eigen::VectorXd;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// ---- estimate_frequency ----------------------------------------------------------------------

TEST(EstimateFrequency, PureSineToOneInTenThousand) {
  // Linear interpolation of the crossings: accurate while a period spans several samples (the
  // sine-wave task's w <= 0.6), coarser towards the Nyquist frequency pi.
  for (const double w : {0.1, 0.2345, 0.6, 1.2, 2.5}) {
    for (const double phase : {0.0, 1.0, 2.9}) {
      VectorXd x(1000);
      for (int t = 0; t < 1000; ++t) x[t] = 0.7 * std::sin(w * t + phase);
      const double tol = w < 2 ? 1e-4 : 1e-3;
      EXPECT_NEAR(estimate_frequency(x), w, tol * w) << "w " << w << " phase " << phase;
    }
  }
}

TEST(EstimateFrequency, OffsetHarmonicsAndNoiseDoNotAddCrossings) {
  // A distorted wave whose second harmonic makes extra mean crossings without hysteresis, plus
  // noise that would make many.
  internal::Rng rng(3);
  const double w = 0.3;
  VectorXd x(2000);
  for (int t = 0; t < 2000; ++t) {
    x[t] = 5.0 + std::sin(w * t) + 0.45 * std::sin(2 * w * t + 0.5) + 0.02 * rng.normal();
  }
  EXPECT_NEAR(estimate_frequency(x), w, 2e-3 * w);
}

TEST(EstimateFrequency, NoOscillationIsNaN) {
  EXPECT_TRUE(std::isnan(estimate_frequency(VectorXd::Constant(500, 0.3))));
  VectorXd decay(500), short_wave(30), settled(500);
  for (int t = 0; t < 500; ++t) decay[t] = std::exp(-0.1 * t);
  for (int t = 0; t < 30; ++t) short_wave[t] = std::sin(0.2 * t);              // under one period
  for (int t = 0; t < 500; ++t) settled[t] = 1.0 + 1e-14 * std::sin(1.0 * t);  // round-off
  EXPECT_TRUE(std::isnan(estimate_frequency(decay)));
  EXPECT_TRUE(std::isnan(estimate_frequency(short_wave)));
  EXPECT_TRUE(std::isnan(estimate_frequency(settled)));
}

// ---- mode response ---------------------------------------------------------------------------

/// fraction(k) of a diagonal system from its definition: y(tau) = sum_i c_i lambda_i^tau, the
/// residual of the k leading modes is sum_{i >= k} c_i lambda_i^tau (modes in the given order).
VectorXd diagonal_fractions(const VectorXd& c, const VectorXd& lambda, int T) {
  const Eigen::Index n = c.size();
  VectorXd residual_energy = VectorXd::Zero(n);
  double energy = 0.0;
  for (int t = 0; t < T; ++t) {
    double y = 0.0;
    for (Eigen::Index i = 0; i < n; ++i) y += c[i] * std::pow(lambda[i], t);
    energy += y * y;
    for (Eigen::Index k = 0; k < n; ++k) {
      double r = 0.0;
      for (Eigen::Index i = k + 1; i < n; ++i) r += c[i] * std::pow(lambda[i], t);
      residual_energy[k] += r * r;
    }
  }
  return VectorXd::Ones(n) - residual_energy / energy;
}

TEST(ModeResponse, DiagonalLinearSystemInClosedForm) {
  // J = diag(1, 0.9, -0.5, 0.2): the modes are the coordinates, c_i = w_i b_i.
  const Eigen::Vector4d lambda(1.0, 0.9, -0.5, 0.2);
  Linearization lin = analyze_jacobian(lambda.asDiagonal().toDenseMatrix());
  lin.B = Eigen::Vector4d(2.0, 1.0, -1.0, 3.0);
  MatrixXd W(1, 4);
  W << 1.0, -1.0, 0.5, 1.0;
  const Eigen::Vector4d c(2.0, -1.0, -0.5, 3.0);
  const Eigen::MatrixXcd contributions = mode_response_contributions(lin, W, VectorXd::Ones(1));
  ASSERT_EQ(contributions.rows(), 1);
  // Eigenvalues come sorted by modulus: 1, 0.9, -0.5, 0.2 -- the order above.
  for (int i = 0; i < 4; ++i) {
    EXPECT_NEAR(contributions(0, i).real(), c[i], 1e-12) << i;
    EXPECT_NEAR(contributions(0, i).imag(), 0.0, 1e-12) << i;
  }
  const int T = 10;
  const VectorXd fractions = mode_response_fractions(lin, W, VectorXd::Ones(1), T);
  const VectorXd expected = diagonal_fractions(c, lambda, T);
  EXPECT_LT((fractions - expected).cwiseAbs().maxCoeff(), 1e-12) << fractions.transpose();
  EXPECT_NEAR(fractions[3], 1.0, 1e-12);
  // The first mode alone (c = 2 at lambda = 1) leaves the 3 lambda^tau mode out: a known value.
  EXPECT_GT(expected[0], 0.3);
  EXPECT_LT(expected[0], 0.9);
}

TEST(ModeResponse, ModesSumToTheSimulatedLinearResponseInAnyBasis) {
  // A non-normal J with a complex pair, in a random basis: sum_i c_i lambda_i^tau must equal
  // W J^tau b, and the fractions must not depend on the basis.
  internal::Rng rng(11);
  MatrixXd D = MatrixXd::Zero(5, 5);
  D.topLeftCorner(2, 2) << 0.9 * std::cos(0.4), -0.9 * std::sin(0.4), 0.9 * std::sin(0.4),
      0.9 * std::cos(0.4);
  D(2, 2) = 0.99;
  D(3, 3) = -0.6;
  D(4, 4) = 0.3;
  const MatrixXd P = MatrixXd::Identity(5, 5) + 0.4 * testing::random_normal(5, 5, 1.0, rng);
  const MatrixXd J = P * D * P.inverse();
  const MatrixXd B = testing::random_normal(5, 2, 1.0, rng);
  const MatrixXd W = testing::random_normal(2, 5, 1.0, rng);
  VectorXd direction(2);
  direction << 0.3, -1.0;
  Linearization lin = analyze_jacobian(J);
  lin.B = B;
  const Eigen::MatrixXcd c = mode_response_contributions(lin, W, direction);
  VectorXd x = B * direction;
  for (int t = 0; t < 30; ++t) {
    Eigen::VectorXcd y = Eigen::VectorXcd::Zero(2);
    for (int i = 0; i < 5; ++i) y += c.col(i) * std::pow(lin.eigenvalues[i], t);
    EXPECT_LT((y.real() - W * x).norm(), 1e-10 * (1.0 + (W * x).norm())) << "tau " << t;
    EXPECT_LT(y.imag().norm(), 1e-10) << "tau " << t;
    x = J * x;
  }
  // The same system in the basis of D: J_D = D, B_D = P^-1 B, W_D = W P.
  Linearization lin_d = analyze_jacobian(D);
  lin_d.B = P.inverse() * B;
  const int T = 25;
  const VectorXd fractions = mode_response_fractions(lin, W, direction, T);
  const VectorXd fractions_d = mode_response_fractions(lin_d, W * P, direction, T);
  EXPECT_LT((fractions - fractions_d).norm(), 1e-10);
  EXPECT_NEAR(fractions[4], 1.0, 1e-10);
}

TEST(ModeResponse, RejectsMissingEigenvectorsAndBadShapes) {
  LinearizationOptions no_vectors;
  no_vectors.compute_eigenvectors = false;
  Linearization lin = analyze_jacobian(MatrixXd::Identity(2, 2), no_vectors);
  lin.B = MatrixXd::Ones(2, 1);
  EXPECT_THROW(mode_response_fractions(lin, MatrixXd::Ones(1, 2), VectorXd::Ones(1), 5),
               InvalidArgument);
  lin = analyze_jacobian(MatrixXd::Identity(2, 2));
  lin.B = MatrixXd::Ones(2, 1);
  EXPECT_THROW(mode_response_fractions(lin, MatrixXd::Ones(1, 3), VectorXd::Ones(1), 5),
               InvalidArgument);
  EXPECT_THROW(mode_response_fractions(lin, MatrixXd::Ones(1, 2), VectorXd::Ones(2), 5),
               InvalidArgument);
  EXPECT_THROW(mode_response_fractions(lin, MatrixXd::Ones(1, 2), VectorXd::Ones(1), 0),
               InvalidArgument);
  // A response that is zero: no mode explains anything.
  EXPECT_EQ(mode_response_fractions(lin, MatrixXd::Zero(1, 2), VectorXd::Ones(1), 5),
            VectorXd::Zero(2));
}

TEST(LabelIndex, TernaryFirstBitMostSignificant) {
  EXPECT_EQ(label_index(Eigen::Vector3i(-1, -1, -1)), 0);
  EXPECT_EQ(label_index(Eigen::Vector3i(0, 0, 0)), 13);
  EXPECT_EQ(label_index(Eigen::Vector3i(1, 1, 1)), 26);
  EXPECT_EQ(label_index(Eigen::Vector3i(1, -1, 0)), 2 * 9 + 0 * 3 + 1);
  EXPECT_THROW(label_index(Eigen::Vector3i(2, 0, 0)), InvalidArgument);
}

// ---- fit_line ----------------------------------------------------------------------------------

TEST(FitLine, ExactLineAndTheIdentityRSquaredByHand) {
  const std::optional<LinearFit> fit =
      fit_line(Eigen::Vector4d(0, 1, 2, 3), Eigen::Vector4d(1, 3, 5, 7));  // y = 2x + 1
  ASSERT_TRUE(fit.has_value());
  EXPECT_DOUBLE_EQ(fit->slope, 2.0);
  EXPECT_DOUBLE_EQ(fit->intercept, 1.0);
  EXPECT_DOUBLE_EQ(fit->r_squared, 1.0);
  // mean y = 4: sum (y - mean y)^2 = 9 + 1 + 1 + 9 = 20; y - x = 1, 2, 3, 4: sum of squares 30.
  EXPECT_DOUBLE_EQ(fit->identity_r_squared, 1.0 - 30.0 / 20.0);
  EXPECT_EQ(fit->n_points, 4);
}

TEST(FitLine, SkipsPairsWithANonFiniteValue) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  VectorXd x(7), y(7);
  x << 0, 1, nan, 2, 3, -inf, 4;
  y << 1, 3, 100, inf, 7, 5, nan;
  const std::optional<LinearFit> fit = fit_line(x, y);  // (0, 1), (1, 3), (3, 7): y = 2x + 1
  ASSERT_TRUE(fit.has_value());
  EXPECT_EQ(fit->n_points, 3);
  EXPECT_NEAR(fit->slope, 2.0, 1e-15);
  EXPECT_NEAR(fit->intercept, 1.0, 1e-15);
  EXPECT_NEAR(fit->r_squared, 1.0, 1e-15);
}

TEST(FitLine, NoFitBelowThreePairsOrForAConstantX) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(kMinFitPoints, 3);
  EXPECT_FALSE(fit_line(VectorXd(0), VectorXd(0)).has_value());
  EXPECT_FALSE(fit_line(Eigen::Vector2d(0, 1), Eigen::Vector2d(1, 3)).has_value());
  EXPECT_FALSE(fit_line(Eigen::Vector3d(0, 1, 2), Eigen::Vector3d(1, nan, 5)).has_value());
  EXPECT_FALSE(fit_line(Eigen::Vector3d(2, 2, 2), Eigen::Vector3d(1, 2, 3)).has_value());
  // The computed mean of three 0.1 is 0.10000000000000002: the constant x is still recognised.
  EXPECT_FALSE(fit_line(Eigen::Vector3d(0.1, 0.1, 0.1), Eigen::Vector3d(1, 2, 3)).has_value());
}

TEST(FitLine, ConstantYHasSlopeZeroAndNoRSquared) {
  const std::optional<LinearFit> fit =
      fit_line(Eigen::Vector3d(1, 2, 3), Eigen::Vector3d(0.1, 0.1, 0.1));
  ASSERT_TRUE(fit.has_value());
  EXPECT_EQ(fit->slope, 0.0);
  EXPECT_EQ(fit->intercept, 0.1);
  EXPECT_TRUE(std::isnan(fit->r_squared));
  EXPECT_TRUE(std::isnan(fit->identity_r_squared));
  EXPECT_EQ(fit->n_points, 3);
}

TEST(FitLine, RejectsMismatchedSizes) {
  try {
    fit_line(Eigen::Vector3d(0, 1, 2), Eigen::Vector2d(1, 3));
    FAIL() << "no exception";
  } catch (const InvalidArgument& e) {
    EXPECT_THAT(e.what(), HasSubstr("fit_line: x has 3 values and y 2"));
  }
}

TEST(FitLine, RandomPairsAgreeWithTheNormalEquations) {
  internal::Rng rng(17);
  const int n = 40;
  const VectorXd x = testing::random_vector(n, 1.0, rng).array() + 0.5;
  const VectorXd y = 0.8 * x + testing::random_vector(n, 0.3, rng) + VectorXd::Constant(n, 0.2);
  const std::optional<LinearFit> fit = fit_line(x, y);
  ASSERT_TRUE(fit.has_value());
  // [n, sum x; sum x, sum x^2] (intercept, slope) = (sum y, sum x y).
  Eigen::Matrix2d normal;
  normal << n, x.sum(), x.sum(), x.squaredNorm();
  const Eigen::Vector2d solution = normal.lu().solve(Eigen::Vector2d(y.sum(), x.dot(y)));
  const VectorXd residual = y - VectorXd::Constant(n, solution[0]) - solution[1] * x;
  const double total = (y.array() - y.mean()).matrix().squaredNorm();
  EXPECT_NEAR(fit->intercept, solution[0], 1e-12);
  EXPECT_NEAR(fit->slope, solution[1], 1e-12);
  EXPECT_NEAR(fit->r_squared, 1.0 - residual.squaredNorm() / total, 1e-12);
  EXPECT_NEAR(fit->identity_r_squared, 1.0 - (y - x).squaredNorm() / total, 1e-12);
  EXPECT_EQ(fit->n_points, n);
  EXPECT_GT(fit->r_squared, 0.5);  // a real line under the noise, so the check is not vacuous
  EXPECT_LT(fit->r_squared, 1.0);
}

TEST(FitLine, ALargeOffsetDoesNotCancelTheSpread) {
  // Sums of squares about zero would be ~1e19 here, with a rounding unit of ~2e3: far above the
  // spread of x (0.08). The centred sums keep the line exact up to the rounding of the values.
  VectorXd x(9);
  for (int i = 0; i < 9; ++i) x[i] = 1e9 + 0.01 * i;
  const VectorXd y = (2.0 * x).array() + 1.0;  // exact in double: 2x has a rounding unit of 2^-22
  const std::optional<LinearFit> fit = fit_line(x, y);
  ASSERT_TRUE(fit.has_value());
  EXPECT_NEAR(fit->slope, 2.0, 1e-9);
  EXPECT_NEAR(fit->r_squared, 1.0, 1e-9);
  EXPECT_NEAR(fit->intercept, 1.0, 1e-5);  // 1 = mean y - slope mean x, both ~2e9
}

// ---- analyze_network: known scaffolds --------------------------------------------------------

AnalysisOptions quick_options() {
  AnalysisOptions options;
  options.n_initial_states = 256;
  options.transitions.max_steps = 500;
  return options;
}

TEST(AnalyzeNetwork, PerfectFlipFlopHasTheIdealScaffold) {
  const Network network = testing::flip_flop_network();
  const auto task = make_flip_flop();
  AnalysisOptions options = quick_options();
  options.noise_scale = 1.0;              // reach the saddles and the origin from the corners
  options.fixed_points.lr_initial = 1.0;  // large first steps spread the candidates over all basins
  const NetworkDynamics d = analyze_network(network, *task, options);
  ASSERT_EQ(d.task, "flip_flop");
  ASSERT_EQ(d.conditions.size(), 1u);
  const ConditionDynamics& c = d.conditions[0];
  EXPECT_EQ(c.label, "zero input");
  ASSERT_EQ(c.n_points(), 27) << c.n_candidates << " candidates";
  EXPECT_LT(c.q.maxCoeff(), 1e-20);
  ASSERT_TRUE(d.flip_flop.has_value());
  const FlipFlopAnalysis& a = *d.flip_flop;
  EXPECT_EQ(a.n_stable, 8);
  EXPECT_EQ(a.n_stable_corners, 8);
  EXPECT_EQ(a.n_saddles, 18);
  EXPECT_EQ(a.count_by_unstable, Eigen::Vector4i(8, 12, 6, 1));
  // Each saddle with one zero coordinate connects the two corners that differ in that bit.
  EXPECT_EQ(a.corner_transitions_total, 12);
  EXPECT_EQ(a.corner_transitions_one_bit, 12);
  // Every label appears once; the unstable manifolds follow the invariant axes (transitions_test):
  // origin -> 6 two-zero saddles (6 runs), each -> 4 one-zero saddles (24), each -> 2 corners (24).
  for (int p = 0; p < 27; ++p) {
    EXPECT_EQ(a.labels.row(p).cwiseAbs().sum(), 3 - c.n_unstable[p]) << "point " << p;
  }
  const Eigen::MatrixXi& graph = d.topology.label_graph;
  ASSERT_EQ(graph.rows(), 27);
  EXPECT_EQ(graph.diagonal(), Eigen::VectorXi::Ones(27));
  EXPECT_EQ(graph.sum() - graph.trace(), 54);
  EXPECT_EQ(graph(13, label_index(Eigen::Vector3i(1, 0, 0))), 1);  // origin -> (+, 0, 0)
  EXPECT_EQ(graph(label_index(Eigen::Vector3i(1, 1, 0)), 26), 1);  // (+, +, 0) -> (+, +, +)
  EXPECT_EQ(graph(label_index(Eigen::Vector3i(1, 1, 0)), 0), 0);   // not to (-, -, -)
  EXPECT_EQ(d.topology.signature,
            (Eigen::MatrixXi(1, 11) << 8, 12, 6, 1, 0, 0, 0, 0, 0, 0, 0).finished());
  EXPECT_TRUE(c.continuous_attractors.empty());
  EXPECT_EQ(c.attractor, Eigen::VectorXi::Constant(27, -1));
  EXPECT_EQ(c.count(StabilityClass::kStable), 8);
  EXPECT_EQ(c.count(StabilityClass::kUnstable), 1);
  EXPECT_EQ(c.n_unresolved, 0);
  EXPECT_EQ(c.n_unmatched, 0);

  // The example trials: the same as the task's trials of the seed, with the network's outputs.
  const ExampleTrajectories& e = d.trajectories;
  const TrialBatch batch = task->sample(options.n_trials, options.seed);
  EXPECT_EQ(e.n_trials, options.n_trials);
  EXPECT_EQ(e.n_time, batch.n_time);
  EXPECT_EQ(e.inputs, batch.inputs);
  EXPECT_EQ(e.targets, batch.targets);
  EXPECT_EQ(e.outputs, network.run(batch.inputs, batch.n_batch).outputs);
  // This network solves the task: outputs have the targets' signs.
  EXPECT_EQ(((e.outputs.array() > 0) == (e.targets.array() > 0)).count(), e.targets.size());
}

TEST(AnalyzeNetwork, SineWavePredictedFrequencyIsTheArgumentOfTheUnstablePair) {
  const double theta = 0.3;
  const Network network = testing::rotation_network(1.05, theta);
  SineWaveOptions sw;
  sw.n_frequencies = 5;
  sw.n_time = 50;
  const auto task = make_sine_wave(sw);
  AnalysisOptions options = quick_options();
  options.n_initial_states = 32;
  options.input_stride = 2;  // j = 1, 3, 5
  const NetworkDynamics d = analyze_network(network, *task, options);
  ASSERT_TRUE(d.sine_wave.has_value());
  const SineWaveAnalysis& a = *d.sine_wave;
  ASSERT_EQ(d.conditions.size(), 3u);
  EXPECT_EQ(a.frequency_index, Eigen::Vector3i(1, 3, 5));
  for (int k = 0; k < 3; ++k) {
    const int j = 1 + 2 * k;
    EXPECT_EQ(d.conditions[k].input[0], sw.static_input(j));
    EXPECT_EQ(a.target_frequency[k], sw.frequency(j));
    ASSERT_EQ(d.conditions[k].n_points(), 1);
    // The fixed point (I - W)^-1 W_ih u, exactly.
    const MatrixXd W = network.parameter("weight_hh_l0");
    const VectorXd expected = (MatrixXd::Identity(2, 2) - W)
                                  .partialPivLu()
                                  .solve(network.parameter("weight_ih_l0") * sw.static_input(j));
    EXPECT_LT((d.conditions[k].states.col(0) - expected).norm(), 1e-10);
    EXPECT_TRUE(a.has_unstable_complex[k]);
    EXPECT_NEAR(a.predicted_frequency[k], theta, 1e-12);
    EXPECT_EQ(d.topology.signature.row(k),
              (Eigen::RowVectorXi(11) << 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0).finished());
    EXPECT_EQ(d.conditions[k].n_unresolved, 4);  // the linear spiral diverges
    EXPECT_TRUE(d.conditions[k].limit_cycles.empty());
    EXPECT_EQ(d.conditions[k].cycle_transitions.rows(), 1);
    EXPECT_EQ(d.conditions[k].cycle_transitions.cols(), 0);
  }
}

TEST(AnalyzeNetwork, TransitionsFromTheUnstableFocusReachItsLimitCycle) {
  // tanh(1.05 R(0.3) h), input unused: at every input the origin is the one fixed point, an
  // unstable focus, and its four transition runs settle on the attracting invariant curve that
  // classify_attractors() finds from any other start.
  const Network network = testing::autonomous_tanh_network(testing::rotation_scaling(1.05, 0.3));
  SineWaveOptions sw;
  sw.n_frequencies = 3;
  sw.n_time = 30;
  const auto task = make_sine_wave(sw);
  AnalysisOptions options = quick_options();
  options.n_initial_states = 32;
  options.input_stride = 2;  // j = 1, 3
  const NetworkDynamics d = analyze_network(network, *task, options);
  MatrixXd start(2, 1);
  start << 0.7, -0.2;
  const Attractor reference = classify_attractors(network, start, VectorXd::Zero(1)).runs[0];
  ASSERT_EQ(reference.kind, AttractorKind::kInvariantCurve) << reference.message;
  ASSERT_EQ(d.conditions.size(), 2u);
  for (const ConditionDynamics& c : d.conditions) {
    SCOPED_TRACE(c.label);
    int origin = -1;
    for (int p = 0; p < c.n_points(); ++p) {
      if (!c.is_slow[p] && c.states.col(p).norm() < 1e-8) origin = p;
    }
    ASSERT_GE(origin, 0);
    EXPECT_EQ(c.stability[origin], StabilityClass::kUnstable);
    EXPECT_EQ(c.n_unresolved, 0);
    ASSERT_EQ(c.limit_cycles.size(), 1u);
    ASSERT_EQ(c.cycle_transitions.rows(), c.n_points());
    ASSERT_EQ(c.cycle_transitions.cols(), 1);
    EXPECT_EQ(c.cycle_transitions(origin, 0), 4);
    EXPECT_EQ(c.cycle_transitions.sum(), 4);
    const LimitCycle& cycle = c.limit_cycles[0];
    EXPECT_EQ(cycle.kind, AttractorKind::kInvariantCurve);
    EXPECT_EQ(cycle.stability, StabilityClass::kStable);
    EXPECT_NEAR(cycle.frequency, reference.curve.frequency, 1e-9);
    EXPECT_NEAR(cycle.amplitude.rms_radius, reference.curve.amplitude.rms_radius, 1e-9);
  }
  // The sine-wave analysis still reads the focus: w_hat = theta.
  EXPECT_NEAR(d.sine_wave->predicted_frequency[0], 0.3, 1e-12);
}

TEST(AnalyzeNetwork, TransitionsReachAPeriodTwoOrbitInClosedForm) {
  // h' = tanh(-1.5 h): both runs from the unstable origin reach the stable orbit c -> -c.
  const double a = 1.5;
  const Network network = testing::autonomous_tanh_network(MatrixXd::Constant(1, 1, -a));
  SineWaveOptions sw;
  sw.n_frequencies = 1;
  sw.n_time = 20;
  AnalysisOptions options = quick_options();
  options.n_initial_states = 16;
  const NetworkDynamics d = analyze_network(network, *make_sine_wave(sw), options);
  const ConditionDynamics& c = d.conditions[0];
  ASSERT_EQ(c.n_points(), 1);
  ASSERT_EQ(c.limit_cycles.size(), 1u);
  EXPECT_EQ(c.cycle_transitions, Eigen::MatrixXi::Constant(1, 1, 2));
  const LimitCycle& cycle = c.limit_cycles[0];
  double x = 1.0;
  for (int i = 0; i < 500; ++i) x = std::tanh(a * x);
  const double mu = std::pow(a * (1.0 - x * x), 2);
  EXPECT_EQ(cycle.kind, AttractorKind::kPeriodicOrbit);
  EXPECT_EQ(cycle.period, 2.0);
  EXPECT_NEAR(cycle.frequency, M_PI, 1e-15);
  EXPECT_EQ(cycle.stability, StabilityClass::kStable);
  EXPECT_NEAR(cycle.multipliers[0].real(), mu, 1e-12);
  EXPECT_NEAR(std::abs(cycle.state[0]), x, 1e-13);
}

TEST(AnalyzeNetwork, SineWaveMeasuredFrequencyOfAnUndampedRotation) {
  // r = 1: a marginal centre, no unstable pair, and an output oscillating at exactly theta.
  const double theta = 0.45;
  const Network network = testing::rotation_network(1.0, theta);
  SineWaveOptions sw;
  sw.n_frequencies = 3;
  const auto task = make_sine_wave(sw);
  AnalysisOptions options = quick_options();
  options.n_initial_states = 16;
  const NetworkDynamics d = analyze_network(network, *task, options);
  const SineWaveAnalysis& a = *d.sine_wave;
  ASSERT_EQ(a.measured_frequency.size(), 3);
  for (int k = 0; k < 3; ++k) {
    EXPECT_NEAR(a.measured_frequency[k], theta, 1e-4 * theta);
    EXPECT_FALSE(a.has_unstable_complex[k]);
    EXPECT_TRUE(std::isnan(a.predicted_frequency[k]));
    EXPECT_EQ(d.conditions[k].stability[0], StabilityClass::kMarginal);
  }
}

TEST(AnalyzeNetwork, ContextIntegrationLineAttractorAndModeResponseInClosedForm) {
  const Network network = testing::line_attractor_network();
  ContextIntegrationOptions cdi;
  cdi.n_time = 20;
  const auto task = make_context_integration(cdi);
  AnalysisOptions options = quick_options();
  options.n_initial_states = 64;
  const NetworkDynamics d = analyze_network(network, *task, options);
  ASSERT_TRUE(d.context_integration.has_value());
  const ContextIntegrationAnalysis& a = *d.context_integration;
  ASSERT_EQ(d.conditions.size(), 2u);
  EXPECT_EQ(d.conditions[0].label, "context 1");
  EXPECT_EQ(d.conditions[1].input, Eigen::Vector4d(0, 0, 0, 1));
  EXPECT_DOUBLE_EQ(a.line_attractor_tol, 1.0 / 20);
  // Context 1: b = (1, 2, 0), w = (1, 1, 1): y(tau) = 1 + 2 0.8^tau, the second mode matters.
  // Context 2: b = (1, 0, 0.5): y(tau) = 1 + 0.5 0.3^tau, the line attractor alone nearly suffices.
  const Eigen::Vector3d lambda(1.0, 0.8, 0.3);
  const VectorXd expected_response[2] = {
      diagonal_fractions(Eigen::Vector3d(1, 2, 0), lambda, 20),
      diagonal_fractions(Eigen::Vector3d(1, 0, 0.5), lambda, 20)};
  EXPECT_LT(expected_response[0][0], 0.9);
  EXPECT_GT(expected_response[1][0], 0.9);
  const int expected_modes_90[2] = {2, 1};
  for (int c = 0; c < 2; ++c) {
    const ConditionDynamics& points = d.conditions[c];
    // Many points, all on the line h = (x, 5, 0) (context 1) or (x, 0, 1 / 0.7) (context 2).
    EXPECT_GE(points.n_points(), 5) << "context " << c + 1;
    const Eigen::Vector2d off_line =
        c == 0 ? Eigen::Vector2d(5.0, 0.0) : Eigen::Vector2d(0.0, 1.0 / 0.7);
    for (int p = 0; p < points.n_points(); ++p) {
      EXPECT_LT((points.states.col(p).tail(2) - off_line).norm(), 1e-8);
    }
    EXPECT_EQ(a.n_points[c], points.n_points());
    EXPECT_EQ(a.n_marginal_points[c], points.n_points());
    EXPECT_LT((a.eigenvalue_modulus.row(c).transpose() - Eigen::Vector3d(1, 0.8, 0.3)).norm(),
              1e-12);
    EXPECT_LT((a.mode_response.row(c).transpose() - expected_response[c]).norm(), 1e-10)
        << a.mode_response.row(c);
    EXPECT_EQ(a.n_modes_90[c], expected_modes_90[c]);
    // The points are one continuous attractor: a line, stable off it, counted once.
    ASSERT_EQ(points.continuous_attractors.size(), 1u) << "context " << c + 1;
    const ContinuousAttractor& line = points.continuous_attractors[0];
    EXPECT_EQ(line.shape, AttractorShape::kOpenCurve);
    EXPECT_EQ(line.dimension, 1);
    EXPECT_EQ(line.n_unstable, 0);
    EXPECT_EQ(line.n_points, points.n_points());
    EXPECT_EQ(points.attractor, Eigen::VectorXi::Zero(points.n_points()));
    EXPECT_EQ(d.topology.signature.row(c),
              (Eigen::RowVectorXi(11) << 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0).finished());
  }
}

TEST(AnalyzeNetwork, AnApproximateLineAttractorOfSlowPointsIsOneObjectOfTheScaffold) {
  // Context 1 drives the linear line attractor of line_attractor_network() along its line by
  // `drift` per step: h' = diag(1, 0.8, 0.3) h + (drift, 1, 0). There is no fixed point, only the
  // line h = (x, 5, 0) of slow points (q = drift^2 / 2 everywhere on it, so Adam stalls wherever it
  // reaches the line). Context 2 keeps its exact line attractor.
  ContextIntegrationOptions cdi;
  cdi.n_time = 20;
  const auto task = make_context_integration(cdi);
  AnalysisOptions options = quick_options();
  options.n_initial_states = 64;
  const auto analyze = [&](double drift) {
    MatrixXd W_ih(3, 4), W_out(1, 3);
    W_ih << 1.0, 1.0, drift, 0.0,  //
        2.0, 0.0, 1.0, 0.0,        //
        0.0, 0.5, 0.0, 1.0;
    W_out << 1.0, 1.0, 1.0;
    const Network network = testing::vanilla_network(
        Activation::kLinear, Eigen::Vector3d(1.0, 0.8, 0.3).asDiagonal().toDenseMatrix(), W_ih,
        W_out);
    return analyze_network(network, *task, options);
  };
  const RowVectorXi one_line = (RowVectorXi(11) << 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0).finished();

  // A drift of 1e-4 per step moves a point by 2e-3 over a trial: the task cannot tell the line
  // from a line of fixed points, and it is where the trials go.
  const NetworkDynamics slow = analyze(1e-4);
  const ConditionDynamics& c = slow.conditions[0];
  ASSERT_GE(c.n_points(), 5);
  for (int p = 0; p < c.n_points(); ++p) {
    EXPECT_TRUE(c.is_slow[p]) << p;
    EXPECT_NEAR(c.q[p], 0.5e-8, 1e-10) << p;
  }
  ASSERT_EQ(c.continuous_attractors.size(), 1u);
  EXPECT_EQ(c.continuous_attractors[0].shape, AttractorShape::kOpenCurve);
  EXPECT_EQ(c.continuous_attractors[0].n_points, c.n_points());
  EXPECT_EQ(c.attractor, Eigen::VectorXi::Zero(c.n_points()));
  EXPECT_EQ(slow.topology.signature.row(0), one_line);
  EXPECT_EQ(slow.topology.signature.row(1), one_line);
  // The spectrum and mode response average over the slow points of the line: the closed form of
  // diag(1, 0.8, 0.3) with b = (1, 2, 0), as for the exact line attractor.
  const ContextIntegrationAnalysis& a = *slow.context_integration;
  EXPECT_LT((a.eigenvalue_modulus.row(0).transpose() - Eigen::Vector3d(1, 0.8, 0.3)).norm(), 1e-12);
  EXPECT_LT((a.mode_response.row(0).transpose() -
             diagonal_fractions(Eigen::Vector3d(1, 2, 0), Eigen::Vector3d(1, 0.8, 0.3), 20))
                .norm(),
            1e-10);
  EXPECT_EQ(a.n_modes_90[0], 2);

  // A drift of 1 per step leaves the line within a trial: its slow points are not a scaffold, and
  // context 1 has nothing to count or to average over.
  const NetworkDynamics fast = analyze(1.0);
  const ConditionDynamics& f = fast.conditions[0];
  ASSERT_GE(f.n_points(), 1);
  EXPECT_TRUE(f.continuous_attractors.empty());
  EXPECT_EQ(f.attractor, Eigen::VectorXi::Constant(f.n_points(), -1));
  EXPECT_EQ(fast.topology.signature.row(0), RowVectorXi::Zero(11));
  EXPECT_EQ(fast.topology.signature.row(1), one_line);
  EXPECT_TRUE(fast.context_integration->mode_response.row(0).hasNaN());
  EXPECT_EQ(fast.context_integration->n_modes_90[0], 0);
}

TEST(AnalyzeNetwork, LineAttractorSignatureDoesNotDependOnHowManyPointsTheSearchFinds) {
  const Network network = testing::line_attractor_network();
  ContextIntegrationOptions cdi;
  cdi.n_time = 20;
  const auto task = make_context_integration(cdi);
  AnalysisOptions sparse = quick_options(), dense = quick_options();
  sparse.n_initial_states = 6;
  dense.n_initial_states = 400;
  const NetworkDynamics a = analyze_network(network, *task, sparse);
  const NetworkDynamics b = analyze_network(network, *task, dense);
  for (int c = 0; c < 2; ++c) {
    EXPECT_LT(3 * a.conditions[c].n_points(), b.conditions[c].n_points()) << "context " << c + 1;
  }
  EXPECT_EQ(a.topology.signature, b.topology.signature);
  EXPECT_EQ(topology_distance(topology_summary(a), topology_summary(b)), 0.0);
}

TEST(AnalyzeNetwork, SlowlySettlingRunsAreCapturedByTheAttractorTheyApproach) {
  // h' = tanh(1.002 h): the origin is unstable (lambda 1.002), +/- x* (x* ~ 0.077) are stable
  // with lambda ~ 0.996. Leaving the origin from 1e-3 takes ~2200 steps and settling to
  // tol_settled ~3700 more, so after 4000 steps both runs are still moving, near +/- x*.
  const Network network =
      testing::vanilla_network(Activation::kTanh, MatrixXd::Constant(1, 1, 1.002),
                               MatrixXd::Zero(1, 1), MatrixXd::Ones(1, 1));
  SineWaveOptions sw;
  sw.n_frequencies = 1;
  sw.n_time = 20;
  const auto task = make_sine_wave(sw);
  AnalysisOptions options = quick_options();
  options.n_initial_states = 64;
  options.noise_scale = 0.1;
  options.transitions.max_steps = 4000;
  options.capture_fraction = 0.0;
  options.transitions.find_limit_cycles = false;
  const NetworkDynamics strict = analyze_network(network, *task, options);
  const ConditionDynamics& c = strict.conditions[0];
  ASSERT_EQ(c.n_points(), 3);
  EXPECT_EQ(c.n_unresolved, 2);
  EXPECT_EQ(c.transitions.sum(), 0);

  // The limit-cycle examination runs them on and finds the fixed points by Newton shooting.
  options.transitions.find_limit_cycles = true;
  const NetworkDynamics examined = analyze_network(network, *task, options);
  EXPECT_EQ(examined.conditions[0].n_unresolved, 0);
  EXPECT_EQ(examined.conditions[0].transitions.sum(), 2);
  EXPECT_EQ(examined.conditions[0].transitions.maxCoeff(), 1);
  EXPECT_TRUE(examined.conditions[0].limit_cycles.empty());

  options.capture_fraction = 0.25;
  const NetworkDynamics captured = analyze_network(network, *task, options);
  const ConditionDynamics& d = captured.conditions[0];
  EXPECT_EQ(d.n_unresolved, 0);
  int origin = 0;
  d.states.row(0).cwiseAbs().minCoeff(&origin);
  EXPECT_EQ(d.transitions.sum(), 2);
  EXPECT_EQ(d.transitions.row(origin).sum(), 2);       // both runs leave the origin ...
  EXPECT_EQ(d.transitions.row(origin).maxCoeff(), 1);  // ... one to each attractor
}

// ---- analyze_network: properties --------------------------------------------------------------

TEST(AnalyzeNetwork, ResultDoesNotDependOnTheThreadCount) {
  Architecture arch;
  arch.cell = CellKind::kGru;
  arch.n_input = 3;
  arch.n_hidden = 6;
  arch.n_output = 3;
  Network network(arch, /*seed=*/5);
  internal::Rng rng(2);
  network.set_parameter("weight_hh_l0", 1.5 * testing::random_normal(18, 6, 1.0, rng));
  const auto task = make_flip_flop();
  AnalysisOptions options = quick_options();
  options.n_initial_states = 64;
  options.fixed_points.max_iters = 300;
  const NetworkDynamics one = analyze_network(network, *task, options, Execution{1});
  const NetworkDynamics two = analyze_network(network, *task, options, Execution{2});
  try {
    analyze_network(network, *task, options, Execution{0});
    ADD_FAILURE() << "no error for 0 threads";
  } catch (const InvalidArgument& e) {
    EXPECT_THAT(e.what(), HasSubstr("n_threads = 0: must be >= 1"));
  }
  ASSERT_EQ(one.conditions.size(), two.conditions.size());
  EXPECT_EQ(one.conditions[0].states, two.conditions[0].states);
  EXPECT_EQ(one.conditions[0].transitions, two.conditions[0].transitions);
  EXPECT_EQ(one.topology.label_graph, two.topology.label_graph);
  EXPECT_GE(one.conditions[0].n_points(), 1);

  // Several conditions run concurrently: sine wave, 3 inputs on 1 and 3 threads.
  Architecture sine_arch = arch;
  sine_arch.n_input = sine_arch.n_output = 1;
  const Network sine_network(sine_arch, 9);
  SineWaveOptions sw;
  sw.n_frequencies = 3;
  sw.n_time = 40;
  const auto sine = make_sine_wave(sw);
  const NetworkDynamics s1 = analyze_network(sine_network, *sine, options, Execution{1});
  const NetworkDynamics s3 = analyze_network(sine_network, *sine, options, Execution{3});
  for (int k = 0; k < 3; ++k) EXPECT_EQ(s1.conditions[k].states, s3.conditions[k].states);
  EXPECT_EQ(s1.sine_wave->measured_frequency.size(), 3);

  // Limit cycles: one condition (every thread in its examination) and two concurrent ones.
  const Network oscillator = testing::autonomous_tanh_network(testing::rotation_scaling(1.05, 0.3));
  sw.n_frequencies = 2;
  const auto two_inputs = make_sine_wave(sw);
  options.n_initial_states = 16;
  for (const int stride : {2, 1}) {
    options.input_stride = stride;
    const NetworkDynamics c1 = analyze_network(oscillator, *two_inputs, options, Execution{1});
    const NetworkDynamics c2 = analyze_network(oscillator, *two_inputs, options, Execution{2});
    ASSERT_EQ(c1.conditions.size(), static_cast<std::size_t>(stride == 1 ? 2 : 1));
    for (std::size_t k = 0; k < c1.conditions.size(); ++k) {
      const ConditionDynamics &x = c1.conditions[k], &y = c2.conditions[k];
      EXPECT_EQ(x.cycle_transitions, y.cycle_transitions);
      ASSERT_EQ(x.limit_cycles.size(), 1u);
      ASSERT_EQ(y.limit_cycles.size(), 1u);
      EXPECT_EQ(x.limit_cycles[0].frequency, y.limit_cycles[0].frequency);
      EXPECT_EQ(x.limit_cycles[0].state, y.limit_cycles[0].state);
    }
  }
}

TEST(AnalyzeNetwork, RejectsAMismatchedNetwork) {
  const Network network = testing::flip_flop_network();  // 3 inputs, 3 outputs
  const auto sine = make_sine_wave();
  try {
    analyze_network(network, *sine);
    FAIL() << "expected InvalidArgument";
  } catch (const InvalidArgument& e) {
    EXPECT_THAT(e.what(), HasSubstr("sine_wave"));
  }
}

TEST(AnalysisOptions, DefaultsAreThePapersAndValidationNamesTheField) {
  const AnalysisOptions defaults;
  EXPECT_NO_THROW(defaults.validate());
  EXPECT_EQ(defaults.n_initial_states, 1024);
  EXPECT_EQ(defaults.noise_scale, 0.5);
  EXPECT_EQ(defaults.fixed_points.max_iters, 5000);
  EXPECT_EQ(defaults.fixed_points.tol_q, 1e-12);
  EXPECT_EQ(defaults.fixed_points.lr_initial,
            0.01);  // FixedPointOptions::lr_initial: one default for both
  EXPECT_EQ(defaults.input_stride, 1);
  // Each error names the option by its path in AnalysisOptions (the Python keyword and TOML key),
  // as data (field()) and in the message, with no C++ type name.
  const auto expect_error = [](auto mutate, const std::string& field, const std::string& value) {
    AnalysisOptions o;
    mutate(o);
    try {
      o.validate();
      ADD_FAILURE() << "no error for " << field;
    } catch (const InvalidArgument& e) {
      EXPECT_EQ(e.field(), field);
      EXPECT_THAT(e.what(), StartsWith(field + " = " + value + ": must be "));
      EXPECT_THAT(e.what(), Not(HasSubstr("Options")));
    }
  };
  expect_error([](AnalysisOptions& o) { o.n_initial_states = 0; }, "n_initial_states", "0");
  expect_error([](AnalysisOptions& o) { o.noise_scale = -1; }, "noise_scale", "-1");
  expect_error([](AnalysisOptions& o) { o.n_trials = 0; }, "n_trials", "0");
  expect_error([](AnalysisOptions& o) { o.input_stride = 0; }, "input_stride", "0");
  expect_error([](AnalysisOptions& o) { o.frequency_measure_steps = 2; }, "frequency_measure_steps",
               "2");
  expect_error([](AnalysisOptions& o) { o.frequency_transient_steps = -1; },
               "frequency_transient_steps", "-1");
  expect_error([](AnalysisOptions& o) { o.line_attractor_tol = 1.5; }, "line_attractor_tol", "1.5");
  expect_error([](AnalysisOptions& o) { o.fixed_points.tol_q = -1; }, "fixed_points.tol_q", "-1");
  expect_error([](AnalysisOptions& o) { o.fixed_points.newton.max_iters = -2; },
               "fixed_points.newton.max_iters", "-2");
  expect_error([](AnalysisOptions& o) { o.transitions.max_steps = 0; }, "transitions.max_steps",
               "0");
  expect_error([](AnalysisOptions& o) { o.linearization.stability_tol = 2; },
               "linearization.stability_tol", "2");
  expect_error([](AnalysisOptions& o) { o.transitions.limit_cycles.max_period = 0; },
               "transitions.limit_cycles.max_period", "0");
  expect_error([](AnalysisOptions& o) { o.transitions.limit_cycles.shooting.tol_residual = 0; },
               "transitions.limit_cycles.shooting.tol_residual", "0");
}

TEST(AnalysisOptions, EveryFieldOfTheTreeIsRejectedByItsPathWhenItBreaksItsRule) {
  // for_each_field() walks the nested structs; validate() must name each field by the same path
  // (the /options attribute, the flag and the study-config key are made from it).
  std::vector<std::string> paths;
  const AnalysisOptions defaults;
  for_each_field(defaults, [&](const std::string& path, const auto& field, const auto&) {
    paths.push_back(path);
    if (!field.rule.checked) return;
    AnalysisOptions o;
    bool found = false;
    for_each_field(o, [&](const std::string& p, const auto&, auto& value) {
      if (p != path) return;
      found = true;
      using T = std::decay_t<decltype(value)>;
      if constexpr (std::is_same_v<T, double>) {
        value = std::numeric_limits<double>::quiet_NaN();
      } else if constexpr (std::is_same_v<T, int>) {
        value = -1000000;  // every int field's rule is a lower bound >= 0
      } else {
        ADD_FAILURE() << path << ": a checked field of an unexpected type";
      }
    });
    ASSERT_TRUE(found) << path;
    try {
      o.validate();
      ADD_FAILURE() << path << ": the broken value was accepted";
    } catch (const InvalidArgument& e) {
      EXPECT_EQ(e.field(), path);
    }
  });
  EXPECT_EQ(std::set<std::string>(paths.begin(), paths.end()).size(), paths.size());
  EXPECT_NE(
      std::find(paths.begin(), paths.end(), "transitions.limit_cycles.shooting.newton.lm_damping"),
      paths.end());
  EXPECT_NE(std::find(paths.begin(), paths.end(), "fixed_points.max_iters"), paths.end());
}

TEST(AnalysisOptions, CrossFieldRulesNameTheFieldToChange) {
  AnalysisOptions o;
  o.fixed_points.lr_initial = 1e-4;  // below the default floor lr_min = 1e-3
  try {
    o.validate();
    ADD_FAILURE() << "lr_min > lr_initial was accepted";
  } catch (const InvalidArgument& e) {
    EXPECT_EQ(e.field(), "fixed_points.lr_min");
  }
  o = AnalysisOptions{};
  o.transitions.limit_cycles.max_period = 100;
  o.transitions.limit_cycles.n_record = 200;  // >= 16, but not >= 2 max_period + 1
  try {
    o.validate();
    ADD_FAILURE() << "n_record < 2 max_period + 1 was accepted";
  } catch (const InvalidArgument& e) {
    EXPECT_EQ(e.field(), "transitions.limit_cycles.n_record");
  }
}

}  // namespace
}  // namespace rnnatlas
