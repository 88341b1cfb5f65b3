#include "rnnatlas/dynamics/topology.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "common/random.h"
#include "dynamics/analysis_testing.h"
#include "rnnatlas/dynamics/analysis.h"
#include "rnnatlas/error.h"
#include "rnnatlas/tasks/tasks.h"

namespace rnnatlas {
namespace {

using Eigen::MatrixXd;
using Eigen::MatrixXi;
using Eigen::VectorXd;
using Eigen::VectorXi;
using ::testing::HasSubstr;

// ---- Continuous attractors ------------------------------------------------------------------
// Synthetic flows in R^3 with known attractors, iterated for kFlowSteps steps (the memory time
// scale of find_continuous_attractors()).
constexpr int kFlowSteps = 100;

template <typename Step>
FlowFunction iterate(Step step) {
  return [step](const MatrixXd& s) {
    MatrixXd x = s;
    for (int t = 0; t < kFlowSteps; ++t) {
      for (Eigen::Index j = 0; j < x.cols(); ++j) x.col(j) = step(Eigen::Vector3d(x.col(j)));
    }
    return x;
  };
}

/// A line attractor along the first axis: (x, y, z) -> (x, y / 2, z / 2).
const FlowFunction kLineFlow =
    iterate([](const Eigen::Vector3d& s) { return Eigen::Vector3d(s[0], 0.5 * s[1], 0.5 * s[2]); });

/// An approximate line attractor: x decays by 0.2% per step (a time constant of 500 steps, longer
/// than the 100 of kFlowSteps), y and z are contracted. Its points are slow points, not fixed ones,
/// and a stretch of the line drifts together towards the origin.
const FlowFunction kSlowLineFlow = iterate(
    [](const Eigen::Vector3d& s) { return Eigen::Vector3d(0.998 * s[0], 0.5 * s[1], 0.5 * s[2]); });

/// A ring attractor, the unit circle of the (x, y) plane: the radius halves its distance to 1.
const FlowFunction kRingFlow = iterate([](const Eigen::Vector3d& s) {
  const double r = s.head<2>().norm();
  Eigen::Vector3d next = s;
  if (r > 0) next.head<2>() *= (r + 0.5 * (1.0 - r)) / r;
  next[2] = 0.5 * s[2];
  return next;
});

/// Two parallel line attractors, y = +/- x* (x* = tanh(2 x*)): x is free, y is bistable.
const FlowFunction kTwoLinesFlow = iterate([](const Eigen::Vector3d& s) {
  return Eigen::Vector3d(s[0], std::tanh(2.0 * s[1]), 0.5 * s[2]);
});

/// Eight stable corners (+/- x*)^3 of the perfect flip-flop h -> tanh(2 h).
const FlowFunction kCornersFlow = iterate([](const Eigen::Vector3d& s) {
  return Eigen::Vector3d(s.array().unaryExpr([](double v) { return std::tanh(2.0 * v); }));
});

/// A plane attractor, z = 0.
const FlowFunction kPlaneFlow =
    iterate([](const Eigen::Vector3d& s) { return Eigen::Vector3d(s[0], s[1], 0.5 * s[2]); });

/// n points on the segment from -1 to 1 of the first axis.
MatrixXd line_points(int n) {
  MatrixXd x = MatrixXd::Zero(3, n);
  for (int i = 0; i < n; ++i) x(0, i) = -1.0 + 2.0 * i / (n - 1);
  return x;
}

/// n points on the unit circle from angle 0 to `arc`, (ends included when the arc is open).
MatrixXd circle_points(int n, double arc = 2.0 * M_PI) {
  MatrixXd x = MatrixXd::Zero(3, n);
  const bool closed = arc >= 2.0 * M_PI;
  for (int i = 0; i < n; ++i) {
    const double a = arc * i / (closed ? n : n - 1);
    x(0, i) = std::cos(a);
    x(1, i) = std::sin(a);
  }
  return x;
}

/// The attractors of points that are all stable with `n_marginal` marginal modes.
ContinuousAttractors attractors_of(const MatrixXd& points,
                                   const FlowFunction& flow,
                                   int n_marginal = 1) {
  const auto n = points.cols();
  return find_continuous_attractors(points, VectorXi::Zero(n), VectorXi::Constant(n, n_marginal),
                                    flow);
}

/// A one-condition topology summary from the points' attractors.
TopologySummary continuous_summary(const std::string& id, const ContinuousAttractors& found) {
  MatrixXi signature = signature_row(found, VectorXi::Zero(found.attractor.size())).transpose();
  return {id, "context_integration", signature, MatrixXi()};
}

TEST(ContinuousAttractors, ALineSampledByFiveOrFiveHundredPointsIsOneOpenCurve) {
  for (const int n : {5, 500}) {
    const ContinuousAttractors found = attractors_of(line_points(n), kLineFlow);
    ASSERT_EQ(found.attractors.size(), 1u) << n << " points";
    EXPECT_EQ(found.attractors[0].shape, AttractorShape::kOpenCurve);
    EXPECT_EQ(found.attractors[0].dimension, 1);
    EXPECT_EQ(found.attractors[0].n_points, n);
    EXPECT_EQ(found.attractor, VectorXi::Zero(n));
  }
  const TopologySummary five = continuous_summary("five", attractors_of(line_points(5), kLineFlow));
  const TopologySummary many =
      continuous_summary("many", attractors_of(line_points(500), kLineFlow));
  EXPECT_EQ(five.signature, many.signature);
  EXPECT_EQ(topology_distance(five, many), 0.0);
  // The signature: one open curve, stable off it, and no isolated point.
  EXPECT_EQ(five.signature, (MatrixXi(1, 11) << 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0).finished());
}

TEST(ContinuousAttractors, AnApproximateLineOfSlowPointsIsOneOpenCurveAtAnySampling) {
  // The stretch from 0.5 to 2.5 drifts by 9% to 18% of its place over the 100 steps: far more than
  // the gap between 500 neighbours, but together.
  for (const int n : {5, 500}) {
    MatrixXd points = line_points(n);
    points.row(0) = (points.row(0).array() + 3.0) / 2.0;
    const ContinuousAttractors found = attractors_of(points, kSlowLineFlow);
    ASSERT_EQ(found.attractors.size(), 1u) << n << " points";
    EXPECT_EQ(found.attractors[0].shape, AttractorShape::kOpenCurve);
    EXPECT_EQ(found.attractors[0].n_points, n);
  }
  // Two slowly drifting lines still stay two: between them the states fall to one or the other.
  MatrixXd two(3, 40);
  const double x_star = 0.957504;
  two.leftCols(20) = line_points(20);
  two.rightCols(20) = line_points(20);
  two.row(1).head(20).setConstant(x_star);
  two.row(1).tail(20).setConstant(-x_star);
  const FlowFunction slow_two = iterate([](const Eigen::Vector3d& s) {
    return Eigen::Vector3d(0.998 * s[0], std::tanh(2.0 * s[1]), 0.5 * s[2]);
  });
  EXPECT_EQ(attractors_of(two, slow_two).attractors.size(), 2u);
}

TEST(SlowPointsOnVisitedStates, NearTheTrialsAndHeldOverATrial) {
  // Visited states: four corners of a square of side 2 in the first two coordinates. Their mean
  // is the origin, every one is sqrt(2) from it: the spread is sqrt(2).
  MatrixXd visited(3, 4);
  visited << 1, 1, -1, -1,  //
      1, -1, 1, -1,         //
      0, 0, 0, 0;
  const double spread = std::sqrt(2.0);
  const int n_time = 50;
  // Drift per step sqrt(2 q): held over the trial while 50 sqrt(2 q) <= sqrt(2), q <= 4e-4.
  MatrixXd states(3, 5);
  VectorXd q(5);
  states.col(0) << 1, 1, 0.5;  // on a visited state's doorstep, q tiny: on
  q[0] = 1e-8;
  states.col(1) << 1, 1, spread * 0.999;  // just inside one spread of (1, 1, 0): on
  q[1] = 1e-8;
  states.col(2) << 1, 1, spread * 1.001;  // just outside: off
  q[2] = 1e-8;
  states.col(3) << 0, 0.01, 0;  // 1.407 from the nearest visited state, but drifts too fast: off
  q[3] = 4.1e-4;
  states.col(4) << 0, 0.01, 0;  // the same place, held: on
  q[4] = 3.9e-4;
  const std::vector<char> on = slow_points_on_visited_states(states, q, visited, n_time);
  EXPECT_EQ(on, (std::vector<char>{1, 1, 0, 0, 1}));
  // The same points against a trial 10 times longer: the drift of point 4 no longer holds.
  EXPECT_EQ(slow_points_on_visited_states(states, q, visited, 10 * n_time),
            (std::vector<char>{1, 1, 0, 0, 0}));
  // Shifting everything together changes nothing.
  const Eigen::Vector3d shift(100, -3, 7);
  EXPECT_EQ(
      slow_points_on_visited_states(states.colwise() + shift, q, visited.colwise() + shift, n_time),
      on);
}

TEST(SlowPointsOnVisitedStates, RejectsInconsistentShapes) {
  const MatrixXd visited = MatrixXd::Zero(3, 4);
  EXPECT_THROW(slow_points_on_visited_states(MatrixXd::Zero(3, 2), VectorXd::Zero(3), visited, 5),
               InvalidArgument);
  EXPECT_THROW(slow_points_on_visited_states(MatrixXd::Zero(2, 2), VectorXd::Zero(2), visited, 5),
               InvalidArgument);
  EXPECT_THROW(
      slow_points_on_visited_states(MatrixXd::Zero(3, 2), VectorXd::Zero(2), MatrixXd(3, 0), 5),
      InvalidArgument);
  EXPECT_THROW(slow_points_on_visited_states(MatrixXd::Zero(3, 2), VectorXd::Zero(2), visited, 0),
               InvalidArgument);
}

TEST(ContinuousAttractors, ARingIsAClosedCurveAndAnArcOfItAnOpenOne) {
  for (const int n : {5, 12, 500}) {
    const ContinuousAttractors ring = attractors_of(circle_points(n), kRingFlow);
    ASSERT_EQ(ring.attractors.size(), 1u) << n << " points";
    EXPECT_EQ(ring.attractors[0].shape, AttractorShape::kClosedCurve) << n << " points";
    const ContinuousAttractors arc = attractors_of(circle_points(n, M_PI), kRingFlow);
    ASSERT_EQ(arc.attractors.size(), 1u) << n << " points";
    EXPECT_EQ(arc.attractors[0].shape, AttractorShape::kOpenCurve) << n << " points";
  }
  const TopologySummary line =
      continuous_summary("line", attractors_of(line_points(500), kLineFlow));
  const TopologySummary ring =
      continuous_summary("ring", attractors_of(circle_points(500), kRingFlow));
  EXPECT_EQ(topology_distance(line, ring), 1.0);  // disjoint: a line is no ring
  EXPECT_EQ(topology_distance(
                ring, continuous_summary("ring5", attractors_of(circle_points(5), kRingFlow))),
            0.0);
}

TEST(ContinuousAttractors, SeparateAttractorsStaySeparate) {
  // Two parallel lines: the states between them flow to one or the other.
  MatrixXd two(3, 40);
  const double x_star = 0.957504;
  two.leftCols(20) = line_points(20);
  two.rightCols(20) = line_points(20);
  two.row(1).head(20).setConstant(x_star);
  two.row(1).tail(20).setConstant(-x_star);
  const ContinuousAttractors lines = attractors_of(two, kTwoLinesFlow);
  ASSERT_EQ(lines.attractors.size(), 2u);
  EXPECT_EQ(lines.attractor.head(20), VectorXi::Constant(20, lines.attractor[0]));
  EXPECT_EQ(lines.attractor.tail(20), VectorXi::Constant(20, lines.attractor[20]));
  EXPECT_NE(lines.attractor[0], lines.attractor[20]);

  // The flip-flop's corners, even when every corner is (said to be) marginal: isolated points.
  MatrixXd corners(3, 8);
  for (int i = 0; i < 8; ++i) {
    for (int b = 0; b < 3; ++b) corners(b, i) = (i >> b) & 1 ? x_star : -x_star;
  }
  const ContinuousAttractors isolated = attractors_of(corners, kCornersFlow);
  EXPECT_TRUE(isolated.attractors.empty());
  EXPECT_EQ(isolated.attractor, VectorXi::Constant(8, -1));
  EXPECT_EQ(signature_row(isolated, VectorXi::Zero(8)),
            (VectorXi(11) << 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0).finished());

  // Points on a line without a marginal mode are not a continuum, whatever the flow says.
  EXPECT_TRUE(attractors_of(line_points(10), kLineFlow, /*n_marginal=*/0).attractors.empty());
}

TEST(ContinuousAttractors, APlaneIsAManifoldAndSaddlesCountOffIt) {
  MatrixXd grid(3, 25);
  for (int row = 0; row < 5; ++row) {
    for (int column = 0; column < 5; ++column) {
      grid.col(5 * row + column) = Eigen::Vector3d(column - 2.0, row - 2.0, 0.0);
    }
  }
  const ContinuousAttractors plane = attractors_of(grid, kPlaneFlow, /*n_marginal=*/2);
  ASSERT_EQ(plane.attractors.size(), 1u);
  EXPECT_EQ(plane.attractors[0].shape, AttractorShape::kManifold);
  EXPECT_EQ(plane.attractors[0].dimension, 2);

  // A line whose points alternate between nodes and saddles (unstable along the line) is stable
  // off it: the least unstable count. An isolated saddle beside it counts in column 1.
  MatrixXd points(3, 11);
  points.leftCols(10) = line_points(10);
  points.col(10) = Eigen::Vector3d(0.0, 0.0, 50.0);
  VectorXi n_unstable(11), n_marginal = VectorXi::Ones(11);
  for (int i = 0; i < 10; ++i) n_unstable[i] = i % 2;
  n_unstable[10] = 1;
  n_marginal[10] = 0;
  const ContinuousAttractors found =
      find_continuous_attractors(points, n_unstable, n_marginal, kLineFlow);
  ASSERT_EQ(found.attractors.size(), 1u);
  EXPECT_EQ(found.attractors[0].n_unstable, 0);
  EXPECT_EQ(found.attractor[10], -1);
  EXPECT_EQ(signature_row(found, n_unstable),
            (VectorXi(11) << 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0).finished());
}

TEST(ContinuousAttractors, RejectsInconsistentShapesAndABadFlow) {
  EXPECT_THROW(
      find_continuous_attractors(line_points(4), VectorXi::Zero(3), VectorXi::Ones(4), kLineFlow),
      InvalidArgument);
  const FlowFunction truncating = [](const MatrixXd& s) { return MatrixXd(s.leftCols(1)); };
  EXPECT_THROW(
      find_continuous_attractors(line_points(4), VectorXi::Zero(4), VectorXi::Ones(4), truncating),
      InvalidArgument);
  // Fewer than two points: nothing to join.
  EXPECT_TRUE(attractors_of(line_points(2).leftCols(1), kLineFlow).attractors.empty());
}

TEST(ContinuousAttractors, ShapeNamesRoundTrip) {
  EXPECT_EQ(to_string(AttractorShape::kOpenCurve), "open_curve");
  EXPECT_EQ(to_string(AttractorShape::kClosedCurve), "closed_curve");
  EXPECT_EQ(to_string(AttractorShape::kManifold), "manifold");
}

MatrixXi random_counts(int rows, int cols, int max_count, internal::Rng& rng) {
  MatrixXi m(rows, cols);
  for (Eigen::Index j = 0; j < cols; ++j) {
    for (Eigen::Index i = 0; i < rows; ++i) {
      // Sparse, like label graphs: most entries zero.
      m(i, j) = rng.uniform() < 0.6 ? 0 : static_cast<int>(rng.uniform_int(max_count + 1));
    }
  }
  return m;
}

TEST(SoergelDistance, KnownValues) {
  const MatrixXi zero = MatrixXi::Zero(2, 2);
  MatrixXi a = zero, b = zero;
  a(0, 0) = 1;
  b(0, 1) = 1;
  EXPECT_EQ(soergel_distance(a, a), 0.0);
  EXPECT_EQ(soergel_distance(zero, zero), 0.0);  // two empty graphs are the same graph
  EXPECT_EQ(soergel_distance(a, b), 1.0);        // disjoint support
  EXPECT_EQ(soergel_distance(a, zero), 1.0);
  EXPECT_EQ(soergel_distance(2 * a, a), 0.5);  // |2 - 1| / max(2, 1)
  // 8 corners; B also has one saddle (its own count and two runs to corners): 3 / 11.
  MatrixXi corners = MatrixXi::Zero(27, 27);
  for (const int label : {0, 2, 6, 8, 18, 20, 24, 26}) corners(label, label) = 1;
  MatrixXi with_saddle = corners;
  const int saddle = 1;  // (-, -, 0) -> (-, -, -) and (-, -, +)
  with_saddle(saddle, saddle) = 1;
  with_saddle(saddle, 0) = 1;
  with_saddle(saddle, 2) = 1;
  EXPECT_DOUBLE_EQ(soergel_distance(corners, with_saddle), 3.0 / 11.0);
}

TEST(SoergelDistance, IsAMetricBoundedByOne) {
  internal::Rng rng(17);
  for (int trial = 0; trial < 2000; ++trial) {
    const MatrixXi a = random_counts(4, 5, 3, rng), b = random_counts(4, 5, 3, rng),
                   c = random_counts(4, 5, 3, rng);
    const double ab = soergel_distance(a, b), ba = soergel_distance(b, a);
    EXPECT_EQ(ab, ba);
    EXPECT_GE(ab, 0.0);
    EXPECT_LE(ab, 1.0);
    EXPECT_EQ(ab == 0.0, a == b);
    EXPECT_LE(ab, soergel_distance(a, c) + soergel_distance(c, b) + 1e-15) << "trial " << trial;
  }
}

TEST(SoergelDistance, WhereBrayCurtisBreaksTheTriangleInequality) {
  // A = e1, B = e2, C = e1 + e2: Bray-Curtis gives 1 > 1/3 + 1/3; Soergel gives 1 <= 1/2 + 1/2.
  const Eigen::Matrix<int, 1, 2> a(1, 0), b(0, 1), c(1, 1);
  EXPECT_EQ(soergel_distance(a, b), 1.0);
  EXPECT_EQ(soergel_distance(a, c), 0.5);
  EXPECT_EQ(soergel_distance(c, b), 0.5);
}

TEST(SoergelDistance, RejectsNegativeEntriesAndShapeMismatch) {
  EXPECT_THROW(soergel_distance(MatrixXi::Constant(1, 1, -1), MatrixXi::Zero(1, 1)),
               InvalidArgument);
  EXPECT_THROW(soergel_distance(MatrixXi::Zero(2, 5), MatrixXi::Zero(3, 5)), InvalidArgument);
}

TopologySummary summary(const std::string& id,
                        const MatrixXi& signature,
                        const MatrixXi& label_graph = {}) {
  return {id, "flip_flop", signature, label_graph};
}

TEST(TopologyDistance, ChoosesTheLabelGraphWhenBothHaveOne) {
  MatrixXi s1 = MatrixXi::Zero(1, kSignatureColumns), s2 = MatrixXi::Zero(1, kSignatureColumns);
  s1(0, 0) = 8;
  s2(0, 0) = 8;  // same signature ...
  MatrixXi g1 = MatrixXi::Zero(27, 27), g2 = MatrixXi::Zero(27, 27);
  g1(0, 0) = 1;
  g2(26, 26) = 1;  // ... different labels
  const TopologySummary a = summary("a", s1, g1), b = summary("b", s2, g2);
  EXPECT_EQ(topology_distance(a, b), 1.0);
  EXPECT_EQ(topology_distance(a, b, TopologyDistanceKind::kSignature), 0.0);
  const TopologySummary c = summary("c", s2);  // no label graph: signatures
  EXPECT_EQ(topology_distance(a, c), 0.0);
  try {
    topology_distance(a, c, TopologyDistanceKind::kLabelGraph);
    FAIL();
  } catch (const InvalidArgument& e) {
    EXPECT_THAT(e.what(), HasSubstr("'c' has no label graph"));
  }
}

TEST(TopologyDistance, DifferentShapesNameBothNetworks) {
  const TopologySummary a = summary("net-a", MatrixXi::Zero(6, kSignatureColumns));
  const TopologySummary b = summary("net-b", MatrixXi::Zero(51, kSignatureColumns));
  try {
    topology_distance(a, b);
    FAIL();
  } catch (const InvalidArgument& e) {
    EXPECT_THAT(e.what(), HasSubstr("'net-a' is [6, 11]"));
    EXPECT_THAT(e.what(), HasSubstr("'net-b' is [51, 11]"));
    EXPECT_THAT(e.what(), HasSubstr("input_stride"));
  }
}

TEST(TopologyDistance, RefusesASignatureOfTheFirstFormatThatCountedEveryPoint) {
  const TopologySummary old_format = summary("old", MatrixXi::Zero(2, 5));
  const TopologySummary current = summary("new", MatrixXi::Zero(2, kSignatureColumns));
  try {
    topology_distance(current, old_format);
    FAIL();
  } catch (const InvalidArgument& e) {
    EXPECT_THAT(e.what(), HasSubstr("'old'"));
    EXPECT_THAT(e.what(), HasSubstr("rerun `rnnatlas dynamics`"));
  }
}

TEST(TopologyDistanceMatrix, SymmetricZeroDiagonalAndConsistentKind) {
  internal::Rng rng(3);
  std::vector<TopologySummary> networks;
  networks.reserve(5);
  for (int i = 0; i < 5; ++i) {
    networks.push_back(summary("n" + std::to_string(i), random_counts(3, kSignatureColumns, 4, rng),
                               random_counts(9, 9, 2, rng)));
  }
  const Eigen::MatrixXd d = topology_distance_matrix(networks);
  ASSERT_EQ(d.rows(), 5);
  EXPECT_EQ(d, d.transpose());
  EXPECT_EQ(d.diagonal(), Eigen::VectorXd::Zero(5));
  EXPECT_EQ(d(1, 3), soergel_distance(networks[1].label_graph, networks[3].label_graph));
  // One network without a label graph: every pair compares signatures.
  networks[4].label_graph.resize(0, 0);
  const Eigen::MatrixXd s = topology_distance_matrix(networks);
  EXPECT_EQ(s(1, 3), soergel_distance(networks[1].signature, networks[3].signature));
  EXPECT_EQ(topology_distance_matrix({}).size(), 0);
}

TEST(TopologyDistance, IdenticalScaffoldsOfDifferentNetworksAreAtZero) {
  // The perfect flip-flop, and the same network with its hidden units permuted and scaled
  // readout: different states, same labelled graph.
  const Network a = testing::flip_flop_network();
  Eigen::PermutationMatrix<3> perm(Eigen::Vector3i(2, 0, 1));
  const Eigen::MatrixXd P = perm.toDenseMatrix().cast<double>();
  const Eigen::MatrixXd I = Eigen::MatrixXd::Identity(3, 3);
  const Network b = testing::vanilla_network(Activation::kTanh, P * 2.0 * I * P.transpose(),
                                             P * 3.0 * I, 1.03 * P.transpose());
  const auto task = make_flip_flop();
  AnalysisOptions options;
  options.n_initial_states = 256;
  options.noise_scale = 1.0;
  options.fixed_points.lr_initial = 1.0;  // large first steps spread the candidates over all basins
  options.transitions.max_steps = 500;
  const TopologySummary sa = topology_summary(analyze_network(a, *task, options));
  const TopologySummary sb = topology_summary(analyze_network(b, *task, options));
  ASSERT_EQ(sa.signature(0, 0), 8);
  EXPECT_EQ(topology_distance(sa, sb), 0.0);
}

TEST(TopologyDistanceKind, NamesRoundTrip) {
  for (const auto kind : {TopologyDistanceKind::kAuto, TopologyDistanceKind::kLabelGraph,
                          TopologyDistanceKind::kSignature}) {
    EXPECT_EQ(parse_topology_distance_kind(to_string(kind)), kind);
  }
  try {
    parse_topology_distance_kind("graph");
    FAIL();
  } catch (const InvalidArgument& e) {
    EXPECT_THAT(e.what(), HasSubstr("'graph'"));
    EXPECT_THAT(e.what(), HasSubstr("label_graph"));
  }
}

}  // namespace
}  // namespace rnnatlas
