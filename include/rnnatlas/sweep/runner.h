// How the networks of a sweep are spread over workers. Module maintainer: rnnatlas sweep.
//
// run_sweep() prepares the directory and the list of networks to train, then hands the work to a
// SweepRunner. The runner only decides *where and when* each network trains; what a network is
// and where its file goes are fixed by the spec, so every runner gives identical files.
// ThreadRunner trains one network per thread; an MPI runner (one network per rank, dynamic
// assignment from rank 0) implements the same interface.
#pragma once

#include <functional>
#include <memory>
#include <vector>

namespace rnnatlas {

class SweepRunner {
 public:
  virtual ~SweepRunner() = default;

  /// Calls `work(i)` exactly once for every i in `items`, on any worker and in any order (items
  /// earlier in the list should start first), and `done(i)` after each work(i) has returned.
  /// done() calls are serialized (never two at once) and made in completion order. If a work() or
  /// done() call throws, no new item starts, the ones in flight finish, and the first exception
  /// is rethrown here.
  virtual void run(const std::vector<int>& items,
                   const std::function<void(int)>& work,
                   const std::function<void(int)>& done) = 0;

  /// Workers this runner uses (for rate estimates).
  virtual int n_workers() const = 0;
};

/// Runs the items on `n_threads` threads of this process (the calling thread included), each
/// thread taking the next item of the list when it is free.
class ThreadRunner final : public SweepRunner {
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
