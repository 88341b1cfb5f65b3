// Time left of a list of work items of known relative cost, done by a few workers that each take
// the next item when free: the ETA of `rnnatlas sweep` (networks to train) and of
// `rnnatlas dynamics` on a sweep directory (networks to analyse).
#pragma once

#include <vector>

namespace rnnatlas::internal {

/// Estimates the wall time left from the items finished so far.
///
/// Model: an item of cost c takes a + b c seconds, a fixed overhead plus a part proportional to
/// the cost, fitted by least squares (a, b >= 0) on the finished items. While every finished
/// item has the same cost, a = 0: the cost model taken at its word. Once costs differ, the
/// measurements decide, which corrects a cost model that overweights large items relative to
/// their real time (per-item overheads make small items relatively slow).
///
/// Schedule: item k of the hand-out order starts when a worker is free, so the first n_workers
/// start at time 0 and item k >= n_workers starts when the (k - n_workers + 1)-th item finishes.
/// The estimate replays the rest of the schedule with the fitted times: the items in flight
/// finish at start + predicted time (or now, if that has passed), the queued ones go to the
/// first free worker; the ETA is the last finish minus now. This counts the tail where workers
/// fall idle, which dividing the work left by the throughput does not.
class ScheduleEta {
 public:
  /// `costs[k]`: estimated relative cost of the k-th item handed out (> 0); `n_workers` >= 1.
  ScheduleEta(std::vector<double> costs, int n_workers);

  /// The k-th item handed out finished at `now` (seconds since the first item started), after
  /// `seconds` of its own work. Finishes are reported in the order they happen.
  void finish(int k, double seconds, double now);

  /// Seconds until every item has finished; NaN before the first finish, 0 when all are done.
  double seconds_left(double now) const;

  /// Predicted seconds of an item of cost `cost` (fitted model); NaN before the first finish.
  double predicted_seconds(double cost) const;

  int n_finished() const { return static_cast<int>(finish_times_.size()); }

 private:
  std::vector<double> costs_;
  int n_workers_;
  std::vector<char> finished_;
  std::vector<double> finish_times_;  // in the order they happened
  // Sums for the fit of seconds on cost.
  double n_ = 0, sc_ = 0, st_ = 0, scc_ = 0, sct_ = 0;
  double first_cost_ = 0;
  bool spread_ = false;  // finished items of more than one cost
};

}  // namespace rnnatlas::internal
