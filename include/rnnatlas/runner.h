// Runner: how a stage spreads a list of independent work items over workers.
//
// A stage (training a sweep, analysing or comparing a population, a distance matrix) hands a
// Runner its items (indices), a per-item function and a completion callback. The runner decides
// only *where and when* each item runs; what an item computes is fixed by the caller, so every
// runner gives identical results. ThreadRunner runs the items on threads of this process;
// MpiRunner (rnnatlas/sweep/mpi_runner.h) spreads them over the ranks of an MPI job, rank 0
// handing out one item at a time. Order the items with most_expensive_first(), and when the
// items may run in other processes, return what done() needs as a small record from work()
// (run_with_records()).
#pragma once

#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace rnnatlas {

class Runner {
 public:
  virtual ~Runner() = default;

  /// Calls `work(i)` exactly once for every i in `items`, on any worker and in any order (items
  /// earlier in the list should start first), and `done(i)` after each work(i) has returned.
  /// done() calls are serialized (never two at once) and made in completion order. If a work() or
  /// done() call throws, no new item starts, the ones in flight finish, and the first exception
  /// is rethrown here.
  virtual void run(const std::vector<int>& items,
                   const std::function<void(int)>& work,
                   const std::function<void(int)>& done) = 0;

  /// What work(i) hands to done(i): a small byte string (a few hundred bytes, e.g. a CSV row),
  /// so that a runner can carry it from another process.
  using RecordWork = std::function<std::string(int)>;
  using RecordDone = std::function<void(int, const std::string&)>;

  /// Like run(), but work(i) returns a record that is passed to done(i, record). Use this form
  /// when work() may run in another process (MpiRunner), where done() cannot see what work()
  /// left in memory. The default implementation carries the records through run().
  virtual void run_with_records(const std::vector<int>& items,
                                const RecordWork& work,
                                const RecordDone& done);

  /// Workers this runner uses (for rate estimates).
  virtual int n_workers() const = 0;

  /// False in the processes of a multi-process runner that only call work() (MPI ranks other
  /// than 0). There, the caller calls run_with_records() with the same work() but leaves the
  /// bookkeeping to the coordinator: `items` and done() are not used.
  virtual bool is_coordinator() const { return true; }

  /// Called instead of run() or run_with_records() when the caller fails before it can call
  /// them, with its error. A multi-process runner releases its other processes, which then throw
  /// an error of the same type (InvalidArgument, IoError) from their run_with_records(); returns
  /// normally. The default does nothing.
  virtual void abandon(const std::exception_ptr& error) { static_cast<void>(error); }
};

/// `items` sorted by decreasing `cost(item)`, ties in their given order. Running the expensive
/// items first balances the load: the last ones to start are the cheap ones.
std::vector<int> most_expensive_first(std::vector<int> items,
                                      const std::function<double(int)>& cost);

/// Runs the items on `n_threads` threads of this process (the calling thread included), each
/// thread taking the next item of the list when it is free.
class ThreadRunner final : public Runner {
 public:
  /// n_threads >= 1; throws InvalidArgument otherwise.
  explicit ThreadRunner(int n_threads);
  void run(const std::vector<int>& items,
           const std::function<void(int)>& work,
           const std::function<void(int)>& done) override;
  int n_workers() const override { return n_threads_; }

 private:
  int n_threads_;
};

}  // namespace rnnatlas
