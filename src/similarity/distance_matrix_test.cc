// Distance matrices: entries equal the pairwise metric, symmetric, zero diagonal, and identical for
// any number of threads.
#include "rnnatlas/similarity/distance_matrix.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "rnnatlas/error.h"
#include "rnnatlas/runner.h"
#include "similarity/pair_internal.h"
#include "testing/random_matrix.h"

namespace rnnatlas::similarity {
namespace {

using Eigen::MatrixXd;

std::vector<MatrixXd> population(int n_networks, int n_samples) {
  rnnatlas::internal::Rng rng(42);
  const MatrixXd shared = testing::random_normal(n_samples, 4, 1.0, rng);
  std::vector<MatrixXd> xs;
  for (int i = 0; i < n_networks; ++i) {
    const int n_units = 5 + i % 3;  // units differ between networks
    xs.emplace_back(shared * testing::random_normal(4, n_units, 1.0, rng) +
                    testing::random_normal(n_samples, n_units, 0.5 + 0.2 * i, rng));
  }
  return xs;
}

double pair_distance(const DistanceMatrixOptions& o, const MatrixXd& a, const MatrixXd& b) {
  switch (o.metric) {
    case Metric::kCca:
      return 1.0 - cca(o.cca, a, b).mean();
    case Metric::kSvcca:
      return svcca(o.svcca, a, b).distance;
    case Metric::kPwcca:
      return 0.5 * (pwcca(o.cca, a, b).distance + pwcca(o.cca, b, a).distance);
    case Metric::kCka:
      return 1.0 - cka(o.cka, a, b);
    case Metric::kShape:
      return shape_distance(o.shape, a, b);
    case Metric::kDsa:  // tested in dsa_test.cc (needs trials)
      return dsa(o.dsa, a, b).distance;
  }
  return -1.0;
}

class DistanceMatrixTest : public ::testing::TestWithParam<Metric> {};

TEST_P(DistanceMatrixTest, MatchesPairwiseMetricAndIsThreadCountIndependent) {
  const std::vector<MatrixXd> xs = population(7, 60);
  DistanceMatrixOptions o{.metric = GetParam()};
  o.svcca.k = 3;
  o.shape.alpha = 0.5;
  const MatrixXd d1 = distance_matrix(o, xs);
  const MatrixXd d3 = distance_matrix(o, xs, Execution{3});
  EXPECT_TRUE(d1 == d3) << "results depend on n_threads";
  EXPECT_TRUE(d1 == d1.transpose());
  EXPECT_TRUE((d1.diagonal().array() == 0.0).all());
  for (int i = 0; i < 7; ++i)
    for (int j = i + 1; j < 7; ++j) {
      EXPECT_NEAR(d1(i, j), pair_distance(o, xs[i], xs[j]), 1e-12) << i << ", " << j;
      EXPECT_GT(d1(i, j), 1e-3);
    }
}

INSTANTIATE_TEST_SUITE_P(
    AllMetrics,
    DistanceMatrixTest,
    ::testing::Values(Metric::kCca, Metric::kSvcca, Metric::kPwcca, Metric::kCka, Metric::kShape),
    [](const auto& info) { return std::string(to_string(info.param)); });

TEST_P(DistanceMatrixTest, ManyTilesMatchThePairwiseMetric) {
  // 9 networks of 70 to 90 units: the factored metrics cut them into several tiles of stacked
  // factors (distance_matrix.cc); every tile pair, diagonal ones included, must give the pairwise
  // values.
  rnnatlas::internal::Rng rng(7);
  const MatrixXd shared = testing::random_normal(200, 6, 1.0, rng);
  std::vector<MatrixXd> xs;
  for (int i = 0; i < 9; ++i) {
    const int n_units = 70 + 10 * (i % 3);
    xs.emplace_back(shared * testing::random_normal(6, n_units, 1.0, rng) +
                    testing::random_normal(200, n_units, 1.0, rng));
  }
  DistanceMatrixOptions o{.metric = GetParam()};
  o.svcca.k = 60;  // 5 networks per tile
  const MatrixXd d1 = distance_matrix(o, xs);
  EXPECT_TRUE(distance_matrix(o, xs, Execution{2}) == d1) << "results depend on n_threads";
  for (int i = 0; i < 9; ++i)
    for (int j = i + 1; j < 9; ++j)
      EXPECT_NEAR(d1(i, j), pair_distance(o, xs[i], xs[j]), 1e-12) << i << ", " << j;
}

TEST(DistanceMatrix, LinearCkaThroughTheSamplesGramMatricesMatchesThePairs) {
  // 6 networks of 150 samples (two full blocks of 64 and a partial one) and 80 to 100 units, two of
  // them with dead units (rank-deficient factors): the Gram way (distance_matrix.cc), biased and
  // debiased, against the pair function.
  rnnatlas::internal::Rng rng(3);
  const MatrixXd shared = testing::random_normal(150, 6, 1.0, rng);
  std::vector<MatrixXd> xs;
  std::vector<Eigen::Index> widths;
  for (int i = 0; i < 6; ++i) {
    const int n_units = 80 + 10 * (i % 3);
    MatrixXd x = shared * testing::random_normal(6, n_units, 1.0, rng) +
                 testing::random_normal(150, n_units, 0.8, rng);
    if (i % 3 == 1) x.rightCols(30).setZero();
    widths.push_back(prepare_cka(CkaOptions{}, x).centred.cols());
    xs.push_back(std::move(x));
  }
  ASSERT_TRUE(internal::cka_by_gram_is_cheaper(150, widths)) << "the test must take the Gram way";
  for (bool debiased : {false, true}) {
    DistanceMatrixOptions o{.metric = Metric::kCka};
    o.cka.debiased = debiased;
    const MatrixXd d1 = distance_matrix(o, xs);
    EXPECT_TRUE(distance_matrix(o, xs, Execution{3}) == d1) << "results depend on n_threads";
    for (int i = 0; i < 6; ++i)
      for (int j = i + 1; j < 6; ++j)
        EXPECT_NEAR(d1(i, j), 1.0 - cka(o.cka, xs[i], xs[j]), 1e-12) << i << ", " << j;
  }
}

TEST(DistanceMatrix, LinearCkaTakesTheCheaperWay) {
  const auto same = [](int n, Eigen::Index c) { return std::vector<Eigen::Index>(n, c); };
  // The benchmark's shapes (bench/README.md): 12,800 samples of 128 units.
  EXPECT_TRUE(internal::cka_by_gram_is_cheaper(12800, same(1000, 128)));
  EXPECT_FALSE(internal::cka_by_gram_is_cheaper(12800, same(100, 128)));
  // `compare`'s default 3,200 samples, a paper-sized population, and small networks.
  EXPECT_TRUE(internal::cka_by_gram_is_cheaper(3200, same(960, 128)));
  EXPECT_FALSE(internal::cka_by_gram_is_cheaper(3200, same(960, 16)));
}

TEST(DistanceMatrix, ErrorsNameTheNetwork) {
  std::vector<MatrixXd> xs = population(4, 30);
  xs[2] = xs[2].topRows(20).eval();
  try {
    distance_matrix(DistanceMatrixOptions{}, xs);
    FAIL();
  } catch (const InvalidArgument& e) {
    EXPECT_THAT(e.what(),
                ::testing::HasSubstr("network 2 has 20 samples (rows) but network 0 has 30"));
  }
  xs = population(4, 30);
  xs[3](0, 0) = std::numeric_limits<double>::infinity();
  try {
    distance_matrix(DistanceMatrixOptions{.metric = Metric::kCka}, xs, Execution{2});
    FAIL();
  } catch (const InvalidArgument& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("network 3: cka: X[30, 5] has a non-finite entry"));
  }
  EXPECT_THROW(distance_matrix(DistanceMatrixOptions{}, {xs[0]}), InvalidArgument);
  EXPECT_THROW(distance_matrix(DistanceMatrixOptions{}, xs, Execution{0}), InvalidArgument);
  EXPECT_EQ(parse_metric("pwcca"), Metric::kPwcca);
  EXPECT_THROW(parse_metric("rsa"), InvalidArgument);
}

// Stands in for one process of a multi-process runner (MpiRunner): runs the items on two threads,
// carrying every result as a record; on a process that is not the coordinator, done() is not
// called (the records go to rank 0). Logs the calls made to it.
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
    log.push_back("run_with_records of " + std::to_string(items.size()) + " items");
    ThreadRunner(2).run_with_records(items, work, [&](int i, const std::string& record) {
      if (coordinator_) done(i, record);
    });
  }
  int n_workers() const override { return 2; }
  bool is_coordinator() const override { return coordinator_; }
  void abandon(const std::exception_ptr& error) override {
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      log.push_back(std::string("abandon: ") + e.what());
    }
  }
  std::vector<std::string> log;

 private:
  bool coordinator_;
};

TEST_P(DistanceMatrixTest, ARunnerGivesTheThreadedMatrix) {
  // 9 networks of 70 to 90 units: several tiles, so several work items.
  rnnatlas::internal::Rng rng(11);
  const MatrixXd shared = testing::random_normal(200, 6, 1.0, rng);
  std::vector<MatrixXd> xs;
  for (int i = 0; i < 9; ++i) {
    const int n_units = 70 + 10 * (i % 3);
    xs.emplace_back(shared * testing::random_normal(6, n_units, 1.0, rng) +
                    testing::random_normal(200, n_units, 1.0, rng));
  }
  DistanceMatrixOptions o{.metric = GetParam()};
  o.svcca.k = 60;
  const MatrixXd threaded = distance_matrix(o, xs, Execution{2});
  LoggingRunner coordinator(true);
  EXPECT_TRUE(distance_matrix(o, xs, Execution{2, &coordinator}) == threaded)
      << "a runner changed the matrix";
  ASSERT_EQ(coordinator.log.size(), 1u);
  EXPECT_THAT(coordinator.log[0], ::testing::StartsWith("run_with_records of "));
  EXPECT_NE(coordinator.log[0], "run_with_records of 1 items");  // the pairs were split

  LoggingRunner other(false);  // another process: computes its share, holds no matrix
  EXPECT_EQ(distance_matrix(o, xs, Execution{2, &other}).size(), 0);
  EXPECT_EQ(other.log.size(), 1u);
}

TEST(DistanceMatrix, ARunnerIsCalledOnceEvenWhenPreparingFails) {
  // The other processes of an MPI job wait for this one: an error before the pairs must reach
  // them through abandon(), exactly once, and still be thrown here.
  std::vector<MatrixXd> xs = population(4, 30);
  xs[1](2, 0) = std::numeric_limits<double>::quiet_NaN();
  LoggingRunner runner(true);
  DistanceMatrixOptions o{.metric = Metric::kSvcca};
  o.svcca.k = 2;
  const Execution execution{1, &runner};
  EXPECT_THROW(distance_matrix(o, xs, execution), InvalidArgument);
  ASSERT_EQ(runner.log.size(), 1u);
  EXPECT_THAT(runner.log[0], ::testing::HasSubstr("abandon: distance_matrix: network 1: svcca"));
  runner.log.clear();
  EXPECT_THROW(distance_matrix(o, {xs[0]}, execution), InvalidArgument);  // before preparing
  ASSERT_EQ(runner.log.size(), 1u);
  EXPECT_THAT(runner.log[0], ::testing::HasSubstr("abandon: distance_matrix: got 1"));
}

}  // namespace
}  // namespace rnnatlas::similarity
