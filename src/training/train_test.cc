#include "rnnatlas/training/train.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <thread>
#include <vector>

#include "rnnatlas/error.h"
#include "rnnatlas/tasks/tasks.h"
#include "testing/random_matrix.h"
#include "training/objective.h"

namespace rnnatlas {
namespace {

using ::testing::HasSubstr;

std::unique_ptr<Task> small_flip_flop(int n_time = 12) {
  FlipFlopOptions o;
  o.n_time = n_time;
  return make_flip_flop(o);
}

Architecture flip_flop_arch(CellKind kind, int n_hidden = 8) {
  return Architecture{kind, Activation::kTanh, 3, n_hidden, 3};
}

class ObjectiveGradient : public ::testing::TestWithParam<CellKind> {};

// The whole training objective (BPTT through the cell, readout, masked MSE, L2) against central
// differences in double precision.
TEST_P(ObjectiveGradient, MatchesCentralDifferences) {
  const auto task = small_flip_flop(6);
  TrialBatch batch = task->sample(3, 17);
  batch.mask(1, 4) = 0;  // a masked entry must not contribute
  const Network net(flip_flop_arch(GetParam(), 4), 3);
  const auto cell = make_cell<double>(GetParam(), Activation::kTanh, 3, 4);
  internal::Objective<double> objective(*cell, 3, /*l2=*/0.01);
  Eigen::VectorXd theta = net.parameters();
  Eigen::VectorXd grad(theta.size());
  double total = 0;
  objective.evaluate(theta.data(), batch, grad.data(), &total);
  constexpr double kStep = 1e-6;
  for (Eigen::Index i = 0; i < theta.size(); ++i) {
    const double saved = theta[i];
    double plus = 0, minus = 0;
    theta[i] = saved + kStep;
    objective.evaluate(theta.data(), batch, nullptr, &plus);
    theta[i] = saved - kStep;
    objective.evaluate(theta.data(), batch, nullptr, &minus);
    theta[i] = saved;
    const double numeric = (plus - minus) / (2 * kStep);
    ASSERT_NEAR(grad[i], numeric, 1e-7 * std::max(1.0, std::abs(numeric))) << "theta[" << i << "]";
  }
}

INSTANTIATE_TEST_SUITE_P(
    AllCells,
    ObjectiveGradient,
    ::testing::Values(CellKind::kVanilla, CellKind::kUgrnn, CellKind::kGru, CellKind::kLstm),
    [](const auto& info) { return std::string(to_string(info.param)); });

TEST(MaskedMse, IgnoresMaskedEntriesAndNormalisesByTheirCount) {
  TrialBatch batch;
  batch.n_batch = 1;
  batch.n_time = 2;
  batch.targets = Eigen::MatrixXd::Zero(1, 2);
  batch.mask = Eigen::MatrixXd::Ones(1, 2);
  batch.mask(0, 1) = 0;
  Eigen::MatrixXd y(1, 2);
  y << 3, 100;
  Eigen::MatrixXd grad;
  EXPECT_DOUBLE_EQ(masked_mse<double>(y, batch, &grad), 9.0);
  EXPECT_DOUBLE_EQ(grad(0, 0), 6.0);
  EXPECT_DOUBLE_EQ(grad(0, 1), 0.0);
}

TEST(TrainOptions, DefaultsAreValid) { EXPECT_NO_THROW(TrainOptions{}.validate()); }

TEST(TrainOptions, InvalidFieldsAreNamedWithValueAndRule) {
  auto message = [](auto mutate) {
    TrainOptions o;
    mutate(o);
    try {
      o.validate();
    } catch (const InvalidArgument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_THAT(message([](TrainOptions& o) { o.learning_rate = -1; }),
              HasSubstr("learning_rate = -1: must be > 0"));
  EXPECT_THAT(message([](TrainOptions& o) { o.n_batch = 0; }), HasSubstr("n_batch = 0"));
  EXPECT_THAT(message([](TrainOptions& o) { o.adam_beta1 = 1; }), HasSubstr("adam_beta1"));
  EXPECT_THAT(message([](TrainOptions& o) { o.l2 = -1e-3; }), HasSubstr("l2"));
  EXPECT_THAT(message([](TrainOptions& o) { o.lr_decay_rate = 0; }), HasSubstr("lr_decay_rate"));
  EXPECT_THAT(message([](TrainOptions& o) { o.n_iterations = 0; }), HasSubstr("n_iterations"));
}

TEST(Train, RejectsTaskOfOtherSize) {
  Network net(Architecture{CellKind::kGru, Activation::kTanh, 2, 4, 3});
  EXPECT_THROW(train(TrainOptions{}, *small_flip_flop(), net), InvalidArgument);
}

TrainOptions quick_options() {
  TrainOptions o;
  o.n_iterations = 60;
  o.n_batch = 16;
  o.learning_rate = 1e-2;
  o.n_eval_batch = 32;
  o.seed = 9;
  return o;
}

TEST(Train, LossDecreasesAndSummaryIsFilled) {
  const auto task = small_flip_flop(20);
  Network net(flip_flop_arch(CellKind::kGru, 16), 1);
  int n_callbacks = 0;
  TrainOptions o = quick_options();
  o.n_iterations = 150;
  o.progress = [&](const TrainProgress& p) {
    ++n_callbacks;
    EXPECT_EQ(p.n_iterations, 150);
  };
  const TrainSummary s = train(o, *task, net);
  EXPECT_EQ(s.termination, Termination::kCompleted);
  EXPECT_EQ(s.n_iterations_done, 150);
  ASSERT_EQ(s.loss_history.size(), 150u);
  double first = 0, last = 0;
  for (int i = 0; i < 20; ++i) {
    first += s.loss_history[i];
    last += s.loss_history[130 + i];
  }
  EXPECT_LT(last, 0.5 * first);
  EXPECT_EQ(n_callbacks, 15);
  EXPECT_TRUE(std::isfinite(s.eval.normalized_mse));
  EXPECT_GE(s.eval.sign_accuracy, 0.0);
  EXPECT_LE(s.eval.sign_accuracy, 1.0);
  EXPECT_EQ(s.eval.n_trials, 32);
}

TEST(Train, SameInputsGiveBitIdenticalWeightsOnAnyThread) {
  const auto task = small_flip_flop();
  const TrainOptions o = quick_options();
  Network sequential(flip_flop_arch(CellKind::kLstm), 2);
  train(o, *task, sequential);
  // The same training twice at once on two threads, while a third network trains beside them.
  Network a(flip_flop_arch(CellKind::kLstm), 2), b(flip_flop_arch(CellKind::kLstm), 2);
  Network other(flip_flop_arch(CellKind::kGru), 5);
  std::thread ta([&] { train(o, *task, a); });
  std::thread tb([&] { train(o, *task, b); });
  std::thread tc([&] { train(o, *task, other); });
  ta.join();
  tb.join();
  tc.join();
  EXPECT_EQ(a.parameters(), sequential.parameters());
  EXPECT_EQ(b.parameters(), sequential.parameters());
  EXPECT_NE(other.parameters().size(), 0);
}

TEST(Train, ExplodingLossEndsAsDivergedWithFiniteParameters) {
  const auto task = small_flip_flop();
  Network net(Architecture{CellKind::kVanilla, Activation::kRelu, 3, 16, 3}, 4);
  TrainOptions o = quick_options();
  o.learning_rate = 1e3;
  o.gradient_clip_norm = 0;
  const TrainSummary s = train(o, *task, net);
  EXPECT_EQ(s.termination, Termination::kDiverged);
  EXPECT_THAT(s.message, HasSubstr("diverged at iteration"));
  EXPECT_LT(s.n_iterations_done, o.n_iterations);
  EXPECT_EQ(static_cast<int>(s.loss_history.size()), s.n_iterations_done);
  EXPECT_TRUE(net.parameters().allFinite());
}

// A ReLU LSTM on the flip-flop: its loss spikes to ~6e10 (the first losses are ~1) within 30
// updates, then falls back (so do seeds 1 to 5, with peaks of 3e2 to 4e13). The default test stops
// it there; divergence_factor = inf trains through the spike, stopping only on a non-finite loss
// (the study's configs use it).
TEST(Train, InfiniteDivergenceFactorTrainsThroughATransientSpike) {
  const auto task = small_flip_flop(50);
  const Architecture arch{CellKind::kLstm, Activation::kRelu, 3, 16, 3};
  TrainOptions o = quick_options();  // 16 trials per update at 1e-2
  o.n_iterations = 200;
  o.gradient_clip_norm = 1.0;
  o.seed = 0;

  Network stopped(arch, 0);
  const TrainSummary s = train(o, *task, stopped);
  EXPECT_EQ(s.termination, Termination::kDiverged);
  EXPECT_THAT(s.message, HasSubstr("divergence_factor = inf"));

  o.divergence_factor = std::numeric_limits<double>::infinity();
  Network through(arch, 0);
  const TrainSummary t = train(o, *task, through);
  ASSERT_EQ(t.termination, Termination::kCompleted) << t.message;
  ASSERT_EQ(static_cast<int>(t.loss_history.size()), 200);
  const auto max_of = [&](int begin, int end) {
    return *std::max_element(t.loss_history.begin() + begin, t.loss_history.begin() + end);
  };
  const double first = max_of(0, 10);
  EXPECT_GT(max_of(0, 200), 1e4 * first);    // the spike the default test stops at
  EXPECT_LT(max_of(190, 200), 0.5 * first);  // and the loss is back well below where it started
  EXPECT_TRUE(through.parameters().allFinite());
}

// Stopping and continuing -------------------------------------------------------------------

TrainOptions scheduled_options() {
  TrainOptions o = quick_options();
  o.lr_decay_rate = 0.5;  // the schedule's position matters on resume
  o.lr_decay_steps = 20;
  o.l2 = 1e-3;
  return o;
}

TEST(Train, StopEndsAsInterruptedAndResumingGivesTheUninterruptedWeightsBitForBit) {
  const auto task = small_flip_flop();
  const TrainOptions o = scheduled_options();
  Network whole(flip_flop_arch(CellKind::kLstm), 2);
  const TrainSummary uninterrupted = train(o, *task, whole);
  ASSERT_EQ(uninterrupted.termination, Termination::kCompleted);

  // Stop after 23 iterations, as a signal handler would: the flag is read before iteration 24.
  std::atomic<bool> stop{false};
  std::vector<TrainState> saved;
  TrainOptions first = o;
  first.stop = &stop;
  first.progress_every = 1;
  first.progress = [&](const TrainProgress& p) {
    if (p.iteration == 23) stop = true;
  };
  first.checkpoint = [&](const TrainState& state) { saved.push_back(state); };
  Network part(flip_flop_arch(CellKind::kLstm), 2);
  const TrainSummary stopped = train(first, *task, part);
  EXPECT_EQ(stopped.termination, Termination::kInterrupted);
  EXPECT_THAT(stopped.message, HasSubstr("interrupted after 23 of 60 iterations"));
  EXPECT_EQ(stopped.n_iterations_done, 23);
  EXPECT_TRUE(std::isnan(stopped.eval.mse));  // no evaluation for a stopped run
  ASSERT_EQ(saved.size(), 1u);                // checkpoint_every = 0: only on the stop
  const TrainState& state = saved[0];
  EXPECT_EQ(state.n_iterations_done, 23);
  EXPECT_EQ(state.loss_history.size(), 23u);
  EXPECT_EQ(state.parameters.cast<double>(), part.parameters());
  EXPECT_NE(state.parameters, state.previous_parameters);

  // Continue in a network of another initialisation: the state's parameters replace its own.
  Network continued(flip_flop_arch(CellKind::kLstm), 99);
  int first_progress = -1;
  TrainOptions second = o;
  second.progress = [&](const TrainProgress& p) {
    if (first_progress < 0) first_progress = p.first_iteration;
  };
  const TrainSummary resumed = train(second, *task, continued, &state);
  EXPECT_EQ(resumed.termination, Termination::kCompleted);
  EXPECT_EQ(first_progress, 23);
  EXPECT_EQ(continued.parameters(), whole.parameters());
  EXPECT_EQ(resumed.loss_history, uninterrupted.loss_history);
  EXPECT_EQ(resumed.eval.mse, uninterrupted.eval.mse);
  EXPECT_GE(resumed.seconds, state.seconds);
}

TEST(Train, PeriodicCheckpointsResumeToTheSameWeights) {
  const auto task = small_flip_flop();
  TrainOptions o = scheduled_options();
  std::vector<TrainState> saved;
  o.checkpoint_every = 20;
  o.checkpoint = [&](const TrainState& state) { saved.push_back(state); };
  Network whole(flip_flop_arch(CellKind::kGru), 4);
  train(o, *task, whole);
  ASSERT_EQ(saved.size(), 2u);  // after 20 and 40; the run is finished at 60
  EXPECT_EQ(saved[0].n_iterations_done, 20);
  EXPECT_EQ(saved[1].n_iterations_done, 40);
  o.checkpoint = nullptr;
  for (const TrainState& state : saved) {
    Network continued(flip_flop_arch(CellKind::kGru), 4);
    train(o, *task, continued, &state);
    EXPECT_EQ(continued.parameters(), whole.parameters()) << "from " << state.n_iterations_done;
  }
}

// A run that diverges after a resume must keep the same last good parameters as one that never
// stopped: the state carries them, and the divergence test's reference losses.
TEST(Train, AResumedRunDivergesExactlyAsTheUninterruptedOne) {
  const auto task = small_flip_flop();
  TrainOptions o = quick_options();
  o.learning_rate = 1e3;
  o.gradient_clip_norm = 0;
  std::vector<TrainState> saved;
  o.checkpoint_every = 1;
  o.checkpoint = [&](const TrainState& state) { saved.push_back(state); };
  const Architecture arch{CellKind::kVanilla, Activation::kRelu, 3, 16, 3};
  Network whole(arch, 4);
  const TrainSummary diverged = train(o, *task, whole);
  ASSERT_EQ(diverged.termination, Termination::kDiverged);
  // The last checkpoint is the iteration before the divergence: resuming repeats the divergence,
  // which restores the parameters from before the last update.
  ASSERT_FALSE(saved.empty());
  ASSERT_EQ(saved.back().n_iterations_done, diverged.n_iterations_done);
  ASSERT_NE(saved.back().previous_parameters, saved.back().parameters);
  o.checkpoint = nullptr;
  Network continued(arch, 4);
  const TrainSummary resumed = train(o, *task, continued, &saved.back());
  EXPECT_EQ(resumed.termination, Termination::kDiverged);
  EXPECT_EQ(resumed.n_iterations_done, diverged.n_iterations_done);
  EXPECT_EQ(resumed.message, diverged.message);
  EXPECT_EQ(continued.parameters(), whole.parameters());
}

TEST(Train, AStateThatDoesNotFitIsRefused) {
  const auto task = small_flip_flop();
  const TrainOptions o = quick_options();
  Network net(flip_flop_arch(CellKind::kGru), 4);
  TrainState state;
  state.n_iterations_done = 2;
  state.loss_history = {1.0, 0.9};
  state.parameters = net.parameters().cast<float>();
  state.previous_parameters = state.parameters;
  state.adam_m = Vec<float>::Zero(net.n_params() - 1);
  state.adam_v = Vec<float>::Zero(net.n_params());
  EXPECT_THROW(train(o, *task, net, &state), InvalidArgument);
  state.adam_m = Vec<float>::Zero(net.n_params());
  state.n_iterations_done = 61;
  EXPECT_THROW(train(o, *task, net, &state), InvalidArgument);
  state.n_iterations_done = 3;  // three iterations, two losses
  EXPECT_THROW(train(o, *task, net, &state), InvalidArgument);
}

TEST(Train, L2ShrinksRecurrentWeights) {
  const auto task = small_flip_flop();
  TrainOptions o = quick_options();
  Network plain(flip_flop_arch(CellKind::kVanilla), 3),
      decayed(flip_flop_arch(CellKind::kVanilla), 3);
  train(o, *task, plain);
  o.l2 = 0.5;
  train(o, *task, decayed);
  EXPECT_LT(decayed.parameter("weight_hh_l0").norm(), 0.8 * plain.parameter("weight_hh_l0").norm());
}

TEST(Evaluate, MatchesDirectComputationOnTheSameTrials) {
  const auto task = small_flip_flop();
  const Network net(flip_flop_arch(CellKind::kGru), 8);
  const EvalMetrics m = evaluate(net, *task, 10, 123);
  const TrialBatch batch = task->sample(10, 123);
  const Network::Trajectory run = net.run(batch.inputs, 10);
  const double mse = ((run.outputs - batch.targets).array().square() * batch.mask.array()).sum() /
                     batch.mask.sum();
  EXPECT_NEAR(m.mse, mse, 1e-12 * mse);
  const double mean = batch.targets.sum() / batch.targets.size();
  const double var = (batch.targets.array() - mean).square().mean();
  EXPECT_NEAR(m.normalized_mse, mse / var, 1e-12 * mse / var);
}

}  // namespace
}  // namespace rnnatlas
