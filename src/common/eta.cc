#include "common/eta.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <queue>
#include <utility>

#include "rnnatlas/error.h"

namespace rnnatlas::internal {

ScheduleEta::ScheduleEta(std::vector<double> costs, int n_workers)
    : costs_(std::move(costs)), n_workers_(n_workers), finished_(costs_.size(), 0) {
  RNNATLAS_CHECK_ARG(n_workers >= 1, "ScheduleEta: n_workers = " << n_workers << ": must be >= 1");
  for (double c : costs_) {
    RNNATLAS_CHECK_ARG(c > 0 && std::isfinite(c),
                       "ScheduleEta: cost " << c << ": must be finite and > 0");
  }
}

void ScheduleEta::finish(int k, double seconds, double now) {
  RNNATLAS_CHECK_ARG(k >= 0 && k < static_cast<int>(costs_.size()) && !finished_[k],
                     "ScheduleEta::finish: item " << k << " is out of range or already finished");
  finished_[k] = 1;
  finish_times_.push_back(now);
  const double c = costs_[k];
  const double t = std::max(seconds, 0.0);
  if (n_ == 0) first_cost_ = c;
  spread_ = spread_ || c != first_cost_;
  n_ += 1;
  sc_ += c;
  st_ += t;
  scc_ += c * c;
  sct_ += c * t;
}

double ScheduleEta::predicted_seconds(double cost) const {
  if (n_ == 0) return std::numeric_limits<double>::quiet_NaN();
  // One cost seen: the cost model at its word, time proportional to cost.
  double a = 0.0;
  double b = st_ / sc_;
  if (spread_) {
    const double mean_c = sc_ / n_;
    const double mean_t = st_ / n_;
    const double var = scc_ / n_ - mean_c * mean_c;
    const double cov = sct_ / n_ - mean_c * mean_t;
    b = var > 0 ? cov / var : 0.0;
    a = mean_t - b * mean_c;
    if (b < 0) {  // time falling with cost: no cost dependence at all
      b = 0.0;
      a = mean_t;
    } else if (a < 0) {  // no negative overhead: through the origin
      a = 0.0;
      b = sct_ / scc_;
    }
  }
  return a + b * cost;
}

double ScheduleEta::seconds_left(double now) const {
  const int n = static_cast<int>(costs_.size());
  const int n_done = n_finished();
  if (n_done == n) return 0.0;
  if (n_done == 0) return std::numeric_limits<double>::quiet_NaN();
  // Items 0 .. n_started - 1 have been handed out; the unfinished ones among them are in flight.
  const int n_started = std::min(n, n_done + n_workers_);
  std::vector<double> sorted_finishes = finish_times_;
  std::sort(sorted_finishes.begin(), sorted_finishes.end());
  auto start_of = [&](int k) { return k < n_workers_ ? 0.0 : sorted_finishes[k - n_workers_]; };
  // When each worker is next free: at the predicted end of its item in flight, or now if idle.
  std::priority_queue<double, std::vector<double>, std::greater<>> free_at;
  for (int k = 0; k < n_started; ++k) {
    if (!finished_[k]) free_at.push(std::max(now, start_of(k) + predicted_seconds(costs_[k])));
  }
  while (static_cast<int>(free_at.size()) < n_workers_) free_at.push(now);
  double last = now;
  for (int k = n_started; k < n; ++k) {
    const double start = free_at.top();
    free_at.pop();
    free_at.push(start + predicted_seconds(costs_[k]));
  }
  while (!free_at.empty()) {
    last = std::max(last, free_at.top());
    free_at.pop();
  }
  return last - now;
}

}  // namespace rnnatlas::internal
