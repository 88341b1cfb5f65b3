// distance_matrix() over the ranks of an MPI job (Execution::runner = MpiRunner). Run
// under mpirun with 2 or more ranks (ctest does: the test `distance_matrix_mpi`); every rank runs
// every test, each checking its own side.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "rnnatlas/error.h"
#include "rnnatlas/similarity/distance_matrix.h"
#include "rnnatlas/sweep/mpi_runner.h"
#include "testing/random_matrix.h"

namespace rnnatlas::similarity {
namespace {

using Eigen::MatrixXd;

const MpiSession* g_session = nullptr;
const MpiSession& session() { return *g_session; }

// 12 networks of 40 to 60 units sharing a 5-dimensional latent, `n_samples` samples: several tiles
// of stacked factors for the factored metrics, 66 pairs for the others. Linear CKA goes through
// the samples' Gram matrices below about 290 samples, through factor tiles above. The same on
// every rank (fixed seed).
std::vector<MatrixXd> population(int n_samples = 200) {
  internal::Rng rng(5);
  const MatrixXd shared = testing::random_normal(n_samples, 5, 1.0, rng);
  std::vector<MatrixXd> xs;
  for (int i = 0; i < 12; ++i) {
    const int n_units = 40 + 10 * (i % 3);
    xs.emplace_back(shared * testing::random_normal(5, n_units, 1.0, rng) +
                    testing::random_normal(n_samples, n_units, 0.7, rng));
  }
  return xs;
}

class DistanceMatrixOverRanks : public ::testing::TestWithParam<Metric> {};

TEST_P(DistanceMatrixOverRanks, RankZeroGetsTheThreadedMatrixBitForBit) {
  for (int n_samples : {200, 400}) {
    const std::vector<MatrixXd> xs = population(n_samples);
    DistanceMatrixOptions o{.metric = GetParam()};
    o.svcca.k = 30;  // 10 networks per tile: 2 tiles
    const MatrixXd threaded = distance_matrix(o, xs, Execution{2});
    for (int n_threads : {1, 2}) {
      MpiRunner runner(session(), n_threads);
      const MatrixXd d = distance_matrix(o, xs, Execution{n_threads, &runner});
      if (session().rank() == 0) {
        ASSERT_EQ(d.rows(), 12);
        EXPECT_TRUE(d == threaded)
            << n_samples << " samples, max difference " << (d - threaded).cwiseAbs().maxCoeff();
      } else {
        EXPECT_EQ(d.size(), 0) << "only rank 0 holds the matrix";
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Metrics,
    DistanceMatrixOverRanks,
    ::testing::Values(Metric::kSvcca, Metric::kCka, Metric::kPwcca, Metric::kShape),
    [](const auto& info) { return std::string(to_string(info.param)); });

TEST(DistanceMatrixOverRanksErrors, AFailureOnOneRankEndsEveryRank) {
  // Rank 1 cannot produce network 3 (as when a network file is unreadable there): it throws its
  // own error, rank 0 throws it too, naming the rank, and nothing hangs. Rank 0 hears of it
  // through the first block it hands to rank 1 (MpiRunner), so it is kept from handing out every
  // block before rank 1 reports in: it prepares its last network slowly.
  const std::vector<MatrixXd> xs = population();
  std::vector<std::string> names;
  names.reserve(12);
  for (int i = 0; i < 12; ++i) names.push_back("net" + std::to_string(i));
  MpiRunner runner(session(), 1);
  DistanceMatrixOptions o{.metric = Metric::kCka};
  const auto activity = [&](int i) -> MatrixXd {
    if (i == 3 && session().rank() == 1) throw IoError("cannot read net3.h5 on rank 1");
    if (i == 11 && session().rank() == 0) std::this_thread::sleep_for(std::chrono::seconds(1));
    return xs[i];
  };
  try {
    distance_matrix(o, names, activity, Execution{1, &runner});
    FAIL() << "no error on rank " << session().rank();
  } catch (const IoError& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("cannot read net3.h5 on rank 1"));
    if (session().rank() == 0) {
      EXPECT_THAT(e.what(), ::testing::StartsWith("rank 1 ("));
    }
  }
}

TEST(DistanceMatrixOverRanksErrors, APairErrorReachesRankZeroWithItsType) {
  // Too few samples for CCA of two 40-unit networks (40 + 40 >= 60): every pair fails wherever it
  // runs; every rank throws InvalidArgument naming the networks (its own, or the one rank 0 sent).
  std::vector<MatrixXd> xs = population();
  for (MatrixXd& x : xs) x = x.topRows(60).leftCols(40).eval();
  MpiRunner runner(session(), 1);
  DistanceMatrixOptions o{.metric = Metric::kCca};
  try {
    distance_matrix(o, xs, Execution{1, &runner});
    FAIL() << "no error on rank " << session().rank();
  } catch (const InvalidArgument& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("distance_matrix: networks "));
  }
}

}  // namespace
}  // namespace rnnatlas::similarity

/// Prints the failed assertions of a rank other than 0 (whose report is the full one).
class RankFailurePrinter final : public ::testing::EmptyTestEventListener {
 public:
  explicit RankFailurePrinter(int rank) : rank_(rank) {}
  void OnTestPartResult(const ::testing::TestPartResult& result) override {
    if (!result.failed()) return;
    std::fprintf(stderr, "rank %d: %s:%d: Failure\n%s\n", rank_,
                 result.file_name() ? result.file_name() : "?", result.line_number(),
                 result.message());
  }

 private:
  int rank_;
};

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  const rnnatlas::MpiSession session;
  rnnatlas::similarity::g_session = &session;
  if (session.rank() != 0) {  // one full report, rank 0's; each rank's exit status counts
    ::testing::TestEventListeners& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
    listeners.Append(new RankFailurePrinter(session.rank()));
  }
  return RUN_ALL_TESTS();
}
