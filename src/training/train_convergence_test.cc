// Real training runs: every architecture learns the 3-bit flip-flop to held-out normalized MSE
// below 0.01 (the study's keep threshold) at a small size, with the recipe of
// testing/flip_flop_recipe.h.
#include <gtest/gtest.h>

#include "testing/flip_flop_recipe.h"

namespace rnnatlas {
namespace {

class FlipFlopConvergence : public ::testing::TestWithParam<CellKind> {};

TEST_P(FlipFlopConvergence, ReachesNormalizedMseBelowOnePercent) {
  const auto task = testing::recipe_flip_flop();
  Network net = testing::recipe_network(GetParam());
  const TrainOptions options = testing::recipe_train_options();
  const TrainSummary summary = train(options, *task, net);
  RecordProperty("report", summary.brief_report());
  EXPECT_EQ(summary.termination, Termination::kCompleted) << summary.message;
  EXPECT_LT(summary.eval.normalized_mse, 0.01) << summary.brief_report();
  EXPECT_GT(summary.eval.sign_accuracy, 0.99) << summary.brief_report();
}

INSTANTIATE_TEST_SUITE_P(
    AllCells,
    FlipFlopConvergence,
    ::testing::Values(CellKind::kVanilla, CellKind::kUgrnn, CellKind::kGru, CellKind::kLstm),
    [](const auto& info) { return std::string(to_string(info.param)); });

}  // namespace
}  // namespace rnnatlas
