// compare_population(): the distance file of a sweep's kept networks equals the distance matrix
// computed by hand, is the same for any thread count, resumes, refuses to overwrite a file computed
// differently without force, and reports bad directories and options clearly.
#include "rnnatlas/pipeline/compare.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "io/h5.h"
#include "rnnatlas/error.h"
#include "rnnatlas/io/content_hash.h"
#include "rnnatlas/io/network_file.h"
#include "rnnatlas/pipeline/dynamics_file.h"
#include "rnnatlas/pipeline/population.h"
#include "rnnatlas/runner.h"
#include "rnnatlas/similarity/distance_matrix.h"
#include "rnnatlas/sweep/sweep.h"

namespace rnnatlas::similarity {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::HasSubstr;

// 6 tiny networks (n_hidden 4 and 6), every one kept.
constexpr const char* kTiny = R"([task]
name = "flip_flop"
n_time = 10
[grid]
cell = ["vanilla", "gru", "lstm"]
n_hidden = [4, 6]
n_iterations = 10
n_batch = 8
[evaluation]
n_eval_batch = 8
[keep]
max_normalized_mse = 1e9
)";

class ComparePopulation : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = new fs::path(fs::temp_directory_path() /
                         ("rnnatlas_compare_" + std::to_string(::getpid())));
    fs::remove_all(*root_);
    run_sweep({}, parse_sweep_config(kTiny, "tiny.toml"), kTiny, dir(), Execution{2});
  }
  static void TearDownTestSuite() {
    fs::remove_all(*root_);
    delete root_;
  }
  void TearDown() override { fs::remove_all(fs::path(dir()) / "similarity"); }
  static std::string dir() { return (*root_ / "sweep").string(); }

  static CompareOptions svcca(int k) {
    CompareOptions options;
    options.metric = "svcca";
    options.svcca.k = k;
    options.activity.n_trials = 4;
    return options;
  }

  static fs::path* root_;
};
fs::path* ComparePopulation::root_ = nullptr;

TEST(CompareMetrics, EveryMetricButTopologyUsesTheActivity) {
  for (const std::string& metric : compare_metric_names()) {
    EXPECT_EQ(uses_activity(metric), metric != "topology") << metric;
  }
  EXPECT_FALSE(uses_activity("no_such_metric"));
}

TEST_F(ComparePopulation, WritesTheDistanceMatrixOfTheKeptNetworks) {
  const CompareOptions options = svcca(3);
  const CompareSummary summary = compare_population(dir(), options);
  EXPECT_FALSE(summary.resumed);
  EXPECT_EQ(summary.n_networks, 6);
  EXPECT_EQ(summary.path, dir() + "/similarity/svcca.h5");
  const DistanceFile file = load_distance_file(summary.path);
  EXPECT_EQ(file.metric, "svcca");
  EXPECT_EQ(std::get<std::int64_t>(file.params.at("k")), 3);
  EXPECT_EQ(std::get<std::int64_t>(file.params.at("n_trials")), 4);
  EXPECT_EQ(std::get<std::string>(file.params.at("state")), "h");

  // By hand: the manifest's networks, their activity on the shared trials, distance_matrix().
  const std::vector<ManifestRow> rows = read_manifest(dir());
  const auto task = make_task("flip_flop", {{"n_time", 10}});
  const TrialBatch trials = activity_trials(options.activity, *task);
  std::vector<Eigen::MatrixXd> activities;
  std::vector<std::string> ids;
  for (const ManifestRow& row : rows) {
    ASSERT_TRUE(row.kept) << row.network.id;
    ids.push_back(row.network.id);
    const NetworkRecord record = load_network_file(dir() + "/" + row.file);
    activities.push_back(network_activity(options.activity, record.network, trials));
  }
  DistanceMatrixOptions by_hand;
  by_hand.svcca.k = 3;
  EXPECT_EQ(file.network_ids, ids);
  EXPECT_EQ(file.distances, distance_matrix(by_hand, activities));
  EXPECT_GT(file.distances(0, 1), 0.0);

  // Labels are those of the sweep config, in row order.
  const SweepSpec spec = read_sweep_config(dir() + "/sweep.toml");
  for (int i = 0; i < 6; ++i) {
    const SweepNetwork n = spec.network(rows[i].network.index);
    EXPECT_EQ(file.labels.cell[i], to_string(n.architecture.cell));
    EXPECT_EQ(file.labels.activation[i], "tanh");
    EXPECT_EQ(file.labels.n_hidden[i], n.architecture.n_hidden);
    EXPECT_EQ(file.labels.l2[i], n.train_options.l2);
    EXPECT_EQ(file.labels.learning_rate[i], n.train_options.learning_rate);
    EXPECT_EQ(file.labels.seed[i], 0);
  }
}

TEST_F(ComparePopulation, GivesTheSameMatrixForAnyThreadCount) {
  CompareOptions options = svcca(2);
  options.metric = "cka";
  options.name = "cka_1";
  const DistanceFile one =
      load_distance_file(compare_population(dir(), options, Execution{1}).path);
  options.name = "cka_3";
  const DistanceFile three =
      load_distance_file(compare_population(dir(), options, Execution{3}).path);
  EXPECT_EQ(one.distances, three.distances);
  EXPECT_EQ(std::get<std::string>(one.params.at("kernel")), "linear");
}

// One process of a multi-process runner (MpiRunner) as compare_population() sees it: runs the
// items on 2 threads, passing records on only when it is the coordinator; logs its calls.
class LoggingRunner final : public Runner {
 public:
  explicit LoggingRunner(bool coordinator) : coordinator_(coordinator) {}
  void run(const std::vector<int>&,
           const std::function<void(int)>&,
           const std::function<void(int)>&) override {
    log.emplace_back("run");
  }
  void run_with_records(const std::vector<int>& items,
                        const RecordWork& work,
                        const RecordDone& done) override {
    log.push_back("run_with_records of " + std::to_string(items.size()));
    ThreadRunner(2).run_with_records(items, work, [&](int i, const std::string& record) {
      if (coordinator_) done(i, record);
    });
  }
  int n_workers() const override { return 2; }
  bool is_coordinator() const override { return coordinator_; }
  void abandon(const std::exception_ptr&) override { log.emplace_back("abandon"); }
  std::vector<std::string> log;

 private:
  bool coordinator_;
};

TEST_F(ComparePopulation, OverARunnerOnlyTheCoordinatorWritesAndEveryCallUsesTheRunnerOnce) {
  CompareOptions options = svcca(2);
  options.metric = "cka";
  options.name = "cka_threads";
  const DistanceFile threaded = load_distance_file(compare_population(dir(), options).path);

  options.name = "cka_runner";
  LoggingRunner other(false);  // a rank other than 0: computes pairs, writes nothing
  EXPECT_FALSE(compare_population(dir(), options, Execution{1, &other}).resumed);
  EXPECT_FALSE(fs::exists(distance_file_path(dir(), "cka_runner")));
  EXPECT_EQ(other.log.size(), 1u);

  LoggingRunner coordinator(true);
  const Execution over_coordinator{1, &coordinator};
  const CompareSummary summary = compare_population(dir(), options, over_coordinator);
  EXPECT_EQ(load_distance_file(summary.path).distances, threaded.distances);
  ASSERT_EQ(coordinator.log.size(), 1u);
  EXPECT_NE(coordinator.log[0], "run_with_records of 0");

  // Up to date: nothing to compute, but the other processes still get their one call (an empty
  // run that releases them).
  coordinator.log.clear();
  EXPECT_TRUE(compare_population(dir(), options, over_coordinator).resumed);
  EXPECT_EQ(coordinator.log, std::vector<std::string>{"run_with_records of 0"});

  // A failure before the pairs reaches the other processes through abandon().
  coordinator.log.clear();
  options.svcca.k = 99;
  options.metric = "svcca";
  options.name = "svcca_bad";
  EXPECT_THROW(compare_population(dir(), options, over_coordinator), InvalidArgument);
  EXPECT_EQ(coordinator.log, std::vector<std::string>{"abandon"});
}

TEST_F(ComparePopulation, ResumesAndReplacesOnlyWithForce) {
  const CompareSummary first = compare_population(dir(), svcca(2));
  const auto written = fs::last_write_time(first.path);
  const CompareSummary again = compare_population(dir(), svcca(2));
  EXPECT_TRUE(again.resumed);
  EXPECT_EQ(fs::last_write_time(first.path), written);
  EXPECT_THAT(again.brief_report(), HasSubstr("up to date"));

  try {
    compare_population(dir(), svcca(3));
    ADD_FAILURE() << "a different k replaced the file without force";
  } catch (const InvalidArgument& e) {
    EXPECT_THAT(e.what(), AllOf(HasSubstr("svcca.h5"), HasSubstr("k = 2 there, 3 now"),
                                HasSubstr("--force")));
    EXPECT_THAT(e.what(), ::testing::Not(HasSubstr("kept networks")));
  }
  EXPECT_EQ(std::get<std::int64_t>(load_distance_file(first.path).params.at("k")), 2);
  CompareOptions forced = svcca(3);
  forced.force = true;
  const CompareSummary replaced = compare_population(dir(), forced);
  EXPECT_TRUE(replaced.replaced);
  EXPECT_EQ(std::get<std::int64_t>(load_distance_file(first.path).params.at("k")), 3);

  EXPECT_EQ(replaced.replaced_because, "k = 2 there, 3 now");

  // Same options but other kept networks (the sweep has trained more since): stale, replaced
  // without force.
  DistanceFile stale = load_distance_file(first.path);
  stale.network_ids[0] = "0099-gone";
  save_distance_file(first.path, stale);
  const CompareSummary refreshed = compare_population(dir(), svcca(3));
  EXPECT_TRUE(refreshed.replaced);
  EXPECT_EQ(refreshed.replaced_because, "kept networks: 6 there, 6 now (1 new, 1 no longer kept)");
  EXPECT_EQ(load_distance_file(first.path).network_ids[0], read_manifest(dir())[0].network.id);

  // Another name is another file; the first stays.
  CompareOptions named = svcca(2);
  named.name = "svcca_k2";
  EXPECT_EQ(compare_population(dir(), named).path, dir() + "/similarity/svcca_k2.h5");
  EXPECT_TRUE(fs::exists(first.path));
}

// A stand-in for DIR/dynamics/<id>.h5 of every kept network: only the attribute compare reads.
void write_dynamics_stubs(const std::string& dir, const std::string& wrong_for = "") {
  fs::create_directories(fs::path(dir) / "dynamics");
  for (const ManifestRow& row : read_manifest(dir)) {
    if (!row.kept) continue;
    h5::ImageWriter writer;
    h5::write_attribute(writer.root(), "network_hash",
                        row.network.id == wrong_for ? std::string(16, '0') : row.file_hash);
    h5::write_file_atomically(dir + "/dynamics/" + row.network.id + ".h5", writer.finish());
  }
}

TEST_F(ComparePopulation, TopologyComesFromTheDynamicsFiles) {
  CompareOptions options;
  options.metric = "topology";
  EXPECT_THAT([&] { compare_population(dir(), options); },
              ::testing::ThrowsMessage<IoError>(HasSubstr("run `rnnatlas dynamics")));

  PopulationOptions quick;
  quick.analysis.n_initial_states = 32;
  quick.analysis.n_trials = 4;
  quick.analysis.fixed_points.max_iters = 200;
  quick.analysis.transitions.max_steps = 200;
  analyze_population(dir(), quick, Execution{2});
  for (const TopologyDistanceKind kind :
       {TopologyDistanceKind::kAuto, TopologyDistanceKind::kSignature}) {
    options.topology_kind = kind;
    options.name = "topology_" + std::string(to_string(kind));
    const DistanceFile file = load_distance_file(compare_population(dir(), options).path);
    EXPECT_EQ(file.metric, "topology");
    EXPECT_EQ(file.params, (Params{{"kind", std::string(to_string(kind))}}));  // no activity
    // The distance of the dynamics stage between the networks' own dynamics files.
    std::vector<TopologySummary> summaries;
    for (const std::string& id : file.network_ids) {
      summaries.push_back(load_topology_summary(dynamics_file_path(dir(), id)));
    }
    EXPECT_EQ(file.distances, topology_distance_matrix(summaries, kind));
    ASSERT_EQ(file.input_hashes.size(), file.network_ids.size());
    EXPECT_EQ(file.input_hashes[0],
              file_content_hash(dynamics_file_path(dir(), file.network_ids[0])));
    EXPECT_EQ(distance_file_staleness(dir(), file), "");
  }
  const std::vector<std::string> seen =
      load_distance_file(distance_file_path(dir(), "topology_auto")).network_ids;

  // Dynamics made from another version of a network file are refused.
  write_dynamics_stubs(dir(), seen[1]);
  EXPECT_THAT([&] { compare_population(dir(), options); },
              ::testing::ThrowsMessage<IoError>(
                  AllOf(HasSubstr("dynamics/" + seen[1] + ".h5' was not made from network file"),
                        HasSubstr("rerun `rnnatlas dynamics"))));
  fs::remove_all(fs::path(dir()) / "dynamics");
}

TEST_F(ComparePopulation, ChangedInputsMakeTheFileStaleAndAReplacedNetworkIsRefused) {
  const CompareOptions options = svcca(2);
  const CompareSummary first = compare_population(dir(), options);
  DistanceFile file = load_distance_file(first.path);
  const std::vector<ManifestRow> rows = read_manifest(dir());
  ASSERT_EQ(file.input_hashes.size(), file.network_ids.size());
  EXPECT_EQ(file.input_hashes[0], rows[0].file_hash);
  EXPECT_EQ(distance_file_staleness(dir(), file), "");

  // A file computed from other inputs is recomputed, not "up to date".
  file.input_hashes[1] = std::string(16, 'a');
  save_distance_file(first.path, file);
  EXPECT_EQ(distance_file_staleness(dir(), file), "1 of its " + std::to_string(file.n_networks()) +
                                                      " input files changed since it was computed");
  const CompareSummary again = compare_population(dir(), options);
  EXPECT_FALSE(again.resumed);
  EXPECT_THAT(again.replaced_because, HasSubstr("1 of its"));
  EXPECT_TRUE(compare_population(dir(), options).resumed);

  // A network file replaced by another: refused, even though the distance file is up to date.
  const fs::path target = fs::path(dir()) / rows[1].file;
  const fs::path saved = fs::path(dir()) / "saved.h5";
  fs::copy_file(target, saved, fs::copy_options::overwrite_existing);
  fs::copy_file(fs::path(dir()) / rows[0].file, target, fs::copy_options::overwrite_existing);
  EXPECT_THAT([&] { compare_population(dir(), options); },
              ::testing::ThrowsMessage<IoError>(HasSubstr(
                  "is not the one the sweep recorded for network '" + rows[1].network.id + "'")));
  fs::rename(saved, target);
  EXPECT_TRUE(compare_population(dir(), options).resumed);
}

TEST_F(ComparePopulation, ReportsBadDirectoriesAndOptions) {
  EXPECT_THAT([&] { compare_population(dir() + "/nowhere", svcca(2)); },
              ::testing::ThrowsMessage<IoError>(
                  AllOf(HasSubstr("nowhere"), HasSubstr("no such directory"))));
  EXPECT_THAT([&] { compare_population(dir() + "/networks", svcca(2)); },
              ::testing::ThrowsMessage<IoError>(HasSubstr("manifest.csv")));
  CompareOptions unknown;
  unknown.metric = "rsa";
  EXPECT_THAT([&] { compare_population(dir(), unknown); },
              ::testing::ThrowsMessage<InvalidArgument>(
                  AllOf(HasSubstr("'rsa'"), HasSubstr("svcca"), HasSubstr("topology"))));
  EXPECT_THAT([&] { compare_population(dir(), svcca(5)); },
              ::testing::ThrowsMessage<InvalidArgument>(
                  AllOf(HasSubstr("k = 5"), HasSubstr("4 units"), HasSubstr("-h4-"))));
  CompareOptions bad_name = svcca(2);
  bad_name.name = "../x";
  EXPECT_THROW(compare_population(dir(), bad_name), InvalidArgument);
  CompareOptions cca;
  cca.metric = "cca";
  cca.activity.n_trials = 1;  // 10 samples for networks of 6 + 6 units
  EXPECT_THAT([&] { compare_population(dir(), cca); },
              ::testing::ThrowsMessage<InvalidArgument>(HasSubstr("n_trials")));
  EXPECT_FALSE(fs::exists(fs::path(dir()) / "similarity" / "cca.h5"));
}

}  // namespace
}  // namespace rnnatlas::similarity
