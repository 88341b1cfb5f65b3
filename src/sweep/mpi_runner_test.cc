// Tests of the work queue over MPI ranks. Run under mpirun with 2 or more ranks (ctest does: the
// test `mpi_runner`); every rank runs every test, each checking its own side.
#include "rnnatlas/sweep/mpi_runner.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "rnnatlas/error.h"

namespace rnnatlas {
namespace {

const MpiSession* g_session = nullptr;

const MpiSession& session() { return *g_session; }

std::vector<int> first_items(int n) {
  std::vector<int> items(n);
  for (int i = 0; i < n; ++i) items[i] = 10 * i;  // not 0..n-1, to catch index mix-ups
  return items;
}

TEST(MpiSession, BroadcastsRankZerosTextOrItsError) {
  const std::string text = session().broadcast([] { return std::string("config\n\0text", 12); });
  EXPECT_EQ(text, std::string("config\n\0text", 12));
  EXPECT_EQ(session().broadcast([] { return std::string(); }), "");
  try {
    session().broadcast([]() -> std::string { throw InvalidArgument("bad.toml:3: [grid] x"); });
    FAIL() << "no error";
  } catch (const InvalidArgument& e) {
    EXPECT_STREQ(e.what(), "bad.toml:3: [grid] x");  // the same type and message on every rank
  }
  EXPECT_THROW(session().broadcast([]() -> std::string { throw IoError("cannot read x"); }),
               IoError);
}

TEST(MpiRunner, RunsEveryItemOnceAndBringsItsRecordToRankZero) {
  for (int n_threads : {1, 3}) {
    MpiRunner runner(session(), n_threads);
    EXPECT_EQ(runner.n_workers(), n_threads * session().size());
    EXPECT_EQ(runner.is_coordinator(), session().rank() == 0);
    const std::vector<int> items = first_items(40);
    std::map<int, std::string> records;
    std::set<int> ranks;
    bool overlapped = false;
    int in_done = 0;  // done() runs on rank 0's main thread only, one call at a time
    runner.run_with_records(
        items,
        [&](int i) {
          std::this_thread::sleep_for(std::chrono::milliseconds(5));
          return std::to_string(i) + "@" + std::to_string(session().rank());
        },
        [&](int i, const std::string& record) {
          overlapped = overlapped || in_done++ != 0;
          EXPECT_TRUE(records.emplace(i, record).second) << "done twice: " << i;
          ranks.insert(std::stoi(record.substr(record.find('@') + 1)));
          --in_done;
        });
    if (session().rank() == 0) {
      ASSERT_EQ(records.size(), items.size());
      for (int i : items) EXPECT_EQ(records[i].substr(0, records[i].find('@')), std::to_string(i));
      EXPECT_EQ(static_cast<int>(ranks.size()), session().size()) << "some rank got no work";
      EXPECT_FALSE(overlapped);
    } else {
      EXPECT_TRUE(records.empty());  // done() is rank 0's
    }
  }
}

TEST(MpiRunner, HandsOutItemsInListOrder) {
  MpiRunner runner(session(), 1);
  std::vector<int> items = first_items(30);
  std::reverse(items.begin(), items.end());    // the list order, not the value order
  int n_started = 0;                           // on this rank (one worker thread)
  std::map<int, std::pair<int, int>> started;  // item -> (rank, start number on that rank)
  runner.run_with_records(
      items,
      [&](int i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        return std::to_string(session().rank()) + " " + std::to_string(n_started++) + " " +
               std::to_string(i);
      },
      [&](int i, const std::string& record) {
        std::istringstream in(record);
        int rank = -1, number = -1, item = -1;
        in >> rank >> number >> item;
        EXPECT_EQ(item, i);
        started[i] = {rank, number};
      });
  if (session().rank() == 0) {
    ASSERT_EQ(started.size(), items.size());
    // Each rank started its items in list order.
    std::map<int, int> last_position;  // rank -> list position of its last item so far
    std::vector<std::pair<std::pair<int, int>, int>> by_start;  // ((rank, number), position)
    for (std::size_t k = 0; k < items.size(); ++k)
      by_start.emplace_back(started[items[k]], static_cast<int>(k));
    std::sort(by_start.begin(), by_start.end());
    for (const auto& [key, position] : by_start) {
      const int rank = key.first;
      if (last_position.count(rank)) {
        EXPECT_GT(position, last_position[rank]) << "rank " << rank;
      }
      last_position[rank] = position;
    }
  }
}

TEST(MpiRunner, AnErrorOnAnotherRankStopsEveryRankWithItsTypeAndMessage) {
  if (session().size() < 2) GTEST_SKIP() << "needs 2 ranks";
  MpiRunner runner(session(), 1);
  int n_done = 0;
  int n_started = 0;
  try {
    runner.run_with_records(
        first_items(200),
        [&](int i) -> std::string {
          ++n_started;
          if (session().rank() == 1) throw IoError("cannot write item " + std::to_string(i));
          std::this_thread::sleep_for(std::chrono::milliseconds(2));
          return "";
        },
        [&](int, const std::string&) { ++n_done; });
    FAIL() << "no error";
  } catch (const IoError& e) {
    if (session().rank() == 1) {  // its own error
      EXPECT_THAT(e.what(), ::testing::StartsWith("cannot write item"));
      EXPECT_EQ(n_started, 1);
    } else {  // rank 1's, forwarded by rank 0
      EXPECT_THAT(e.what(), ::testing::StartsWith("rank 1 ("));
      EXPECT_THAT(e.what(), ::testing::HasSubstr("cannot write item"));
    }
    if (session().rank() == 0) {
      EXPECT_LT(n_done, 200);  // stopped handing out work
    }
  }
}

TEST(MpiRunner, AnErrorInDoneStopsEveryRank) {
  MpiRunner runner(session(), 1);
  try {
    runner.run_with_records(
        first_items(100),
        [](int) {
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
          return std::string();
        },
        [](int i, const std::string&) {
          if (i == 30) throw InvalidArgument("manifest says no");
        });
    FAIL() << "no error";
  } catch (const InvalidArgument& e) {
    EXPECT_STREQ(e.what(), "manifest says no");
  }
}

TEST(MpiRunner, AbandonOnRankZeroReleasesTheOthersWithItsError) {
  MpiRunner runner(session(), 2);
  if (session().rank() == 0) {
    runner.abandon(std::make_exception_ptr(InvalidArgument("out holds a different sweep")));
  } else {
    int n_started = 0;
    try {
      runner.run_with_records({}, [&](int) { return std::to_string(++n_started); }, {});
      FAIL() << "no error";
    } catch (const InvalidArgument& e) {
      EXPECT_STREQ(e.what(), "out holds a different sweep");
    }
    EXPECT_EQ(n_started, 0);
  }
}

TEST(MpiRunner, AbandonOnAnotherRankStopsRankZero) {
  if (session().size() < 2) GTEST_SKIP() << "needs 2 ranks";
  MpiRunner runner(session(), 1);
  if (session().rank() == 0) {
    try {
      runner.run_with_records(
          first_items(50), [](int) { return std::string(); }, [](int, const std::string&) {});
      FAIL() << "no error";
    } catch (const IoError& e) {
      EXPECT_THAT(e.what(), ::testing::HasSubstr("no task here"));
    }
  } else {
    // Late: rank 0's own thread has long finished every item. The error must reach it anyway.
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    runner.abandon(std::make_exception_ptr(IoError("no task here")));
  }
}

TEST(MpiRunner, ARunnerThatNeverRunsReleasesTheOthersWhenDestroyed) {
  if (session().size() < 2) GTEST_SKIP() << "needs 2 ranks";
  MpiRunner runner(session(), 1);
  if (session().rank() == 1) {
    EXPECT_THROW(runner.run_with_records({}, [](int) { return std::string(); }, {}),
                 std::runtime_error);
  }  // rank 0 destroys its runner without a call
}

TEST(MpiRunner, RejectsNoThreads) { EXPECT_THROW(MpiRunner(session(), 0), InvalidArgument); }

}  // namespace
}  // namespace rnnatlas

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
  rnnatlas::g_session = &session;
  if (session.rank() != 0) {  // one full report, rank 0's; each rank's exit status counts
    ::testing::TestEventListeners& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
    listeners.Append(new RankFailurePrinter(session.rank()));
  }
  return RUN_ALL_TESTS();
}
