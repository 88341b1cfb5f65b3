#include "rnnatlas/runner.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <utility>

#include "rnnatlas/error.h"
#include "rnnatlas/execution.h"

namespace rnnatlas {

void Runner::run_with_records(const std::vector<int>& items,
                              const RecordWork& work,
                              const RecordDone& done) {
  std::mutex mutex;  // work() runs on several threads at once
  std::unordered_map<int, std::string> records;
  run(
      items,
      [&](int i) {
        std::string record = work(i);
        const std::lock_guard<std::mutex> lock(mutex);
        records[i] = std::move(record);
      },
      [&](int i) {
        std::string record;
        {
          const std::lock_guard<std::mutex> lock(mutex);
          const auto it = records.find(i);
          record = std::move(it->second);
          records.erase(it);
        }
        done(i, record);
      });
}

std::vector<int> most_expensive_first(std::vector<int> items,
                                      const std::function<double(int)>& cost) {
  std::vector<std::pair<double, int>> keyed;
  keyed.reserve(items.size());
  for (int i : items) keyed.emplace_back(cost(i), i);
  std::stable_sort(keyed.begin(), keyed.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  for (std::size_t k = 0; k < keyed.size(); ++k) items[k] = keyed[k].second;
  return items;
}

ThreadRunner::ThreadRunner(int n_threads) : n_threads_(n_threads) {
  RNNATLAS_CHECK_ARG(n_threads >= 1, "n_threads = " << n_threads << ": must be >= 1");
}

void ThreadRunner::run(const std::vector<int>& items,
                       const std::function<void(int)>& work,
                       const std::function<void(int)>& done) {
  std::atomic<std::size_t> next{0};
  std::atomic<bool> stop{false};
  std::mutex done_mutex;  // serializes done() and guards `first_error`
  std::exception_ptr first_error;

  auto keep_error = [&](std::exception_ptr error) {  // call with done_mutex held
    if (!first_error) first_error = std::move(error);
    stop = true;
  };
  auto worker = [&] {
    while (!stop) {
      const std::size_t k = next.fetch_add(1);
      if (k >= items.size()) return;
      try {
        work(items[k]);
      } catch (...) {
        const std::lock_guard<std::mutex> lock(done_mutex);
        keep_error(std::current_exception());
        return;
      }
      const std::lock_guard<std::mutex> lock(done_mutex);
      try {
        done(items[k]);
      } catch (...) {
        keep_error(std::current_exception());
        return;
      }
    }
  };

  const int n_threads = static_cast<int>(std::min<std::size_t>(n_threads_, items.size()));
  std::vector<std::thread> threads;
  for (int t = 1; t < n_threads; ++t) threads.emplace_back(worker);
  worker();  // the calling thread is worker 0
  for (std::thread& thread : threads) thread.join();
  if (first_error) std::rethrow_exception(first_error);
}

void Execution::validate() const {
  RNNATLAS_CHECK_ARG(n_threads >= 1, "n_threads = " << n_threads << ": must be >= 1");
}

}  // namespace rnnatlas
