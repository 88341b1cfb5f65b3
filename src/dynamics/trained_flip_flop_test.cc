// Real trained networks: every architecture, trained on the 3-bit flip-flop with the recipe of
// train_convergence_test (testing/flip_flop_recipe.h) plus the study's strongest L2 penalty
// (1e-3), has at zero input the flip-flop's memories as its stable fixed points: exactly 8, whose
// readouts are the 8 corners of {-1, +1}^3. The fixed-point search finds them at its defaults,
// and its Newton rounds lose no point that Adam alone would lead to.
#include <gtest/gtest.h>

#include <limits>
#include <map>
#include <set>

#include "rnnatlas/dynamics/analysis.h"
#include "rnnatlas/dynamics/fixed_points.h"
#include "rnnatlas/dynamics/linearization.h"
#include "testing/flip_flop_recipe.h"

namespace rnnatlas {
namespace {

using Eigen::MatrixXd;
using Eigen::VectorXd;

/// The recipe's network of `cell`, trained once per test binary.
const Network& trained_network(CellKind cell) {
  static std::map<CellKind, Network> networks;
  auto it = networks.find(cell);
  if (it == networks.end()) {
    const auto task = testing::recipe_flip_flop();
    Network network = testing::recipe_network(cell);
    TrainOptions options = testing::recipe_train_options();
    options.l2 = 1e-3;
    const TrainSummary summary = train(options, *task, network);
    EXPECT_LT(summary.eval.normalized_mse, 0.01) << summary.brief_report();
    it = networks.emplace(cell, std::move(network)).first;
  }
  return it->second;
}

/// The distinct corner labels of the stable fixed points among `points`: a readout within 0.1 of
/// a corner of {-1, +1}^3, as a 3-bit number.
std::set<int> stable_corners(const Network& network, const FixedPoints& points) {
  std::set<int> corners;
  for (int p = 0; p < points.n_points(); ++p) {
    if (points.is_slow[p]) continue;
    const Linearization lin = linearize(network, points.states.col(p), points.input);
    if (lin.n_unstable > 0) continue;
    const VectorXd y = network.readout(points.states.col(p));
    if ((y.cwiseAbs().array() - 1.0).abs().maxCoeff() > 0.1) continue;
    corners.insert((y[0] > 0) + 2 * (y[1] > 0) + 4 * (y[2] > 0));
  }
  return corners;
}

class TrainedFlipFlop : public ::testing::TestWithParam<CellKind> {};

TEST_P(TrainedFlipFlop, StableFixedPointsAreTheEightMemories) {
  const auto task = testing::recipe_flip_flop();
  const Network& network = trained_network(GetParam());

  // The analysis of `rnnatlas dynamics`, with its defaults. Fewer initial states are not enough:
  // with 256 the search once missed one of the vanilla network's 8 memories.
  const NetworkDynamics d = analyze_network(network, *task, AnalysisOptions{});
  ASSERT_EQ(d.conditions.size(), 1u);
  const ConditionDynamics& c = d.conditions[0];
  ASSERT_TRUE(d.flip_flop.has_value());
  EXPECT_EQ(d.flip_flop->n_stable, 8) << c.n_points() << " points";
  EXPECT_EQ(d.flip_flop->n_stable_corners, 8);  // 8 distinct corner labels: every memory
  int n_stable = 0;
  for (int p = 0; p < c.n_points(); ++p) {
    if (c.stability[p] != StabilityClass::kStable || c.is_slow[p]) continue;
    ++n_stable;
    EXPECT_LT(c.q[p], 1e-20) << "point " << p;
    // Each memory reads out its corner: every output within 0.1 of +1 or -1.
    EXPECT_LT((c.readout.col(p).cwiseAbs().array() - 1.0).abs().maxCoeff(), 0.1)
        << "point " << p << ": readout " << c.readout.col(p).transpose();
  }
  EXPECT_EQ(n_stable, 8);
}

TEST_P(TrainedFlipFlop, FindFixedPointsAtItsDefaultsFindsTheEightMemories) {
  // The public function with default options and initial states: the same defaults as the
  // analysis (FixedPointOptions::lr_initial explains why they are not FixedPointFinder's 1.0).
  const auto task = testing::recipe_flip_flop();
  const Network& network = trained_network(GetParam());
  const MatrixXd initial = sample_initial_states(network, *task);
  const FixedPointResult found = find_fixed_points(network, initial, VectorXd::Zero(3));
  EXPECT_EQ(stable_corners(network, found.points).size(), 8u) << found.summary.brief_report();
}

TEST_P(TrainedFlipFlop, NewtonRoundsKeepEveryPointThatAdamAloneFinds) {
  // For 20 draws of initial states, the search with its Newton rounds must have every fixed point
  // (q <= tol_q) that Adam alone (Newton off) finds from the same starts, within 1e-2: Adam's
  // points at q <= 1e-12 lie within ~1e-4 of the true point here, and distinct points of these
  // networks are farther apart.
  constexpr int kSeeds = 20;
  constexpr double kMatch = 1e-2;
  const auto task = testing::recipe_flip_flop();
  const Network& network = trained_network(GetParam());
  const VectorXd input = VectorXd::Zero(3);
  InitialStateOptions init;
  init.n_states = 128;
  FixedPointOptions rounds, adam_only;
  adam_only.newton.enabled = false;
  int n_checked = 0;
  for (int seed = 0; seed < kSeeds; ++seed) {
    init.seed = static_cast<std::uint64_t>(seed);
    const MatrixXd initial = sample_initial_states(network, *task, init);
    const FixedPoints with_rounds = find_fixed_points(network, initial, input, rounds).points;
    const FixedPoints adam = find_fixed_points(network, initial, input, adam_only).points;
    for (int p = 0; p < adam.n_points(); ++p) {
      if (adam.is_slow[p]) continue;
      ++n_checked;
      const double distance =
          with_rounds.n_points() == 0
              ? std::numeric_limits<double>::infinity()
              : (with_rounds.states.colwise() - adam.states.col(p)).colwise().norm().minCoeff();
      const Linearization lin = linearize(network, adam.states.col(p), input);
      EXPECT_LT(distance, kMatch) << "seed " << seed << ": Adam alone finds a point (q "
                                  << adam.q[p] << ", " << lin.n_unstable
                                  << " unstable) that the search with Newton rounds lost; "
                                  << with_rounds.n_points() << " points with rounds, "
                                  << adam.n_points() << " from Adam alone";
    }
  }
  EXPECT_GT(n_checked, kSeeds);
}

INSTANTIATE_TEST_SUITE_P(
    AllCells,
    TrainedFlipFlop,
    ::testing::Values(CellKind::kVanilla, CellKind::kUgrnn, CellKind::kGru, CellKind::kLstm),
    [](const auto& info) { return std::string(to_string(info.param)); });

}  // namespace
}  // namespace rnnatlas
