// Network activity: equal to stepping the network by hand, the same trials for every network, the
// documented row order and unit selection.
#include "rnnatlas/similarity/activity.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "rnnatlas/error.h"

namespace rnnatlas::similarity {
namespace {

using Eigen::MatrixXd;
using Eigen::VectorXd;

std::unique_ptr<Task> small_flip_flop() { return make_task("flip_flop", {{"n_time", 12}}); }

Network network_of(CellKind cell, int n_hidden, std::uint64_t seed) {
  return Network(Architecture{.cell = cell, .n_input = 3, .n_hidden = n_hidden, .n_output = 3},
                 seed);
}

// Steps each trial through network.step() and compares the kept states with the activity rows.
void expect_matches_stepping_by_hand(const ActivityOptions& options,
                                     const Network& network,
                                     const TrialBatch& trials,
                                     const MatrixXd& activity) {
  const int n_units = static_cast<int>(activity.cols());
  int n_checked = 0;
  for (int b = 0; b < trials.n_batch; ++b) {
    VectorXd state = VectorXd::Zero(network.architecture().n_state());
    for (int t = 0; t < trials.n_time; ++t) {
      state = network.step(state, trials.inputs.col(trials.column(t, b)));
      if (t < options.first_step || (t - options.first_step) % options.step_stride != 0) continue;
      const int s = (t - options.first_step) / options.step_stride;
      const VectorXd row = activity.row(s * trials.n_batch + b).transpose();
      EXPECT_LT((row - state.head(n_units)).cwiseAbs().maxCoeff(), 1e-12)
          << "trial " << b << " step " << t;
      ++n_checked;
    }
  }
  EXPECT_EQ(n_checked, activity.rows());
}

TEST(NetworkActivity, EqualsSteppingTheNetworkByHand) {
  const auto task = small_flip_flop();
  const ActivityOptions options{.n_trials = 3, .first_step = 2, .step_stride = 3};
  const TrialBatch trials = activity_trials(options, *task);
  ASSERT_EQ(options.n_steps(12), 4);  // steps 2, 5, 8, 11
  for (CellKind cell : {CellKind::kVanilla, CellKind::kUgrnn, CellKind::kGru, CellKind::kLstm}) {
    SCOPED_TRACE(std::string(to_string(cell)));
    const Network network = network_of(cell, 5, 11);
    const MatrixXd activity = network_activity(options, network, trials);
    ASSERT_EQ(activity.rows(), 3 * 4);
    ASSERT_EQ(activity.cols(), 5);
    expect_matches_stepping_by_hand(options, network, trials, activity);
  }
}

TEST(NetworkActivity, FullLstmStateIsHiddenThenCell) {
  const auto task = small_flip_flop();
  ActivityOptions options{.n_trials = 2, .state = StateSelection::kFull};
  const TrialBatch trials = activity_trials(options, *task);
  const Network lstm = network_of(CellKind::kLstm, 4, 3);
  const MatrixXd full = network_activity(options, lstm, trials);
  ASSERT_EQ(full.cols(), 8);
  ASSERT_EQ(full.rows(), 2 * 12);
  expect_matches_stepping_by_hand(options, lstm, trials, full);
  options.state = StateSelection::kHidden;
  const MatrixXd hidden = network_activity(options, lstm, trials);
  EXPECT_EQ(hidden, full.leftCols(4));
  // For the other cells the full state is h.
  const Network gru = network_of(CellKind::kGru, 4, 3);
  options.state = StateSelection::kFull;
  EXPECT_EQ(network_activity(options, gru, trials).cols(), 4);
}

TEST(NetworkActivity, EveryNetworkSeesTheSameTrials) {
  const auto task = small_flip_flop();
  const ActivityOptions options{.n_trials = 4, .first_step = 1, .step_stride = 2};
  const TrialBatch a = activity_trials(options, *task);
  const TrialBatch b = activity_trials(options, *task);
  EXPECT_EQ(a.inputs, b.inputs);
  EXPECT_EQ(a.inputs, task->sample(4, options.seed).inputs);
  // A linear vanilla network with W_ih = I and nothing else copies its input into its state, so its
  // activity shows the inputs it was given: the trials' inputs, in the documented row order, for
  // networks of any size.
  for (int n_hidden : {3, 7}) {
    Network copy(Architecture{.cell = CellKind::kVanilla,
                              .activation = Activation::kLinear,
                              .n_input = 3,
                              .n_hidden = n_hidden,
                              .n_output = 3});
    copy.set_parameters(VectorXd::Zero(copy.n_params()));
    copy.set_parameter("weight_ih_l0", MatrixXd::Identity(n_hidden, 3));
    const MatrixXd activity = network_activity(options, copy, a);
    for (int s = 0; s < options.n_steps(12); ++s) {
      const int t = options.first_step + s * options.step_stride;
      const MatrixXd rows = activity.middleRows(s * 4, 4).leftCols(3);
      EXPECT_EQ(rows, a.inputs.middleCols(static_cast<Eigen::Index>(t) * 4, 4).transpose())
          << "step " << t;
    }
  }
  // A different seed gives other trials.
  ActivityOptions other = options;
  other.seed += 1;
  EXPECT_NE(activity_trials(other, *task).inputs, a.inputs);
}

TEST(NetworkActivity, RejectsBadOptionsAndMismatchedTrials) {
  const auto task = small_flip_flop();
  using ::testing::HasSubstr;
  const auto message = [&](const ActivityOptions& options) {
    try {
      activity_trials(options, *task);
    } catch (const InvalidArgument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_THAT(message({.n_trials = 0}), HasSubstr("n_trials = 0"));
  EXPECT_THAT(message({.step_stride = 0}), HasSubstr("step_stride = 0"));
  EXPECT_THAT(message({.first_step = 12}), HasSubstr("n_time = 12"));
  const TrialBatch trials = activity_trials({}, *task);
  Network wide(Architecture{.cell = CellKind::kGru, .n_input = 2, .n_hidden = 4});
  EXPECT_THROW(network_activity({}, wide, trials), InvalidArgument);
  EXPECT_EQ(parse_state_selection("hc"), StateSelection::kFull);
  EXPECT_EQ(to_string(StateSelection::kHidden), "h");
  EXPECT_THROW(parse_state_selection("c"), InvalidArgument);
}

TEST(ActivityOptions, CountsKeptSteps) {
  EXPECT_EQ((ActivityOptions{}.n_steps(100)), 100);
  EXPECT_EQ((ActivityOptions{.first_step = 10, .step_stride = 10}.n_steps(100)), 9);
  EXPECT_EQ((ActivityOptions{.first_step = 10, .step_stride = 7}.n_steps(100)), 13);
  EXPECT_EQ((ActivityOptions{.first_step = 100}.n_steps(100)), 0);
}

}  // namespace
}  // namespace rnnatlas::similarity
