#include "rnnatlas/dynamics/transitions.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "dynamics/dynamics_testing.h"
#include "rnnatlas/error.h"
#include "testing/random_matrix.h"

namespace rnnatlas {
namespace {

using Eigen::MatrixXd;
using Eigen::VectorXd;

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
    EXPECT_NEAR(t.final_state.norm(), options.perturbation * std::pow(1.05, 50), 1e-12);
  }
  EXPECT_EQ(graph.weights.sum(), 0);
}

TEST(TransitionOptions, ValidationNamesTheField) {
  TransitionOptions o;
  o.tol_match = 0;
  try {
    o.validate();
    ADD_FAILURE() << "expected InvalidArgument";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("TransitionOptions::tol_match = 0"), std::string::npos)
        << e.what();
  }
  o = {};
  o.max_steps = 0;
  EXPECT_THROW(o.validate(), InvalidArgument);
  const Network network = testing::scaled_identity_tanh(2, 2.0);
  FixedPoints points;
  points.input = VectorXd::Zero(1);
  points.states = MatrixXd::Zero(2, 1);
  EXPECT_THROW(find_transitions(network, points, {}), InvalidArgument);
}

}  // namespace
}  // namespace rnnatlas
