#include "rnnatlas/tasks/task.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <exception>
#include <limits>
#include <thread>

#include "common/parallel.h"
#include "common/random.h"
#include "rnnatlas/error.h"
#include "rnnatlas/format.h"
#include "rnnatlas/tasks/tasks.h"
#include "tasks/task_params.h"

namespace rnnatlas {

TrialBatch Task::sample(int n_batch, std::uint64_t seed, int n_threads) const {
  TrialBatch batch;
  sample_into(batch, n_batch, seed, n_threads);
  return batch;
}

void Task::sample_into(TrialBatch& batch, int n_batch, std::uint64_t seed, int n_threads) const {
  RNNATLAS_CHECK_ARG(n_batch >= 1, "sample: n_batch = " << n_batch << ": must be >= 1");
  RNNATLAS_CHECK_ARG(n_threads >= 1, "sample: n_threads = " << n_threads << ": must be >= 1");

  batch.n_batch = n_batch;
  batch.n_time = n_time();
  const Eigen::Index n_columns = static_cast<Eigen::Index>(n_time()) * n_batch;
  batch.inputs.setZero(n_input(), n_columns);
  batch.targets.setZero(n_output(), n_columns);
  batch.mask.setOnes(n_output(), n_columns);

  // Trial b draws only from stream (seed, b) and writes only its own columns, so any split of the
  // trials over threads gives the same batch.
  internal::parallel_ranges(n_batch, n_threads, [&](int begin, int end, int) {
    for (int b = begin; b < end; ++b) {
      internal::Rng rng(seed, static_cast<std::uint64_t>(b));
      generate_trial(rng, b, batch);
    }
  });
}

std::unique_ptr<Task> make_task(std::string_view name, const TaskParams& params) {
  std::string key(name);
  std::transform(key.begin(), key.end(), key.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (key == "flip_flop" || key == "flipflop") {
    return make_flip_flop(internal::flip_flop_options(params));
  }
  if (key == "sine_wave" || key == "sine") {
    return make_sine_wave(internal::sine_wave_options(params));
  }
  if (key == "context_integration" || key == "cdi") {
    return make_context_integration(internal::context_integration_options(params));
  }
  RNNATLAS_CHECK_ARG(false, "unknown task '" << name
                                             << "'; allowed: flip_flop (alias flipflop), sine_wave "
                                                "(alias sine), context_integration (alias cdi)");
}

std::vector<std::string> task_names() { return {"flip_flop", "sine_wave", "context_integration"}; }

namespace internal {

void check_known_keys(std::string_view task,
                      const TaskParams& params,
                      const std::vector<std::string_view>& allowed) {
  for (const auto& [key, value] : params) {
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    std::string list;
    for (const auto allowed_key : allowed) {
      if (!list.empty()) list += ", ";
      list += allowed_key;
    }
    RNNATLAS_CHECK_ARG(
        false, "unknown parameter '" << key << "' for task " << task << "; allowed: " << list);
  }
}

namespace {

/// Throws InvalidArgument about the parameter `key` of task `task` unless `ok`.
void check_parameter(
    bool ok, std::string_view task, std::string_view key, double value, const std::string& rule) {
  if (ok) return;
  throw InvalidArgument(std::string(key), format_shortest(value),
                        rule + " (a parameter of task " + std::string(task) + ")");
}

}  // namespace

void set_field(std::string_view task, std::string_view key, double value, int& field) {
  check_parameter(std::isfinite(value) && value == std::trunc(value), task, key, value,
                  "a whole number");
  check_parameter(
      value >= std::numeric_limits<int>::min() && value <= std::numeric_limits<int>::max(), task,
      key, value, "at most " + std::to_string(std::numeric_limits<int>::max()) + " in magnitude");
  field = static_cast<int>(value);
}

void set_field(std::string_view task, std::string_view key, double value, double& field) {
  check_parameter(std::isfinite(value), task, key, value, "finite");
  field = value;
}

void set_field(std::string_view task, std::string_view key, double value, bool& field) {
  check_parameter(value == 0.0 || value == 1.0, task, key, value, "0 (false) or 1 (true)");
  field = value == 1.0;
}

}  // namespace internal
}  // namespace rnnatlas
