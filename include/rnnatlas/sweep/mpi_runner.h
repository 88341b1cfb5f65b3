// Spreading work over the processes (ranks) of an MPI job: a work queue over ranks.
//
// Built only when rnnatlas/config.h says RNNATLAS_WITH_MPI (CMake option RNNATLAS_WITH_MPI, on
// where an MPI library is found); link rnnatlas::sweep_mpi. The declarations here do not need
// <mpi.h>.
//
// Every rank of the job builds the same objects and makes the same calls in the same order, from
// its main thread (the one that built the MpiSession):
//
//   MpiSession session;                          // MPI_Init_thread ... MPI_Finalize
//   MpiRunner runner(session, n_threads);        // n_threads worker threads on every rank
//   runner.run_with_records(items, work, done);  // items and done() matter on rank 0 only
//
// Rank 0 coordinates: it hands out the items in list order (most expensive first, see
// most_expensive_first()), one at a time, to whichever worker thread of any rank is free, so
// items of very different costs balance themselves (dynamic load balancing). work(i) runs on a
// worker thread of some rank and returns a small record (bytes); done(i, record) runs on rank 0's
// main thread, one call at a time, in completion order. Rank 0 trains too: its main thread does
// the coordination and sleeps in between (it polls every millisecond; handing out an item and
// receiving its record are two small messages), so a rank that only coordinated would waste a
// core -- with `mpirun -n 2` on 2 cores, half of the machine.
//
// Errors: if work() throws on any rank, or done() throws on rank 0, no new item is handed out,
// the items in flight finish (their done() is called), every rank's run_with_records() returns
// by throwing, and rank 0 throws the first error, with "rank R (host): " before the message of
// an error from another rank. InvalidArgument and IoError keep their type across ranks; other
// exceptions arrive as std::runtime_error. A rank that dies (a crash, SIGKILL) takes the job
// down through mpirun; nothing hangs. When rank 0 fails before it can call run_with_records()
// (e.g. the sweep directory is locked), it calls abandon(error) instead, which releases the
// other ranks with that error.
//
// Protocol, on a private communicator (a duplicate of MPI_COMM_WORLD): each worker rank sends
// HELLO(n_threads, host) and thereafter one message per finished item, RESULT(i, record) or
// FAILURE(i, error); rank 0 answers HELLO with n_threads replies and every other message with
// one reply, ITEM(i) or STOP(error or none). A worker rank that abandons sends ABANDON(host, error)
// in place of all that and returns. A worker rank returns when each of its threads has received a
// STOP; rank 0 returns when it has heard from every rank and every thread of every rank that
// said HELLO has received a STOP.
#pragma once

#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "rnnatlas/runner.h"

namespace rnnatlas {

/// The MPI library for the lifetime of the object: MPI_Init_thread(MPI_THREAD_FUNNELED) on
/// construction, a barrier and MPI_Finalize on destruction. One per process, on the main thread.
class MpiSession {
 public:
  /// Throws IoError when MPI cannot start or MPI is already initialized.
  MpiSession();
  /// Waits for every rank, then finalizes MPI. Print final messages before: once a rank exits
  /// with a non-zero status, mpirun may kill the others.
  ~MpiSession();
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;

  int rank() const { return rank_; }  ///< in [0, size())
  int size() const { return size_; }  ///< ranks in MPI_COMM_WORLD, >= 1

  /// Calls `produce` on rank 0 and returns its result on every rank (e.g. the text of a config
  /// file that only needs reading once). When `produce` throws, every rank throws an error of the
  /// same type (InvalidArgument, IoError, else std::runtime_error) and message. Collective.
  std::string broadcast(const std::function<std::string()>& produce) const;

 private:
  int rank_ = 0;
  int size_ = 1;
};

/// A Runner over the ranks of an MPI job, `n_threads` worker threads on each rank; see the
/// top of this file. Construction is collective (every rank, same order).
class MpiRunner final : public Runner {
 public:
  /// n_threads >= 1 (may differ between ranks); throws InvalidArgument otherwise.
  MpiRunner(const MpiSession& session, int n_threads);
  ~MpiRunner() override;

  /// run_with_records() with records ignored. Use it only for work whose results reach rank 0
  /// by other means (files on a shared file system).
  void run(const std::vector<int>& items,
           const std::function<void(int)>& work,
           const std::function<void(int)>& done) override;
  /// Every rank calls it; `items` and `done` are used on rank 0 only. Throws as described at the
  /// top of this file.
  void run_with_records(const std::vector<int>& items,
                        const RecordWork& work,
                        const RecordDone& done) override;
  /// Worker threads over all ranks.
  int n_workers() const override { return n_workers_; }
  /// True on rank 0.
  bool is_coordinator() const override;
  /// In place of run_with_records() on a rank that cannot make that call: on rank 0, every other
  /// rank's run_with_records() throws `error`; on another rank, rank 0 throws it (after the items
  /// in flight elsewhere finish). Returns normally.
  void abandon(const std::exception_ptr& error) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int n_workers_ = 0;
};

}  // namespace rnnatlas
