#include "rnnatlas/training/train.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <thread>

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
