// Tests of training checkpoint files: a real run's state round-trips bit for bit and continues to
// the uninterrupted weights; the file is also a network file; damaged or foreign files are
// IoErrors naming the file; first_setup_difference names the first differing setting.
#include "rnnatlas/io/train_checkpoint.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <vector>

#include "rnnatlas/error.h"
#include "rnnatlas/tasks/tasks.h"

namespace rnnatlas {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

struct TrainingRun {
  std::unique_ptr<Task> task;
  NetworkRecord setup;
};

TrainingRun make_run() {
  FlipFlopOptions f;
  f.n_time = 12;
  TrainingRun run{make_flip_flop(f), {}};
  run.setup.network = Network(Architecture{CellKind::kGru, Activation::kTanh, 3, 6, 3}, 5);
  run.setup.init_seed = 5;
  run.setup.task_name = std::string(run.task->name());
  run.setup.task_params = run.task->params();
  TrainOptions& o = run.setup.train_options;
  o.n_iterations = 30;
  o.n_batch = 8;
  o.learning_rate = 1e-2;
  o.lr_decay_rate = 0.7;
  o.lr_decay_steps = 10;
  o.n_eval_batch = 8;
  return run;
}

class TrainCheckpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (fs::temp_directory_path() /
             ("rnnatlas_checkpoint_test_" +
              std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) +
              ".checkpoint"))
                .string();
    fs::remove(path_);
  }
  void TearDown() override { fs::remove(path_); }
  std::string path_;
};

TEST_F(TrainCheckpointTest, AStateRoundTripsBitForBitAndContinuesToTheUninterruptedWeights) {
  const TrainingRun run = make_run();
  Network whole = run.setup.network;
  const TrainSummary uninterrupted = train(run.setup.train_options, *run.task, whole);

  TrainOptions o = run.setup.train_options;
  std::vector<TrainState> saved;
  o.checkpoint_every = 13;
  o.checkpoint = [&](const TrainState& state) {
    saved.push_back(state);
    save_train_checkpoint(path_, run.setup, state);
  };
  Network first = run.setup.network;
  train(o, *run.task, first);
  ASSERT_EQ(saved.size(), 2u);  // after 13 and 26: the file holds the second

  const TrainCheckpoint loaded = load_train_checkpoint(path_);
  const TrainState& state = loaded.state;
  EXPECT_EQ(state.n_iterations_done, 26);
  EXPECT_EQ(state.parameters, saved[1].parameters);
  EXPECT_EQ(state.previous_parameters, saved[1].previous_parameters);
  EXPECT_EQ(state.adam_m, saved[1].adam_m);
  EXPECT_EQ(state.adam_v, saved[1].adam_v);
  EXPECT_EQ(state.loss_history, saved[1].loss_history);
  EXPECT_EQ(state.seconds, saved[1].seconds);
  EXPECT_EQ(loaded.record.summary.termination, Termination::kInterrupted);
  EXPECT_EQ(first_setup_difference(loaded.record, run.setup), "");

  Network continued = run.setup.network;
  const TrainSummary resumed = train(run.setup.train_options, *run.task, continued, &state);
  EXPECT_EQ(continued.parameters(), whole.parameters());
  EXPECT_EQ(resumed.loss_history, uninterrupted.loss_history);

  // A checkpoint is a network file of the run so far.
  const NetworkRecord as_network = load_network_file(path_);
  EXPECT_EQ(as_network.summary.n_iterations_done, 26);
  EXPECT_EQ(as_network.network.parameters(), state.parameters.cast<double>());
}

TEST_F(TrainCheckpointTest, ANetworkFileOrGarbageIsNotACheckpoint) {
  const TrainingRun run = make_run();
  save_network_file(path_, run.setup);
  try {
    load_train_checkpoint(path_);
    FAIL() << "a network file was read as a checkpoint";
  } catch (const IoError& e) {
    EXPECT_THAT(e.what(), HasSubstr(path_));
    EXPECT_THAT(e.what(), HasSubstr("without the group /checkpoint"));
  }
  fs::remove(path_);
  EXPECT_THROW(load_train_checkpoint(path_), IoError);  // missing
}

TEST_F(TrainCheckpointTest, AStateOfAnotherSizeIsRefused) {
  const TrainingRun run = make_run();
  TrainState state;
  state.parameters = Vec<float>::Zero(3);
  state.previous_parameters = state.adam_m = state.adam_v = state.parameters;
  EXPECT_THROW(save_train_checkpoint(path_, run.setup, state), InvalidArgument);
  EXPECT_FALSE(fs::exists(path_));
}

TEST(FirstSetupDifference, NamesTheFirstDifferingSetting) {
  const TrainingRun run = make_run();
  NetworkRecord other = run.setup;
  EXPECT_EQ(first_setup_difference(run.setup, other), "");
  other.train_options.learning_rate = 0.02;
  EXPECT_EQ(first_setup_difference(run.setup, other),
            "training option learning_rate: 0.01 vs 0.02");
  other = run.setup;
  other.task_params["n_time"] = 13;
  EXPECT_EQ(first_setup_difference(run.setup, other), "task parameter n_time: 12 vs 13");
  other = run.setup;
  other.init_seed = 6;
  EXPECT_EQ(first_setup_difference(run.setup, other), "the initialisation seed: 5 vs 6");
  other = run.setup;
  other.network = Network(Architecture{CellKind::kLstm, Activation::kTanh, 3, 6, 3}, 5);
  EXPECT_THAT(first_setup_difference(run.setup, other), HasSubstr("the architecture: gru"));
  // Trained parameters and outcomes are not part of the setup.
  other = run.setup;
  other.summary.termination = Termination::kCompleted;
  other.network.set_parameters(Eigen::VectorXd::Zero(other.network.n_params()));
  EXPECT_EQ(first_setup_difference(run.setup, other), "");
}

}  // namespace
}  // namespace rnnatlas
