// Trial generators for the tasks of the study (see docs/study.md section 2).
//
// A Task is immutable after construction: sample() is const and thread-safe. Trial b of
// sample(n_batch, seed) is drawn from the random stream keyed by (seed, b) alone, so the same
// seed gives the same trials for any n_batch prefix and any thread count.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "rnnatlas/tasks/trial_batch.h"

namespace rnnatlas {

namespace internal {
class Rng;
}

/// Named numeric task parameters, as read from TOML, CLI flags, Python kwargs or an HDF5 file.
/// Integer parameters (n_time, n_bits, ...) are stored as doubles and must be whole numbers.
using TaskParams = std::map<std::string, double>;

class Task {
 public:
  virtual ~Task() = default;

  /// Canonical name: "flip_flop", "sine_wave" or "context_integration".
  virtual std::string_view name() const = 0;
  virtual int n_input() const = 0;
  virtual int n_output() const = 0;
  virtual int n_time() const = 0;

  /// Every parameter of this task with its value (defaults included); make_task(name(), params())
  /// rebuilds an identical task.
  virtual TaskParams params() const = 0;

  /// `n_batch` (>= 1) trials of stream `seed`. Trials are generated on `n_threads` (>= 1) threads;
  /// the result does not depend on n_threads.
  TrialBatch sample(int n_batch, std::uint64_t seed, int n_threads = 1) const;
  /// The same, into `batch`, reusing its storage when the sizes match (a training loop allocates
  /// nothing after its first iteration).
  void sample_into(TrialBatch& batch, int n_batch, std::uint64_t seed, int n_threads = 1) const;

  /// True when the targets are signs (+1/-1) and sign accuracy is a meaningful metric.
  virtual bool has_sign_targets() const { return false; }

 protected:
  /// Writes trial `b` of `batch` (already sized, zero-filled, mask all ones) using `rng`.
  virtual void generate_trial(internal::Rng& rng, int b, TrialBatch& batch) const = 0;
};

/// Builds a task by name ("flip_flop" alias "flipflop"; "sine_wave" alias "sine";
/// "context_integration" alias "cdi"). Unknown names, unknown parameter keys, non-integer values
/// for integer parameters and out-of-range values throw InvalidArgument naming the key, the value
/// and what is allowed.
std::unique_ptr<Task> make_task(std::string_view name, const TaskParams& params = {});

/// The canonical task names, for help texts.
std::vector<std::string> task_names();

}  // namespace rnnatlas
