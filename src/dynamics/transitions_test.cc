#include "rnnatlas/dynamics/transitions.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <string>
#include <vector>

#include "dynamics/dynamics_testing.h"
#include "rnnatlas/error.h"
#include "testing/random_matrix.h"

namespace rnnatlas {
namespace {

using Eigen::MatrixXd;
using Eigen::VectorXd;

constexpr double kPi = std::numbers::pi;

// Number of coordinates of point p that are zero (the rest are +/- x*).
int n_zero(const FixedPoints& points, int p) {
  return static_cast<int>((points.states.col(p).array().abs() < 0.1).count());
}

TEST(FindTransitions, ScaledIdentityTanhGraphIsKnownInClosedForm) {
  // W = 2 I, N = 2. The axes are invariant, so the unstable manifolds are known exactly:
  // the origin (2 unstable modes) -> each of the 4 saddles (one zero coordinate), and each saddle
  // -> the 2 corners that agree with it on its nonzero coordinate.
  const Network network = testing::scaled_identity_tanh(2, 2.0);
  internal::Rng rng(5);
  const FixedPointResult found =
      find_fixed_points(network, testing::random_normal(2, 128, 1.0, rng), VectorXd::Zero(1));
  ASSERT_EQ(found.points.n_points(), 9) << found.summary.message;
  const FixedPoints& points = found.points;
  const TransitionGraph graph = find_transitions(network, points, linearize(network, points));
  EXPECT_EQ(graph.transitions.size(), 4u + 4u * 2u);  // 2 modes x 2 signs + 4 saddles x 2 signs
  EXPECT_EQ(graph.n_unresolved, 0);
  EXPECT_EQ(graph.n_unmatched, 0);
  for (const Transition& t : graph.transitions) {
    ASSERT_TRUE(t.settled);
    ASSERT_GE(t.to, 0);
    const VectorXd from = points.states.col(t.from), to = points.states.col(t.to);
    EXPECT_EQ(n_zero(points, t.to), n_zero(points, t.from) - 1) << "from " << t.from;
    // The run keeps the nonzero coordinates of its source and moves exactly one zero coordinate.
    for (int i = 0; i < 2; ++i) {
      if (std::abs(from[i]) > 0.1) {
        EXPECT_NEAR(from[i], to[i], 1e-12);
      }
    }
  }
  EXPECT_EQ(graph.weights.sum(), 12);
  EXPECT_EQ(graph.weights.maxCoeff(), 1);  // every edge is distinct
  for (int p = 0; p < 9; ++p) {
    const int out = graph.weights.row(p).sum();
    EXPECT_EQ(out, 2 * n_zero(points, p)) << "point " << p;
  }
  // Every run settled, so nothing was examined for limit cycles.
  EXPECT_TRUE(graph.cycles.empty());
  EXPECT_EQ(graph.cycle_weights.rows(), 9);
  EXPECT_EQ(graph.cycle_weights.cols(), 0);
  for (const Transition& t : graph.transitions) {
    EXPECT_EQ(t.attractor, AttractorKind::kFixedPoint);
    EXPECT_EQ(t.cycle, -1);
  }
}

TEST(FindTransitions, UnstableSpiralThatNeverSettlesIsUnresolved) {
  // Linear r R(theta) with r > 1: the run from the origin spirals out forever.
  const Network network =
      testing::recurrent_only(Activation::kLinear, testing::rotation_scaling(1.05, 0.4));
  FixedPoints points;
  points.input = VectorXd::Zero(1);
  points.states = MatrixXd::Zero(2, 1);
  points.q = VectorXd::Zero(1);
  TransitionOptions options;
  options.max_steps = 50;
  const TransitionGraph graph =
      find_transitions(network, points, linearize(network, points), options);
  ASSERT_EQ(graph.transitions.size(), 4u);  // a complex pair spans two directions, each +/-
  EXPECT_EQ(graph.n_unresolved, 4);
  for (const Transition& t : graph.transitions) {
    EXPECT_FALSE(t.settled);
    EXPECT_EQ(t.to, -1);
    EXPECT_EQ(t.cycle, -1);
    // Examined for a limit cycle: it grows by 1.05 per step until it passes divergence_norm.
    EXPECT_EQ(t.attractor, AttractorKind::kDiverged);
    EXPECT_NEAR(t.final_state.norm(), options.perturbation * std::pow(1.05, 50), 1e-12);
  }
  EXPECT_EQ(graph.weights.sum(), 0);
  EXPECT_TRUE(graph.cycles.empty());

  options.find_limit_cycles = false;
  const TransitionGraph unexamined =
      find_transitions(network, points, linearize(network, points), options);
  EXPECT_EQ(unexamined.n_unresolved, 4);
  for (const Transition& t : unexamined.transitions) {
    EXPECT_EQ(t.attractor, AttractorKind::kUnresolved);
  }
}

/// The origin alone, as the point list of a network whose only fixed point of interest it is.
FixedPoints origin(int n_state) {
  FixedPoints points;
  points.input = VectorXd::Zero(1);
  points.states = MatrixXd::Zero(n_state, 1);
  points.q = VectorXd::Zero(1);
  points.is_slow = {false};
  return points;
}

TEST(FindTransitions, AlternatingTanhReachesTheStablePeriodTwoOrbitInClosedForm) {
  // h' = tanh(-a h), a = 1.5: the origin is unstable (lambda = -a), and both runs from it reach
  // the orbit c -> -c -> c, c = tanh(a c), at opposite phases: one limit cycle, weight 2. Its
  // Floquet multiplier is (a (1 - c^2))^2 < 1 (stable), its frequency pi (a half turn per step).
  const double a = 1.5;
  const double c = testing::tanh_fixed_point(a);
  const double d = a * (1.0 - c * c);
  const Network network = testing::recurrent_only(Activation::kTanh, MatrixXd::Constant(1, 1, -a));
  const FixedPoints points = origin(1);
  const TransitionGraph graph = find_transitions(network, points, linearize(network, points));
  ASSERT_EQ(graph.transitions.size(), 2u);
  EXPECT_EQ(graph.n_unresolved, 0);
  EXPECT_EQ(graph.n_unmatched, 0);
  ASSERT_EQ(graph.cycles.size(), 1u);
  EXPECT_EQ(graph.cycle_weights, Eigen::MatrixXi::Constant(1, 1, 2));
  EXPECT_EQ(graph.weights.sum(), 0);
  for (const Transition& t : graph.transitions) {
    EXPECT_FALSE(t.settled);
    EXPECT_EQ(t.attractor, AttractorKind::kPeriodicOrbit);
    EXPECT_EQ(t.cycle, 0);
    EXPECT_EQ(t.to, -1);
  }
  const LimitCycle& cycle = graph.cycles[0];
  EXPECT_EQ(cycle.kind, AttractorKind::kPeriodicOrbit);
  EXPECT_EQ(cycle.period, 2.0);
  EXPECT_NEAR(cycle.frequency, kPi, 1e-15);
  EXPECT_EQ(cycle.stability, StabilityClass::kStable);
  ASSERT_EQ(cycle.multipliers.size(), 1);
  EXPECT_NEAR(cycle.multipliers[0].real(), d * d, 1e-12);
  EXPECT_EQ(cycle.multipliers[0].imag(), 0.0);
  ASSERT_EQ(cycle.lyapunov_exponents.size(), 1);  // n_lyapunov capped at n_state
  EXPECT_NEAR(cycle.lyapunov_exponents[0], std::log(d), 1e-12);
  EXPECT_NEAR(std::abs(cycle.state[0]), c, 1e-13);
  EXPECT_NEAR(cycle.amplitude.center[0], 0.0, 1e-13);
  EXPECT_NEAR(cycle.amplitude.half_range[0], c, 1e-13);
  EXPECT_NEAR(cycle.amplitude.rms_radius, c, 1e-13);
}

TEST(FindTransitions, RotatingTanhOriginLeadsAlongTheInvariantAxesToThePeriodFourSaddleOrbit) {
  // h' = tanh(W h), W = [[0, a], [-a, 0]] (a R(-pi/2)), a = 1.5: the origin's eigenvalues are
  // +/- i a, and the real and imaginary parts of the eigenvector are the axes. The axes are
  // invariant (W maps an axis to the other, tanh keeps zeros), so all four runs stay on them and
  // reach the axis orbit (c, 0) -> (0, -c) -> (-c, 0) -> (0, c) at four different phases: one
  // limit cycle of period 4 (frequency pi/2), a saddle with multipliers a^4 (across the axes) and
  // (a (1 - c^2))^4 (along them); see limit_cycles_test.cc.
  const double a = 1.5;
  const double c = testing::tanh_fixed_point(a);
  const double d = 1.0 - c * c;
  MatrixXd W(2, 2);
  W << 0.0, a, -a, 0.0;
  const Network network = testing::recurrent_only(Activation::kTanh, W);
  const FixedPoints points = origin(2);
  const std::vector<Linearization> lins = linearize(network, points);
  ASSERT_EQ(lins[0].n_unstable, 2);
  const TransitionGraph graph = find_transitions(network, points, lins);
  ASSERT_EQ(graph.transitions.size(), 4u);
  for (const Transition& t : graph.transitions) {
    // The premise: every run starts on an axis and so stays there.
    ASSERT_EQ((t.final_state.array() == 0.0).count(), 1) << t.final_state.transpose();
    EXPECT_EQ(t.attractor, AttractorKind::kPeriodicOrbit);
    EXPECT_EQ(t.cycle, 0);
  }
  EXPECT_EQ(graph.n_unresolved, 0);
  ASSERT_EQ(graph.cycles.size(), 1u);
  EXPECT_EQ(graph.cycle_weights, Eigen::MatrixXi::Constant(1, 1, 4));
  const LimitCycle& cycle = graph.cycles[0];
  EXPECT_EQ(cycle.kind, AttractorKind::kPeriodicOrbit);
  EXPECT_EQ(cycle.period, 4.0);
  EXPECT_NEAR(cycle.frequency, kPi / 2, 1e-15);
  EXPECT_EQ(cycle.stability, StabilityClass::kSaddle);
  ASSERT_EQ(cycle.multipliers.size(), 2);
  EXPECT_NEAR(cycle.multipliers[0].real(), std::pow(a, 4), 1e-11);
  EXPECT_NEAR(cycle.multipliers[1].real(), std::pow(a * d, 4), 1e-12);
  EXPECT_EQ(cycle.multipliers.imag().cwiseAbs().maxCoeff(), 0.0);
  // The state is one of the four orbit points.
  EXPECT_NEAR(cycle.state.cwiseAbs().maxCoeff(), c, 1e-13);
  EXPECT_LT(cycle.state.cwiseAbs().minCoeff(), 1e-13);
  EXPECT_NEAR(cycle.amplitude.rms_radius, c, 1e-13);
  EXPECT_LT(cycle.amplitude.center.norm(), 1e-13);
}

TEST(FindTransitions, SaturatingUnstableSpiralReachesTheAttractingCurveOfClassifyAttractors) {
  // tanh(1.05 R(0.3) h): the origin is an unstable focus, and the four runs from it (Re and Im of
  // the unstable pair, +/-) settle on the one attracting invariant curve (limit_cycles_test.cc).
  // The graph must record that curve as classify_attractors() finds it from an unrelated start:
  // same frequency (to the weighted Birkhoff accuracy), attracting, same size.
  const double theta = 0.3;
  const Network network =
      testing::recurrent_only(Activation::kTanh, testing::rotation_scaling(1.05, theta));
  const FixedPoints points = origin(2);
  const TransitionGraph graph = find_transitions(network, points, linearize(network, points));
  ASSERT_EQ(graph.transitions.size(), 4u);
  EXPECT_EQ(graph.n_unresolved, 0);
  ASSERT_EQ(graph.cycles.size(), 1u);
  EXPECT_EQ(graph.cycle_weights, Eigen::MatrixXi::Constant(1, 1, 4));
  for (const Transition& t : graph.transitions) {
    EXPECT_EQ(t.attractor, AttractorKind::kInvariantCurve);
    EXPECT_EQ(t.cycle, 0);
  }
  const LimitCycle& cycle = graph.cycles[0];
  EXPECT_EQ(cycle.kind, AttractorKind::kInvariantCurve);
  EXPECT_EQ(cycle.stability, StabilityClass::kStable);
  EXPECT_EQ(cycle.multipliers.size(), 0);
  ASSERT_EQ(cycle.lyapunov_exponents.size(), 2);
  EXPECT_LT(std::abs(cycle.lyapunov_exponents[0]), 1e-3);
  EXPECT_LT(cycle.lyapunov_exponents[1], -0.05);

  MatrixXd start(2, 1);
  start << 0.7, -0.2;
  const AttractorResult reference = classify_attractors(network, start, VectorXd::Zero(1));
  const Attractor& run = reference.runs[0];
  ASSERT_EQ(run.kind, AttractorKind::kInvariantCurve) << run.message;
  EXPECT_NEAR(cycle.frequency, run.curve.frequency, 1e-9);
  EXPECT_NEAR(cycle.frequency, theta, 0.02);
  EXPECT_NEAR(cycle.period, 2 * kPi / run.curve.frequency, 1e-6);
  EXPECT_NEAR(cycle.amplitude.rms_radius, run.curve.amplitude.rms_radius, 1e-9);
  // The representative state lies on the reference run's curve.
  const double gap = (run.curve.points.colwise() - cycle.state).colwise().norm().minCoeff();
  EXPECT_LT(gap, 0.05 * run.curve.amplitude.rms_radius);
  EXPECT_NEAR(cycle.state.norm(), run.curve.amplitude.rms_radius, 0.2);
}

TEST(FindTransitions, LimitCyclesDoNotDependOnTheThreadCount) {
  const Network network =
      testing::recurrent_only(Activation::kTanh, testing::rotation_scaling(1.05, 0.3));
  const FixedPoints points = origin(2);
  const std::vector<Linearization> lins = linearize(network, points);
  TransitionOptions options;
  const TransitionGraph one = find_transitions(network, points, lins, options, Execution{1});
  const TransitionGraph three = find_transitions(network, points, lins, options, Execution{3});
  ASSERT_EQ(one.cycles.size(), three.cycles.size());
  EXPECT_EQ(one.cycle_weights, three.cycle_weights);
  for (std::size_t c = 0; c < one.cycles.size(); ++c) {
    EXPECT_EQ(one.cycles[c].frequency, three.cycles[c].frequency);
    EXPECT_EQ(one.cycles[c].state, three.cycles[c].state);
    EXPECT_EQ(one.cycles[c].lyapunov_exponents, three.cycles[c].lyapunov_exponents);
  }
  for (std::size_t r = 0; r < one.transitions.size(); ++r) {
    EXPECT_EQ(one.transitions[r].cycle, three.transitions[r].cycle);
  }
}

TEST(FindTransitions, SlowlySettlingRunsAreMatchedToTheFixedPointTheExaminationFinds) {
  // h' = tanh(1.002 h): the origin is unstable, +/- x* (x* ~ 0.077) stable with lambda ~ 0.996.
  // After 4000 steps both runs are still moving (analysis_test.cc); the examination's 2000 more
  // steps bring them close enough for Newton shooting to find +/- x*: one run to each.
  const Network network =
      testing::recurrent_only(Activation::kTanh, MatrixXd::Constant(1, 1, 1.002));
  double x = 0.1;  // x = tanh(1.002 x); the iteration contracts by ~0.996 per step
  for (int i = 0; i < 20000; ++i) x = std::tanh(1.002 * x);
  FixedPoints points = origin(1);
  points.states.resize(1, 3);
  points.states << 0.0, x, -x;
  points.q = VectorXd::Zero(3);
  points.is_slow.assign(3, false);
  TransitionOptions options;
  options.max_steps = 4000;
  const std::vector<Linearization> lins = linearize(network, points);
  options.find_limit_cycles = false;
  TransitionGraph graph = find_transitions(network, points, lins, options);
  EXPECT_EQ(graph.n_unresolved, 2);
  for (const Transition& t : graph.transitions) EXPECT_FALSE(t.settled);

  resolve_unsettled_runs(network, points, options.limit_cycles, options.tol_match, graph);
  EXPECT_EQ(graph.n_unresolved, 0);
  EXPECT_EQ(graph.n_unmatched, 0);
  EXPECT_TRUE(graph.cycles.empty());
  EXPECT_EQ(graph.weights(0, 1), 1);
  EXPECT_EQ(graph.weights(0, 2), 1);
  for (const Transition& t : graph.transitions) {
    EXPECT_EQ(t.attractor, AttractorKind::kFixedPoint);
    EXPECT_FALSE(t.settled);
  }
  // The same in one call.
  options.find_limit_cycles = true;
  const TransitionGraph direct = find_transitions(network, points, lins, options);
  EXPECT_EQ(direct.weights, graph.weights);
  EXPECT_EQ(direct.n_unresolved, 0);
}

TEST(TransitionOptions, ValidationNamesTheField) {
  TransitionOptions o;
  o.tol_match = 0;
  try {
    o.validate();
    ADD_FAILURE() << "expected InvalidArgument";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("tol_match = 0"), std::string::npos) << e.what();
  }
  o = {};
  o.max_steps = 0;
  EXPECT_THROW(o.validate(), InvalidArgument);
  o = {};
  o.limit_cycles.n_record = 3;
  try {
    o.validate();
    ADD_FAILURE() << "expected InvalidArgument";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("limit_cycles.n_record = 3"), std::string::npos)
        << e.what();
  }
  const Network network = testing::scaled_identity_tanh(2, 2.0);
  FixedPoints points;
  points.input = VectorXd::Zero(1);
  points.states = MatrixXd::Zero(2, 1);
  EXPECT_THROW(find_transitions(network, points, {}), InvalidArgument);
  // A graph that already has its limit cycles is not examined twice.
  points.q = VectorXd::Zero(1);
  TransitionGraph graph = find_transitions(network, points, linearize(network, points));
  graph.cycles.emplace_back();
  EXPECT_THROW(resolve_unsettled_runs(network, points, {}, 1e-3, graph), InvalidArgument);
}

}  // namespace
}  // namespace rnnatlas
