// Calling a Runner exactly once per process (internal).
//
// A runner spread over processes (MpiRunner) needs every process to make one call of it:
// run_with_records(), or abandon() when the process fails before it can. distance_matrix() and
// compare_population() may return early (nothing to compute) or fail (a network file that cannot be
// read) before they reach the runner; with_runner() makes that call for them.
#pragma once

#include <exception>
#include <optional>
#include <string>
#include <vector>

#include "rnnatlas/runner.h"

namespace rnnatlas::internal {

/// A Runner that forwards to another and remembers whether it was called.
class TrackedRunner final : public Runner {
 public:
  explicit TrackedRunner(Runner& inner) : inner_(inner) {}

  void run(const std::vector<int>& items,
           const std::function<void(int)>& work,
           const std::function<void(int)>& done) override {
    used_ = true;
    inner_.run(items, work, done);
  }
  void run_with_records(const std::vector<int>& items,
                        const RecordWork& work,
                        const RecordDone& done) override {
    used_ = true;
    inner_.run_with_records(items, work, done);
  }
  int n_workers() const override { return inner_.n_workers(); }
  bool is_coordinator() const override { return inner_.is_coordinator(); }
  void abandon(const std::exception_ptr& error) override {
    used_ = true;
    inner_.abandon(error);
  }
  bool used() const { return used_; }

 private:
  Runner& inner_;
  bool used_ = false;
};

/// Returns body(r), where r is `runner` tracked (or null when `runner` is null). When body()
/// returns without calling r, an empty run releases the runner's other processes; when it throws
/// without calling r, r.abandon(error) passes the error to them, and the error is rethrown.
template <typename Body>
auto with_runner(Runner* runner, const Body& body) -> decltype(body(runner)) {
  if (runner == nullptr) return body(nullptr);
  TrackedRunner tracked(*runner);
  std::optional<decltype(body(runner))> result;
  try {
    result.emplace(body(&tracked));
  } catch (...) {
    if (!tracked.used()) runner->abandon(std::current_exception());
    throw;
  }
  if (!tracked.used()) {  // may throw the error of another process
    runner->run_with_records(
        {}, [](int) { return std::string(); }, [](int, const std::string&) {});
  }
  return std::move(*result);
}

}  // namespace rnnatlas::internal
