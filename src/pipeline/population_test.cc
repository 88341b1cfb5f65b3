#include "rnnatlas/pipeline/population.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "rnnatlas/error.h"
#include "rnnatlas/io/content_hash.h"
#include "rnnatlas/io/network_file.h"
#include "rnnatlas/pipeline/dynamics_file.h"
#include "rnnatlas/sweep/sweep.h"
#include "rnnatlas/tasks/tasks.h"

namespace rnnatlas {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

// 4 tiny flip-flop networks, all kept (the keep threshold is generous): trains in well under a
// second.
constexpr const char* kTiny = R"([task]
name = "flip_flop"
n_time = 10
[grid]
cell = ["vanilla", "gru"]
activation = ["tanh", "relu"]
n_hidden = 4
n_iterations = 15
n_batch = 8
[evaluation]
n_eval_batch = 8
[keep]
max_normalized_mse = 100
)";

class PopulationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    sweep_ = new fs::path(fs::temp_directory_path() /
                          ("rnnatlas_population_" + std::to_string(::getpid())));
    fs::remove_all(*sweep_);
    run_sweep({}, parse_sweep_config(kTiny, "tiny.toml"), kTiny, sweep_->string(), Execution{2});
  }
  static void TearDownTestSuite() {
    fs::remove_all(*sweep_);
    delete sweep_;
  }
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = sweep_->string() + "_" + info->name();
    fs::remove_all(dir_);
    fs::copy(*sweep_, dir_, fs::copy_options::recursive);
  }
  void TearDown() override { fs::remove_all(dir_); }

  static PopulationOptions quick() {
    PopulationOptions options;
    options.analysis.n_initial_states = 32;
    options.analysis.n_trials = 4;
    options.analysis.fixed_points.max_iters = 200;
    options.analysis.transitions.max_steps = 200;
    return options;
  }

  static fs::path* sweep_;
  std::string dir_;
};
fs::path* PopulationTest::sweep_ = nullptr;

TEST_F(PopulationTest, AnalysesEveryKeptNetworkAndResumes) {
  const std::vector<ManifestRow> rows = read_manifest(dir_);
  ASSERT_EQ(rows.size(), 4u);
  PopulationOptions options = quick();
  std::vector<PopulationProgress> reports;
  std::mutex mutex;
  options.progress = [&](const PopulationProgress& p) {
    const std::lock_guard<std::mutex> lock(mutex);
    reports.push_back(p);
  };
  const PopulationSummary first = analyze_population(dir_, options, Execution{2});
  EXPECT_EQ(first.n_networks, 4);
  EXPECT_EQ(first.n_analysed, 4);
  EXPECT_EQ(first.n_resumed, 0);
  ASSERT_EQ(reports.size(), 5u);  // the scan, then one per network
  EXPECT_TRUE(reports[0].last_id.empty());
  EXPECT_EQ(reports.back().n_done, 4);
  EXPECT_EQ(reports.back().eta_seconds, 0.0);
  std::set<std::string> ids;
  for (const ManifestRow& row : rows) {
    const NetworkDynamics d = load_dynamics_file(dynamics_file_path(dir_, row.network.id));
    EXPECT_EQ(d.network_id, row.network.id);
    EXPECT_EQ(d.network_file, row.file);
    EXPECT_EQ(d.task, "flip_flop");
    EXPECT_EQ(d.architecture.cell, row.network.architecture.cell);
    EXPECT_TRUE(same_analysis(d.options, options.analysis));
    ids.insert(d.network_id);
  }
  EXPECT_EQ(ids.size(), 4u);

  // A rerun resumes; a deleted file is redone; other options redo everything.
  reports.clear();
  const PopulationSummary second = analyze_population(dir_, options, Execution{2});
  EXPECT_EQ(second.n_analysed, 0);
  EXPECT_EQ(second.n_resumed, 4);
  EXPECT_THAT(second.brief_report(), HasSubstr("analysed 0 networks (4 already done) of 4 kept"));
  fs::remove(dynamics_file_path(dir_, rows[2].network.id));
  EXPECT_EQ(analyze_population(dir_, options, Execution{2}).n_analysed, 1);
  // A file made by an older method of the analysis is redone.
  {
    const std::string file = dynamics_file_path(dir_, rows[1].network.id);
    NetworkDynamics old = load_dynamics_file(file);
    EXPECT_EQ(old.analysis_method, kAnalysisMethod);
    old.analysis_method = kAnalysisMethod - 1;
    save_dynamics_file(file, old);
    EXPECT_EQ(load_dynamics_file(file).analysis_method, kAnalysisMethod - 1);
  }
  EXPECT_EQ(analyze_population(dir_, options, Execution{2}).n_analysed, 1);
  options.analysis.n_initial_states = 16;
  EXPECT_EQ(analyze_population(dir_, options, Execution{2}).n_analysed, 4);
}

TEST_F(PopulationTest, HandsOutTheMostExpensiveNetworksFirst) {
  // On one thread the reports come in hand-out order: the GRUs (3 gates) before the vanilla RNNs,
  // which the manifest lists first.
  const std::vector<ManifestRow> rows = read_manifest(dir_);
  ASSERT_EQ(rows.front().network.architecture.cell, CellKind::kVanilla);
  PopulationOptions options = quick();
  std::vector<std::string> order;
  options.progress = [&](const PopulationProgress& p) {
    if (!p.last_id.empty()) order.push_back(p.last_id);
  };
  analyze_population(dir_, options, Execution{1});
  ASSERT_EQ(order.size(), 4u);
  EXPECT_THAT(order[0], HasSubstr("-gru-"));
  EXPECT_THAT(order[1], HasSubstr("-gru-"));
  EXPECT_THAT(order[2], HasSubstr("-vanilla-"));
  EXPECT_THAT(order[3], HasSubstr("-vanilla-"));
}

TEST_F(PopulationTest, AnalysesANetworkFileOnTheTaskItWasTrainedOn) {
  const ManifestRow row = read_manifest(dir_).front();
  const std::string path = (fs::path(dir_) / row.file).string();
  const NetworkRecord record = load_network_file(path);
  const AnalysisOptions options = quick().analysis;
  const NetworkDynamics from_file = analyze_network_file(path, options);
  const std::unique_ptr<Task> task = make_task(record.task_name, record.task_params);
  const NetworkDynamics direct = analyze_network(record.network, *task, options);
  EXPECT_EQ(from_file.task, "flip_flop");
  ASSERT_EQ(from_file.conditions.size(), direct.conditions.size());
  for (std::size_t c = 0; c < direct.conditions.size(); ++c) {
    ASSERT_EQ(from_file.conditions[c].n_points(), direct.conditions[c].n_points());
    EXPECT_TRUE(from_file.conditions[c].states == direct.conditions[c].states);
  }
  // A network that was never trained names no task to analyse it on.
  NetworkRecord untrained;
  untrained.network = record.network;
  const std::string bare = dir_ + "/untrained.h5";
  save_network_file(bare, untrained);
  EXPECT_THAT([&] { analyze_network_file(bare, options); },
              ::testing::ThrowsMessage<IoError>(HasSubstr("never trained")));
}

TEST_F(PopulationTest, AReplacedNetworkIsAnErrorNotAlreadyDone) {
  std::vector<ManifestRow> rows = read_manifest(dir_);
  const PopulationOptions options = quick();
  analyze_population(dir_, options, Execution{2});
  EXPECT_EQ(load_dynamics_file(dynamics_file_path(dir_, rows[2].network.id)).network_hash,
            rows[2].file_hash);
  // Network 2's file replaced by network 0's: refused, not "4 already done".
  const fs::path file2 = fs::path(dir_) / rows[2].file;
  const fs::path saved = fs::path(dir_) / "saved.h5";
  fs::copy_file(file2, saved);
  fs::copy_file(fs::path(dir_) / rows[0].file, file2, fs::copy_options::overwrite_existing);
  try {
    analyze_population(dir_, options, Execution{2});
    FAIL() << "a replaced network file was accepted";
  } catch (const IoError& e) {
    EXPECT_THAT(e.what(), HasSubstr("is not the one the sweep recorded for network '" +
                                    rows[2].network.id + "'"));
  }
  // A new file for network 2 that the manifest records (as a rerun sweep would): its dynamics,
  // made from the old file, are redone.
  NetworkRecord record = load_network_file(saved.string());
  record.summary.seconds += 1.0;
  save_network_file(file2.string(), record);
  rows[2].file_hash = file_content_hash(file2.string());
  std::ofstream(fs::path(dir_) / "manifest.csv", std::ios::trunc) << format_manifest_csv(rows);
  const PopulationSummary again = analyze_population(dir_, options, Execution{2});
  EXPECT_EQ(again.n_analysed, 1);
  EXPECT_EQ(again.n_resumed, 3);
  EXPECT_EQ(load_dynamics_file(dynamics_file_path(dir_, rows[2].network.id)).network_hash,
            rows[2].file_hash);
}

TEST_F(PopulationTest, FilesDoNotDependOnTheThreadCount) {
  analyze_population(dir_, quick(), Execution{1});
  std::vector<NetworkDynamics> one;
  for (const ManifestRow& row : read_manifest(dir_)) {
    one.push_back(load_dynamics_file(dynamics_file_path(dir_, row.network.id)));
  }
  fs::remove_all(fs::path(dir_) / "dynamics");
  analyze_population(dir_, quick(), Execution{3});
  int k = 0;
  for (const ManifestRow& row : read_manifest(dir_)) {
    const NetworkDynamics d = load_dynamics_file(dynamics_file_path(dir_, row.network.id));
    ASSERT_EQ(d.conditions.size(), one[k].conditions.size());
    EXPECT_EQ(d.conditions[0].states, one[k].conditions[0].states) << row.network.id;
    EXPECT_EQ(d.conditions[0].transitions, one[k].conditions[0].transitions);
    EXPECT_EQ(d.trajectories.states, one[k].trajectories.states);
    ++k;
  }
}

TEST_F(PopulationTest, MissingSweepAndUnreadableNetworkAreIoErrors) {
  EXPECT_THROW(analyze_population(dir_ + "/nope", quick(), Execution{1}), IoError);
  const std::vector<ManifestRow> rows = read_manifest(dir_);
  const std::string broken = (fs::path(dir_) / rows[1].file).string();
  fs::resize_file(broken, 100);
  try {
    analyze_population(dir_, quick(), Execution{2});
    FAIL() << "expected IoError";
  } catch (const IoError& e) {
    EXPECT_THAT(e.what(), HasSubstr(broken));
  }
}

TEST(PopulationOptions, ValidationNamesTheField) {
  PopulationOptions options;
  options.analysis.n_initial_states = 0;
  EXPECT_THROW(options.validate(), InvalidArgument);
}

}  // namespace
}  // namespace rnnatlas
