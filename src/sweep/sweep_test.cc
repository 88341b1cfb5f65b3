#include "rnnatlas/sweep/sweep.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <numeric>
#include <set>
#include <thread>

#include "rnnatlas/error.h"
#include "rnnatlas/io/content_hash.h"
#include "rnnatlas/io/network_file.h"

namespace rnnatlas {
namespace {

namespace fs = std::filesystem;

Execution with_threads(int n_threads) { return Execution{n_threads}; }

// 6 tiny networks: trains in a fraction of a second.
constexpr const char* kTiny = R"([task]
name = "flip_flop"
n_time = 10
[grid]
cell = ["vanilla", "gru", "lstm"]
activation = ["tanh", "relu"]
n_hidden = 4
n_iterations = 15
n_batch = 8
[evaluation]
n_eval_batch = 8
)";

class SweepTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    root_ = fs::temp_directory_path() /
            ("rnnatlas_sweep_" + std::to_string(::getpid()) + "_" + info->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }
  std::string dir(const std::string& name) const { return (root_ / name).string(); }

  /// Parameters of every network file in DIR/networks, by file name.
  static std::map<std::string, Eigen::VectorXd> parameters(const std::string& d) {
    std::map<std::string, Eigen::VectorXd> out;
    for (const auto& entry : fs::directory_iterator(fs::path(d) / "networks")) {
      out[entry.path().filename().string()] =
          load_network_file(entry.path().string()).network.parameters();
    }
    return out;
  }

  fs::path root_;
};

TEST(ThreadRunner, RunsEveryItemOnceAndSerializesDone) {
  for (int n_threads : {1, 2, 5}) {
    ThreadRunner runner(n_threads);
    std::vector<int> items(50);
    std::iota(items.begin(), items.end(), 0);
    std::vector<std::atomic<int>> work_count(50);
    std::vector<int> done_order;
    std::atomic<int> in_done{0};
    bool overlapped = false;
    runner.run(
        items, [&](int i) { ++work_count[i]; },
        [&](int i) {
          if (in_done.fetch_add(1) != 0) overlapped = true;
          done_order.push_back(i);
          std::this_thread::yield();
          in_done.fetch_sub(1);
        });
    for (int i = 0; i < 50; ++i) EXPECT_EQ(work_count[i].load(), 1) << i;
    EXPECT_EQ(std::set<int>(done_order.begin(), done_order.end()).size(), 50u);
    EXPECT_FALSE(overlapped);
  }
  EXPECT_THROW(ThreadRunner(0), InvalidArgument);
}

TEST(ThreadRunner, RethrowsTheFirstErrorAndStopsHandingOutWork) {
  ThreadRunner runner(2);
  std::vector<int> items(1000);
  for (int i = 0; i < 1000; ++i) items[i] = i;
  std::atomic<int> started{0};
  EXPECT_THROW(runner.run(
                   items,
                   [&](int i) {
                     ++started;
                     if (i == 3) throw IoError("disk full");
                     // Real items take time; instant ones let the other thread start all 1000
                     // before the error is recorded, and the test would measure the scheduler.
                     std::this_thread::sleep_for(std::chrono::milliseconds(1));
                   },
                   [](int) {}),
               IoError);
  EXPECT_LT(started.load(), 1000);
}

TEST(ThreadRunner, RunWithRecordsHandsEachRecordToItsDone) {
  ThreadRunner runner(3);
  std::vector<int> items;
  items.reserve(40);
  for (int i = 0; i < 40; ++i) items.push_back(7 * i);
  std::map<int, std::string> records;
  runner.run_with_records(
      items, [](int i) { return "record of " + std::to_string(i); },
      [&](int i, const std::string& record) { records[i] = record; });
  ASSERT_EQ(records.size(), items.size());
  for (int i : items) EXPECT_EQ(records[i], "record of " + std::to_string(i));
}

TEST(MostExpensiveFirst, SortsByDecreasingCostAndKeepsTiesInOrder) {
  const std::vector<double> cost = {1, 3, 3, 2, 0, 3};
  EXPECT_EQ(most_expensive_first({0, 1, 2, 3, 4, 5}, [&](int i) { return cost[i]; }),
            (std::vector<int>{1, 2, 5, 3, 0, 4}));
  EXPECT_EQ(most_expensive_first({5, 4, 3, 2}, [&](int i) { return cost[i]; }),
            (std::vector<int>{5, 2, 3, 4}));
  EXPECT_TRUE(most_expensive_first({}, [](int) { return 0.0; }).empty());
}

TEST_F(SweepTest, AnImpossibleThreadCountIsRefusedBeforeAnythingIsWritten) {
  const SweepSpec spec = parse_sweep_config(kTiny, "tiny.toml");
  try {
    run_sweep({}, spec, kTiny, dir("z"), Execution{0});
    ADD_FAILURE() << "no error";
  } catch (const InvalidArgument& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("n_threads = 0: must be >= 1"));
  }
  EXPECT_FALSE(fs::exists(dir("z")));
}

TEST_F(SweepTest, TrainsEveryNetworkAndWritesManifest) {
  const SweepSpec spec = parse_sweep_config(kTiny, "tiny.toml");
  std::vector<SweepProgress> reports;
  SweepOptions options;
  options.progress = [&](const SweepProgress& p) { reports.push_back(p); };
  const SweepSummary summary = run_sweep(options, spec, kTiny, dir("a"), with_threads(2));
  EXPECT_EQ(summary.n_networks, 6);
  EXPECT_EQ(summary.n_trained, 6);
  EXPECT_EQ(summary.n_resumed, 0);
  ASSERT_EQ(reports.size(), 7u);  // the start, then one per network
  EXPECT_EQ(reports.back().n_done, 6);

  const std::vector<ManifestRow> rows = read_manifest(dir("a"));
  ASSERT_EQ(rows.size(), 6u);
  for (int i = 0; i < 6; ++i) {
    const SweepNetwork n = spec.network(i);
    EXPECT_EQ(rows[i].network.id, n.id);
    EXPECT_NE(rows[i].outcome, "pending");
    EXPECT_EQ(rows[i].file, "networks/" + n.id + ".h5");
    EXPECT_EQ(rows[i].kept,
              rows[i].outcome == "completed" && rows[i].normalized_mse < spec.max_normalized_mse);
    const NetworkRecord record = load_network_file(dir("a") + "/" + rows[i].file);
    EXPECT_EQ(record.init_seed, n.init_seed);
    EXPECT_EQ(record.train_options.seed, n.train_options.seed);
    EXPECT_EQ(record.network.architecture().cell, n.architecture.cell);
    EXPECT_EQ(record.summary.eval.normalized_mse, rows[i].normalized_mse);
    EXPECT_EQ(record.summary.n_iterations_done, 15);
    EXPECT_EQ(rows[i].file_hash, file_content_hash(dir("a") + "/" + rows[i].file));
    EXPECT_EQ(verified_network_file(dir("a"), rows[i]), dir("a") + "/" + rows[i].file);
  }
  EXPECT_TRUE(fs::exists(dir("a") + "/sweep.toml"));
  EXPECT_EQ(spec.hash().size(), 16u);
}

TEST_F(SweepTest, ResultsDoNotDependOnTheThreadCount) {
  const SweepSpec spec = parse_sweep_config(kTiny, "tiny.toml");
  run_sweep({}, spec, kTiny, dir("one"), with_threads(1));
  run_sweep({}, spec, kTiny, dir("three"), with_threads(3));
  const auto a = parameters(dir("one"));
  const auto b = parameters(dir("three"));
  ASSERT_EQ(a.size(), 6u);
  ASSERT_EQ(b.size(), 6u);
  for (const auto& [name, params] : a) {
    ASSERT_TRUE(b.count(name)) << name;
    EXPECT_EQ(params, b.at(name)) << name;  // bit for bit
  }
}

TEST_F(SweepTest, RerunResumesAndRetrainsOnlyMissingNetworks) {
  const SweepSpec spec = parse_sweep_config(kTiny, "tiny.toml");
  run_sweep({}, spec, kTiny, dir("d"), with_threads(2));
  const auto before = parameters(dir("d"));

  SweepSummary again = run_sweep({}, spec, kTiny, dir("d"), with_threads(2));
  EXPECT_EQ(again.n_resumed, 6);
  EXPECT_EQ(again.n_trained, 0);

  // A lost network, a corrupt one and a leftover temporary file of a killed run.
  const std::string lost = dir("d") + "/networks/" + spec.network(1).id + ".h5";
  const std::string corrupt = dir("d") + "/networks/" + spec.network(4).id + ".h5";
  fs::remove(lost);
  fs::resize_file(corrupt, 100);
  { std::ofstream(dir("d") + "/networks/x.h5.tmp-123-0") << "partial"; }
  again = run_sweep({}, spec, kTiny, dir("d"), with_threads(2));
  EXPECT_EQ(again.n_resumed, 4);
  EXPECT_EQ(again.n_trained, 2);
  EXPECT_EQ(parameters(dir("d")), before);
  EXPECT_EQ(read_manifest(dir("d")).size(), 6u);
}

TEST_F(SweepTest, AReplacedNetworkFileFailsVerification) {
  const SweepSpec spec = parse_sweep_config(kTiny, "tiny.toml");
  run_sweep({}, spec, kTiny, dir("r"), with_threads(2));
  const std::vector<ManifestRow> rows = read_manifest(dir("r"));
  // Network 2 replaced by network 0 (another network under its name).
  fs::copy_file(dir("r") + "/" + rows[0].file, dir("r") + "/" + rows[2].file,
                fs::copy_options::overwrite_existing);
  EXPECT_NO_THROW(verified_network_file(dir("r"), rows[0]));
  try {
    verified_network_file(dir("r"), rows[2]);
    ADD_FAILURE() << "a replaced file passed";
  } catch (const IoError& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("is not the one the sweep recorded for network '" +
                                               rows[2].network.id + "'"));
    EXPECT_THAT(e.what(), ::testing::HasSubstr("rnnatlas sweep " + dir("r") + "/sweep.toml"));
  }
  // Rerunning the sweep retrains the impostor and records its new hash.
  const SweepSummary again = run_sweep({}, spec, kTiny, dir("r"), with_threads(2));
  EXPECT_EQ(again.n_trained, 1);
  EXPECT_NO_THROW(verified_network_file(dir("r"), read_manifest(dir("r"))[2]));
}

TEST_F(SweepTest, RerunAddsTheHashesAnOlderManifestLacksWithoutRetraining) {
  const SweepSpec spec = parse_sweep_config(kTiny, "tiny.toml");
  run_sweep({}, spec, kTiny, dir("o"), with_threads(2));
  const std::string manifest = dir("o") + "/manifest.csv";
  std::string old_text;
  {
    std::ifstream in(manifest);
    for (std::string line; std::getline(in, line);) {
      old_text += line.substr(0, line.rfind(',')) + "\n";  // without file_hash
    }
  }
  std::ofstream(manifest, std::ios::trunc) << old_text;
  const ManifestRow old_row = read_manifest(dir("o"))[0];
  ASSERT_EQ(old_row.file_hash, "");
  try {
    verified_network_file(dir("o"), old_row);
    ADD_FAILURE() << "a row without a hash passed";
  } catch (const IoError& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("records no content hash"));
    EXPECT_THAT(e.what(), ::testing::HasSubstr("without retraining"));
  }
  const SweepSummary again = run_sweep({}, spec, kTiny, dir("o"), with_threads(2));
  EXPECT_EQ(again.n_trained, 0);
  EXPECT_EQ(again.n_resumed, 6);
  for (const ManifestRow& row : read_manifest(dir("o"))) {
    EXPECT_NO_THROW(verified_network_file(dir("o"), row));
  }
}

TEST_F(SweepTest, ANetworkFileLinkedFromOutsideTheDirectoryIsRefused) {
  const SweepSpec spec = parse_sweep_config(kTiny, "tiny.toml");
  run_sweep({}, spec, kTiny, dir("l"), with_threads(2));
  const ManifestRow row = read_manifest(dir("l"))[0];
  const fs::path file = fs::path(dir("l")) / row.file;
  fs::rename(file, dir("elsewhere.h5"));
  fs::create_symlink(dir("elsewhere.h5"), file);
  try {
    read_manifest(dir("l"));
    ADD_FAILURE() << "a file outside the directory was accepted";
  } catch (const IoError& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("outside the sweep directory"));
  }
}

TEST_F(SweepTest, ADifferentConfigIsRefused) {
  const SweepSpec spec = parse_sweep_config(kTiny, "tiny.toml");
  run_sweep({}, spec, kTiny, dir("d"), with_threads(1));
  std::string other = kTiny;
  other.replace(other.find("n_iterations = 15"), 17, "n_iterations = 16");
  try {
    run_sweep({}, parse_sweep_config(other, "other.toml"), other, dir("d"), with_threads(1));
    FAIL() << "a different config was accepted";
  } catch (const InvalidArgument& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("different sweep"));
    EXPECT_THAT(e.what(), ::testing::HasSubstr(spec.hash()));
  }
  // Only comments differ: the same sweep.
  EXPECT_NO_THROW(
      run_sweep({}, spec, std::string("# a comment\n") + kTiny, dir("d"), with_threads(1)));
}

TEST_F(SweepTest, ANonSweepDirectoryIsRefused) {
  fs::create_directories(dir("d"));
  { std::ofstream(dir("d") + "/thesis.tex") << "precious"; }
  const SweepSpec spec = parse_sweep_config(kTiny, "tiny.toml");
  EXPECT_THROW(run_sweep({}, spec, kTiny, dir("d"), with_threads(1)), InvalidArgument);
  EXPECT_TRUE(fs::exists(dir("d") + "/thesis.tex"));
}

/// A runner that tries to start a second sweep on the same directory while the first holds it.
class ReentrantRunner final : public Runner {
 public:
  ReentrantRunner(const SweepSpec& spec, std::string dir) : spec_(spec), dir_(std::move(dir)) {}
  void run(const std::vector<int>&,
           const std::function<void(int)>&,
           const std::function<void(int)>&) override {
    try {
      run_sweep({}, spec_, kTiny, dir_, with_threads(1));
    } catch (const IoError& e) {
      second_run_error = e.what();
    }
  }
  int n_workers() const override { return 1; }
  std::string second_run_error;

 private:
  const SweepSpec& spec_;
  std::string dir_;
};

TEST_F(SweepTest, ASecondConcurrentRunIsRefusedByTheLock) {
  const SweepSpec spec = parse_sweep_config(kTiny, "tiny.toml");
  ReentrantRunner runner(spec, dir("d"));
  run_sweep({}, spec, kTiny, dir("d"), Execution{1, &runner});
  EXPECT_THAT(runner.second_run_error, ::testing::HasSubstr("another rnnatlas sweep is running"));
  // The lock is released at the end of the run.
  EXPECT_NO_THROW(run_sweep({}, spec, kTiny, dir("d"), with_threads(1)));
}

/// Trains the items one by one and, after the first, looks at the directory as another command
/// would while the sweep runs.
class ProbingRunner final : public Runner {
 public:
  explicit ProbingRunner(std::string dir) : dir_(std::move(dir)) {}
  void run(const std::vector<int>& items,
           const std::function<void(int)>& work,
           const std::function<void(int)>& done) override {
    for (const int i : items) {
      work(i);
      done(i);
      if (note_while_running.empty()) {
        running = sweep_in_progress(dir_);
        note_while_running = population_snapshot_note(dir_, read_manifest(dir_));
      }
    }
  }
  int n_workers() const override { return 1; }
  bool running = false;
  std::string note_while_running;

 private:
  std::string dir_;
};

TEST_F(SweepTest, ReadersSeeARunningOrUnfinishedSweepAsASnapshot) {
  const SweepSpec spec = parse_sweep_config(kTiny, "tiny.toml");
  EXPECT_FALSE(sweep_in_progress(dir("d")));  // no directory yet
  ProbingRunner runner(dir("d"));
  run_sweep({}, spec, kTiny, dir("d"), Execution{1, &runner});
  EXPECT_TRUE(runner.running);
  EXPECT_THAT(runner.note_while_running,
              ::testing::HasSubstr("a sweep is still running on " + dir("d") +
                                   " (1 of 6 networks "
                                   "trained"));
  EXPECT_THAT(runner.note_while_running, ::testing::HasSubstr("snapshot"));

  // Finished: nothing to say.
  EXPECT_FALSE(sweep_in_progress(dir("d")));
  std::vector<ManifestRow> rows = read_manifest(dir("d"));
  EXPECT_EQ(population_snapshot_note(dir("d"), rows), "");
  // Stopped before the end (a pending row, no run holding the lock): say how to finish it.
  rows[2].outcome = "pending";
  rows[2].kept = false;
  EXPECT_THAT(population_snapshot_note(dir("d"), rows),
              ::testing::AllOf(::testing::HasSubstr("is unfinished (5 of 6 networks trained"),
                               ::testing::HasSubstr("rnnatlas sweep " + dir("d") + "/sweep.toml")));
}

TEST_F(SweepTest, ARunStartingDuringAProbeWaitsForItInsteadOfFailing) {
  const SweepSpec spec = parse_sweep_config(kTiny, "tiny.toml");
  run_sweep({}, spec, kTiny, dir("d"), with_threads(1));
  // A reader's probe holds a shared lock; release it 200 ms into the next run.
  const int fd = ::open((dir("d") + "/.lock").c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_SH), 0);
  std::thread release([fd] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    ::close(fd);
  });
  EXPECT_NO_THROW(run_sweep({}, spec, kTiny, dir("d"), with_threads(1)));
  release.join();
}

TEST_F(SweepTest, TheSummaryRecordsTheManifestItCounted) {
  const SweepSpec spec = parse_sweep_config(kTiny, "tiny.toml");
  run_sweep({}, spec, kTiny, dir("d"), with_threads(2));
  write_population_summary(dir("d"));
  std::ifstream in(dir("d") + "/summary.csv");
  std::string header, line;
  std::getline(in, header);
  std::getline(in, line);
  EXPECT_THAT(header, ::testing::EndsWith(",manifest_hash"));
  EXPECT_THAT(line, ::testing::EndsWith("," + file_content_hash(dir("d") + "/manifest.csv")));
}

}  // namespace
}  // namespace rnnatlas
