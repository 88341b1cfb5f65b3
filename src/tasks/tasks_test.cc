#include "rnnatlas/tasks/tasks.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "rnnatlas/error.h"
#include "rnnatlas/tasks/task.h"

namespace rnnatlas {
namespace {

using ::testing::HasSubstr;

// Small instances of every task, with non-default parameters where that makes the test stronger.
std::vector<std::unique_ptr<Task>> small_tasks() {
  std::vector<std::unique_ptr<Task>> tasks;
  tasks.push_back(make_task("flip_flop", {{"n_time", 30}, {"pulse_probability", 0.2}}));
  tasks.push_back(make_task("sine_wave", {{"n_time", 25}}));
  tasks.push_back(make_task("context_integration", {{"n_time", 20}}));
  return tasks;
}

// Columns of trial b, in time order: [n_rows, n_time].
Eigen::MatrixXd trial(const TrialBatch& batch, const Eigen::MatrixXd& data, int b) {
  Eigen::MatrixXd out(data.rows(), batch.n_time);
  for (int t = 0; t < batch.n_time; ++t) out.col(t) = data.col(batch.column(t, b));
  return out;
}

bool same_batch(const TrialBatch& x, const TrialBatch& y) {
  return x.n_batch == y.n_batch && x.n_time == y.n_time && x.inputs == y.inputs &&
         x.targets == y.targets && x.mask == y.mask;
}

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InvalidArgument& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected InvalidArgument";
  return "";
}

// ---------------------------------------------------------------------------------------------
// Every task

TEST(Task, ShapesMatchTheTask) {
  for (const auto& task : small_tasks()) {
    SCOPED_TRACE(std::string(task->name()));
    const TrialBatch batch = task->sample(6, 1);
    EXPECT_EQ(batch.n_batch, 6);
    EXPECT_EQ(batch.n_time, task->n_time());
    EXPECT_EQ(batch.n_input(), task->n_input());
    EXPECT_EQ(batch.n_output(), task->n_output());
    EXPECT_EQ(batch.inputs.cols(), 6 * task->n_time());
    EXPECT_EQ(batch.targets.cols(), 6 * task->n_time());
    EXPECT_EQ(batch.mask.rows(), task->n_output());
    EXPECT_EQ(batch.mask.cols(), 6 * task->n_time());
    EXPECT_EQ(batch.input(3).cols(), 6);
  }
  EXPECT_EQ(make_task("flip_flop")->n_input(), 3);
  EXPECT_EQ(make_task("flip_flop")->n_time(), 100);
  EXPECT_EQ(make_task("sine_wave")->n_input(), 1);
  EXPECT_EQ(make_task("sine_wave")->n_time(), 300);
  EXPECT_EQ(make_task("context_integration")->n_input(), 4);
  EXPECT_EQ(make_task("context_integration")->n_output(), 1);
}

TEST(Task, SameSeedGivesSameBatchAndOtherSeedDiffers) {
  for (const auto& task : small_tasks()) {
    SCOPED_TRACE(std::string(task->name()));
    const TrialBatch a = task->sample(8, 42);
    EXPECT_TRUE(same_batch(a, task->sample(8, 42)));
    const TrialBatch c = task->sample(8, 43);
    EXPECT_TRUE(a.inputs != c.inputs);
    EXPECT_TRUE(a.targets != c.targets);
  }
}

TEST(Task, TrialsDifferWithinABatch) {
  for (const auto& task : small_tasks()) {
    SCOPED_TRACE(std::string(task->name()));
    // 16 sine trials all on one of 51 frequencies has probability 51^-15.
    const TrialBatch batch = task->sample(16, 5);
    int n_distinct = 0;
    for (int b = 1; b < 16; ++b) {
      if (trial(batch, batch.inputs, b) != trial(batch, batch.inputs, 0)) ++n_distinct;
    }
    EXPECT_GT(n_distinct, 0);
  }
}

TEST(Task, ResultDoesNotDependOnThreadCount) {
  for (const auto& task : small_tasks()) {
    SCOPED_TRACE(std::string(task->name()));
    const TrialBatch one = task->sample(7, 9, 1);
    EXPECT_TRUE(same_batch(one, task->sample(7, 9, 2)));
    EXPECT_TRUE(same_batch(one, task->sample(7, 9, 3)));
    EXPECT_TRUE(same_batch(one, task->sample(7, 9, 16)));  // more threads than trials
  }
}

TEST(Task, TrialDependsOnlyOnSeedAndIndex) {
  for (const auto& task : small_tasks()) {
    SCOPED_TRACE(std::string(task->name()));
    const TrialBatch small = task->sample(4, 77);
    const TrialBatch large = task->sample(10, 77, 3);
    for (int b = 0; b < 4; ++b) {
      EXPECT_TRUE(trial(small, small.inputs, b) == trial(large, large.inputs, b)) << "trial " << b;
      EXPECT_TRUE(trial(small, small.targets, b) == trial(large, large.targets, b))
          << "trial " << b;
      EXPECT_TRUE(trial(small, small.mask, b) == trial(large, large.mask, b)) << "trial " << b;
    }
  }
}

TEST(Task, ParamsRoundTripThroughMakeTask) {
  const std::vector<std::unique_ptr<Task>> tasks = [] {
    std::vector<std::unique_ptr<Task>> v;
    v.push_back(make_flip_flop(
        {.n_bits = 2, .n_time = 17, .pulse_probability = 0.3, .force_initial_pulse = false}));
    v.push_back(make_sine_wave(
        {.n_frequencies = 7, .w_min = 0.2, .w_max = 0.9, .input_offset = -0.1, .n_time = 13}));
    v.push_back(make_context_integration(
        {.n_time = 11, .mu_max = 0.3, .noise_std = 0.05, .target_scale = 0.7}));
    return v;
  }();
  for (const auto& task : tasks) {
    SCOPED_TRACE(std::string(task->name()));
    const auto copy = make_task(task->name(), task->params());
    EXPECT_EQ(copy->name(), task->name());
    EXPECT_EQ(copy->params(), task->params());
    EXPECT_EQ(copy->has_sign_targets(), task->has_sign_targets());
    EXPECT_TRUE(same_batch(copy->sample(5, 3), task->sample(5, 3)));
    // The non-default values really are carried (a default-built task would differ).
    EXPECT_NE(make_task(task->name())->params(), task->params());
  }
}

TEST(Task, ParamsListEveryKeyWithDefaults) {
  EXPECT_EQ(make_task("flip_flop")->params(), (TaskParams{{"n_bits", 3},
                                                          {"n_time", 100},
                                                          {"pulse_probability", 0.05},
                                                          {"force_initial_pulse", 1}}));
  EXPECT_EQ(make_task("sine_wave")->params(), (TaskParams{{"n_frequencies", 51},
                                                          {"w_min", 0.1},
                                                          {"w_max", 0.6},
                                                          {"input_offset", 0.25},
                                                          {"n_time", 300}}));
  EXPECT_EQ(
      make_task("context_integration")->params(),
      (TaskParams{{"n_time", 100}, {"mu_max", 0.1}, {"noise_std", 0.1}, {"target_scale", 0}}));
}

TEST(MakeTask, AcceptsAliasesAndReturnsCanonicalNames) {
  EXPECT_EQ(make_task("flipflop")->name(), "flip_flop");
  EXPECT_EQ(make_task("sine")->name(), "sine_wave");
  EXPECT_EQ(make_task("cdi")->name(), "context_integration");
  EXPECT_EQ(make_task("Flip_Flop")->name(), "flip_flop");
  for (const auto& name : task_names()) EXPECT_EQ(make_task(name)->name(), name);
  EXPECT_EQ(task_names(),
            (std::vector<std::string>{"flip_flop", "sine_wave", "context_integration"}));
}

TEST(MakeTask, RejectsBadParametersNamingKeyAndValue) {
  const std::string unknown_key = message_of([] { make_task("flip_flop", {{"n_bitz", 3}}); });
  EXPECT_THAT(unknown_key, HasSubstr("n_bitz"));
  EXPECT_THAT(unknown_key, HasSubstr("n_bits, n_time, pulse_probability, force_initial_pulse"));

  const std::string zero_bits = message_of([] { make_task("flip_flop", {{"n_bits", 0}}); });
  EXPECT_THAT(zero_bits, HasSubstr("n_bits = 0"));
  EXPECT_THAT(zero_bits, HasSubstr(">= 1"));

  const std::string probability = message_of([] {
    make_task("flip_flop", {{"pulse_probability", 1.5}});
  });
  EXPECT_THAT(probability, HasSubstr("pulse_probability = 1.5"));
  EXPECT_THAT(probability, HasSubstr("[0, 1]"));

  const std::string fractional = message_of([] { make_task("sine", {{"n_time", 2.5}}); });
  EXPECT_THAT(fractional, HasSubstr("n_time = 2.5"));
  EXPECT_THAT(fractional, HasSubstr("whole number"));

  const std::string flag = message_of([] {
    make_task("flip_flop", {{"force_initial_pulse", 0.5}});
  });
  EXPECT_THAT(flag, HasSubstr("force_initial_pulse = 0.5"));

  const std::string name = message_of([] { make_task("flop_flip"); });
  EXPECT_THAT(name, HasSubstr("flop_flip"));
  EXPECT_THAT(name, HasSubstr("flip_flop"));
  EXPECT_THAT(name, HasSubstr("context_integration"));

  EXPECT_THAT(message_of([] { make_task("sine", {{"w_max", 0.05}}); }), HasSubstr("w_max = 0.05"));
  EXPECT_THAT(message_of([] { make_task("cdi", {{"mu_max", 0}}); }), HasSubstr("mu_max = 0"));
  EXPECT_THAT(message_of([] {
                make_task("cdi", {{"noise_std", -1}});
              }),
              HasSubstr("noise_std = -1"));
  const std::string huge = message_of([] { make_task("cdi", {{"n_time", 1e10}}); });
  EXPECT_THAT(huge, HasSubstr("n_time = 1e+10"));
  EXPECT_THAT(huge, HasSubstr("2147483647"));
  // Options built in C++ are validated too.
  EXPECT_THAT(message_of([] { make_flip_flop({.n_time = 0}); }), HasSubstr("n_time = 0"));
}

TEST(Task, SampleRejectsBadBatchAndThreadCounts) {
  const auto task = make_task("flip_flop");
  EXPECT_THAT(message_of([&] { task->sample(0, 1); }), HasSubstr("n_batch = 0"));
  EXPECT_THAT(message_of([&] { task->sample(2, 1, 0); }), HasSubstr("n_threads = 0"));
}

// ---------------------------------------------------------------------------------------------
// Flip-flop

// Checks that every target is the sign of the last pulse on its channel, recomputed from the
// inputs, and that the mask is 0 exactly where no pulse has arrived yet.
void expect_flip_flop_consistent(const TrialBatch& batch) {
  for (int b = 0; b < batch.n_batch; ++b) {
    for (int c = 0; c < batch.n_input(); ++c) {
      double last = 0.0;
      for (int t = 0; t < batch.n_time; ++t) {
        const Eigen::Index col = batch.column(t, b);
        const double x = batch.inputs(c, col);
        ASSERT_TRUE(x == 0.0 || x == 1.0 || x == -1.0) << "input " << x;
        if (x != 0.0) last = x;
        ASSERT_EQ(batch.targets(c, col), last) << "b=" << b << " c=" << c << " t=" << t;
        ASSERT_EQ(batch.mask(c, col), last != 0.0 ? 1.0 : 0.0)
            << "b=" << b << " c=" << c << " t=" << t;
      }
    }
  }
}

TEST(FlipFlop, TargetIsSignOfLastPulse) {
  const auto task = make_flip_flop({.n_bits = 3, .n_time = 60, .pulse_probability = 0.1});
  EXPECT_TRUE(task->has_sign_targets());
  const TrialBatch batch = task->sample(20, 11);
  expect_flip_flop_consistent(batch);
  // The forced pulse at t = 0 defines every target from the start.
  EXPECT_TRUE(batch.inputs.leftCols(20).cwiseAbs() == Eigen::MatrixXd::Ones(3, 20));
  EXPECT_EQ(batch.mask.minCoeff(), 1.0);
  // Targets of both signs occur, and some channel flips within a trial.
  EXPECT_EQ(batch.targets.maxCoeff(), 1.0);
  EXPECT_EQ(batch.targets.minCoeff(), -1.0);
}

TEST(FlipFlop, WithoutForcedPulseTargetIsMaskedUntilFirstPulse) {
  const auto task = make_flip_flop(
      {.n_bits = 2, .n_time = 40, .pulse_probability = 0.05, .force_initial_pulse = false});
  const TrialBatch batch = task->sample(30, 4);
  expect_flip_flop_consistent(batch);
  // P(a channel has no pulse in 40 steps) = 0.95^40 = 0.13: some of the 60 channels do, and all
  // channels start unscored unless they pulse at t = 0 (probability 0.05).
  EXPECT_LT(batch.mask.sum(), batch.mask.size());
  EXPECT_LT(batch.mask.leftCols(30).sum(), 20.0);
}

TEST(FlipFlop, PulseRateAndSignBalanceMatchOptions) {
  constexpr double kP = 0.05;
  const auto task = make_flip_flop(
      {.n_bits = 3, .n_time = 100, .pulse_probability = kP, .force_initial_pulse = false});
  const TrialBatch batch = task->sample(200, 2024, 2);
  // 60000 Bernoulli(0.05) steps: standard deviation of the rate is 0.00089, the bound is 5.6 sd.
  const double n_pulses = batch.inputs.cwiseAbs().sum();
  EXPECT_NEAR(n_pulses / batch.inputs.size(), kP, 0.005);
  // ~3000 signs: standard deviation of the positive fraction is 0.009, the bound is 5.5 sd.
  const double n_positive = (batch.inputs.array() > 0.0).count();
  EXPECT_NEAR(n_positive / n_pulses, 0.5, 0.05);
}

TEST(FlipFlop, ExtremeProbabilities) {
  const TrialBatch never = make_flip_flop({.n_time = 10, .pulse_probability = 0.0})->sample(5, 1);
  EXPECT_EQ(never.inputs.cwiseAbs().sum(), 3 * 5);  // only the forced pulses
  expect_flip_flop_consistent(never);
  const TrialBatch always =
      make_flip_flop({.n_time = 10, .pulse_probability = 1.0, .force_initial_pulse = false})
          ->sample(5, 1);
  EXPECT_EQ(always.inputs.cwiseAbs().minCoeff(), 1.0);
  expect_flip_flop_consistent(always);
}

// ---------------------------------------------------------------------------------------------
// Sine wave

TEST(SineWave, FrequenciesAndInputsFollowTheSpec) {
  const SineWaveOptions options;
  EXPECT_DOUBLE_EQ(options.frequency(1), 0.1);
  EXPECT_DOUBLE_EQ(options.frequency(26), 0.35);
  EXPECT_DOUBLE_EQ(options.frequency(51), 0.6);
  EXPECT_DOUBLE_EQ(options.static_input(1), 1.0 / 51 + 0.25);
  EXPECT_DOUBLE_EQ(options.static_input(51), 1.25);
  for (int j = 1; j < 51; ++j) EXPECT_LT(options.frequency(j), options.frequency(j + 1));
  EXPECT_THROW(options.frequency(0), InvalidArgument);
  EXPECT_THROW(options.static_input(52), InvalidArgument);
  const SineWaveOptions single{.n_frequencies = 1, .w_min = 0.3, .w_max = 0.5};
  EXPECT_DOUBLE_EQ(single.frequency(1), 0.3);
}

TEST(SineWave, TargetIsSineOfFrequencyDecodedFromInput) {
  const SineWaveOptions options{.n_time = 120};
  const TrialBatch batch = make_sine_wave(options)->sample(40, 8);
  EXPECT_EQ(batch.mask.minCoeff(), 1.0);
  for (int b = 0; b < batch.n_batch; ++b) {
    const double u = batch.inputs(0, batch.column(0, b));
    const int j = static_cast<int>(std::lround((u - options.input_offset) * options.n_frequencies));
    ASSERT_GE(j, 1);
    ASSERT_LE(j, options.n_frequencies);
    ASSERT_DOUBLE_EQ(u, options.static_input(j));
    const double w = options.frequency(j);
    for (int t = 0; t < batch.n_time; ++t) {
      const Eigen::Index col = batch.column(t, b);
      ASSERT_EQ(batch.inputs(0, col), u) << "input must be static; b=" << b << " t=" << t;
      ASSERT_NEAR(batch.targets(0, col), std::sin(w * t), 1e-12) << "b=" << b << " t=" << t;
    }
  }
}

TEST(SineWave, FrequencyIndexIsRoughlyUniform) {
  const SineWaveOptions options{.n_time = 1};
  const TrialBatch batch = make_sine_wave(options)->sample(5100, 3);
  std::vector<int> counts(options.n_frequencies + 1, 0);
  for (int b = 0; b < batch.n_batch; ++b) {
    const double u = batch.inputs(0, b);
    ++counts[std::lround((u - options.input_offset) * options.n_frequencies)];
  }
  EXPECT_EQ(counts[0], 0);
  // Each count is Binomial(5100, 1/51): mean 100, sd 9.9; the bounds are 5 sd.
  for (int j = 1; j <= options.n_frequencies; ++j) {
    EXPECT_GT(counts[j], 50) << "j=" << j;
    EXPECT_LT(counts[j], 150) << "j=" << j;
  }
}

// ---------------------------------------------------------------------------------------------
// Context-dependent integration

TEST(ContextIntegration, TargetIntegratesSelectedStreamOnly) {
  const ContextIntegrationOptions options{.n_time = 50};
  const double scale = options.effective_target_scale();
  EXPECT_DOUBLE_EQ(scale, 1.0 / (0.1 * 50));
  const TrialBatch batch = make_context_integration(options)->sample(60, 21);
  EXPECT_EQ(batch.mask.minCoeff(), 1.0);
  int n_context[2] = {0, 0};
  int n_other_differs = 0;
  for (int b = 0; b < batch.n_batch; ++b) {
    const Eigen::Index col0 = batch.column(0, b);
    const double c0 = batch.inputs(2, col0), c1 = batch.inputs(3, col0);
    ASSERT_TRUE((c0 == 1.0 && c1 == 0.0) || (c0 == 0.0 && c1 == 1.0)) << c0 << " " << c1;
    const int context = c0 == 1.0 ? 0 : 1;
    ++n_context[context];
    double selected = 0.0, other = 0.0;
    for (int t = 0; t < batch.n_time; ++t) {
      const Eigen::Index col = batch.column(t, b);
      ASSERT_EQ(batch.inputs(2, col), c0) << "context must be static";
      ASSERT_EQ(batch.inputs(3, col), c1) << "context must be static";
      selected += batch.inputs(context, col);
      other += batch.inputs(1 - context, col);
      ASSERT_NEAR(batch.targets(0, col), scale * selected, 1e-12) << "b=" << b << " t=" << t;
    }
    if (std::abs(scale * other - batch.targets(0, batch.column(batch.n_time - 1, b))) > 0.1) {
      ++n_other_differs;
    }
  }
  // The other stream would give a visibly different target in most trials, so the check above
  // does tell the streams apart; both contexts occur (each misses with probability 2^-60).
  EXPECT_GT(n_other_differs, 30);
  EXPECT_GT(n_context[0], 0);
  EXPECT_GT(n_context[1], 0);
}

TEST(ContextIntegration, StreamMeansLieWithinMuMaxAndNoiseHasTheRequestedSpread) {
  // Without noise each stream is its mean mu ~ U[-mu_max, mu_max].
  const ContextIntegrationOptions quiet{.n_time = 5, .mu_max = 0.2, .noise_std = 0.0};
  const TrialBatch batch = make_context_integration(quiet)->sample(500, 6);
  const Eigen::MatrixXd streams = batch.inputs.topRows(2);
  EXPECT_LE(streams.cwiseAbs().maxCoeff(), 0.2);
  // 1000 uniform means: each bound below is missed with probability 0.95^1000.
  EXPECT_GT(streams.maxCoeff(), 0.19);
  EXPECT_LT(streams.minCoeff(), -0.19);
  EXPECT_NEAR(streams.mean(), 0.0, 0.02);  // sd of the mean of 1000 draws: 0.0037
  for (int b = 0; b < batch.n_batch; ++b) {
    for (int t = 1; t < batch.n_time; ++t) {
      ASSERT_EQ(batch.inputs(0, batch.column(t, b)), batch.inputs(0, batch.column(0, b)));
    }
  }

  // With noise, the within-trial spread is noise_std (pooled over 200 trials x 100 steps x 2
  // streams, relative sd of the estimate 0.4%) and each trial mean stays near [-mu_max, mu_max].
  const ContextIntegrationOptions noisy{.n_time = 100, .mu_max = 0.1, .noise_std = 0.1};
  const TrialBatch noisy_batch = make_context_integration(noisy)->sample(200, 7);
  double sum_squares = 0.0;
  for (int b = 0; b < noisy_batch.n_batch; ++b) {
    for (int i = 0; i < 2; ++i) {
      const Eigen::RowVectorXd s = trial(noisy_batch, noisy_batch.inputs, b).row(i);
      const double mean = s.mean();
      // Noise moves a 100-step mean by sd 0.01; 0.05 is 5 sd.
      EXPECT_LE(std::abs(mean), 0.1 + 0.05);
      sum_squares += (s.array() - mean).square().sum();
    }
  }
  const double pooled_std = std::sqrt(sum_squares / (noisy_batch.n_batch * 2 * (100 - 1)));
  EXPECT_NEAR(pooled_std, 0.1, 0.002);  // 5.6 sd
}

TEST(ContextIntegration, TargetScaleIsConfigurableAndAutomaticScaleKeepsTargetsOrderOne) {
  const ContextIntegrationOptions fixed{.n_time = 30, .target_scale = 2.5};
  EXPECT_DOUBLE_EQ(fixed.effective_target_scale(), 2.5);
  const TrialBatch batch = make_context_integration({})->sample(100, 12);
  const double largest = batch.targets.cwiseAbs().maxCoeff();
  // |target| <= (mu_max T + noise_std sqrt(T) |z|) / (mu_max T) = 1 + |z| / 10.
  EXPECT_GT(largest, 0.5);
  EXPECT_LT(largest, 2.0);
}

}  // namespace
}  // namespace rnnatlas
