// Real training runs: every architecture learns the 3-bit flip-flop to held-out normalized MSE
// below 0.01 (the study's keep threshold) at a small size.
#include <gtest/gtest.h>

#include "rnnatlas/tasks/tasks.h"
#include "rnnatlas/training/train.h"

namespace rnnatlas {
namespace {

class FlipFlopConvergence : public ::testing::TestWithParam<CellKind> {};

TEST_P(FlipFlopConvergence, ReachesNormalizedMseBelowOnePercent) {
  FlipFlopOptions task_options;
  task_options.n_time = 50;
  const auto task = make_flip_flop(task_options);
  Network net(Architecture{GetParam(), Activation::kTanh, 3, 32, 3}, /*seed=*/1);
  TrainOptions options;
  options.n_iterations = 1500;
  options.n_batch = 64;
  options.learning_rate = 1e-2;
  options.lr_decay_rate = 0.5;
  options.lr_decay_steps = 500;
  options.gradient_clip_norm = 1.0;
  options.n_eval_batch = 256;
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
