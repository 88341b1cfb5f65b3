// A static split of [0, n) over threads: trial generation, the per-point stages of the dynamics
// analysis.
#pragma once

#include <algorithm>
#include <exception>
#include <thread>
#include <vector>

namespace rnnatlas::internal {

/// Calls body(begin, end, worker) on n_threads contiguous ranges of [0, n); the calling thread
/// takes the last range. Results must depend only on the index, never on the split. The first
/// exception thrown by a worker is rethrown here after every worker has finished.
template <typename Body>
void parallel_ranges(int n, int n_threads, Body&& body) {
  const int n_workers = std::max(1, std::min(n_threads, n));
  if (n_workers == 1) {
    if (n > 0) body(0, n, 0);
    return;
  }
  const auto begin = [&](int w) {
    return static_cast<int>(static_cast<long long>(n) * w / n_workers);
  };
  std::vector<std::exception_ptr> errors(n_workers);
  {
    std::vector<std::jthread> workers;
    workers.reserve(n_workers - 1);
    for (int w = 0; w + 1 < n_workers; ++w) {
      workers.emplace_back([&, w] {
        try {
          body(begin(w), begin(w + 1), w);
        } catch (...) {
          errors[w] = std::current_exception();
        }
      });
    }
    try {
      body(begin(n_workers - 1), n, n_workers - 1);
    } catch (...) {
      errors[n_workers - 1] = std::current_exception();
    }
  }
  for (const auto& error : errors) {
    if (error) std::rethrow_exception(error);
  }
}

}  // namespace rnnatlas::internal
