// The settings of `rnnatlas train`: library defaults, overridden by a TOML config file (--config),
// overridden by flags.
//
// Flags and TOML keys use the library's field names: TOML keys are the names with underscores,
// grouped as
//   out = "run.h5"
//   [task]      name = "flip_flop", then task parameters, e.g. n_time = 50
//   [model]     cell, activation, n_hidden, seed            (seed: the weights' initialisation)
//   [training]  the settable fields of TrainOptions::schema() (n_iterations, learning_rate, ...)
// and flags are the same names with dashes (--n-hidden, --n-iterations, ...), but for
// --train-seed ([training] seed; --seed is [model] seed) and --task-param KEY=VALUE (a task
// parameter). The old spellings --iterations and --clip still work, with a deprecation warning.
// Everything is validated by the library (make_task, Architecture::validate,
// TrainOptions::validate); its InvalidArgument messages come back prefixed by the flag or the
// file:line of the config key that set the offending value.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "rnnatlas/models/network.h"
#include "rnnatlas/tasks/task.h"
#include "rnnatlas/training/train.h"

namespace CLI {
class App;
class Option;
}  // namespace CLI

namespace rnnatlas::cli {

struct TrainValues;

/// A validated training run, ready for train().
struct TrainPlan {
  std::unique_ptr<Task> task;
  Architecture architecture;  ///< n_input and n_output come from the task
  std::uint64_t init_seed = 0;
  TrainOptions options;  ///< `progress` is left unset
  std::string out;       ///< the network file to write
  bool quiet = false;    ///< no progress output
  bool resume = false;   ///< continue from the checkpoint beside `out`, when there is one
};

/// The flags of `train` and their merge with the config file.
class TrainSettings {
 public:
  /// Declares every flag on `cmd`; help texts show the library's defaults. `cmd` must outlive this.
  explicit TrainSettings(CLI::App& cmd);
  ~TrainSettings();
  TrainSettings(const TrainSettings&) = delete;
  TrainSettings& operator=(const TrainSettings&) = delete;

  /// After parsing: reads --config (when given), applies the flags given over it, and validates
  /// everything through the library. Throws UsageError naming the flag, or the config file:line
  /// and key, of the value to fix.
  TrainPlan resolve() const;

 private:
  std::unique_ptr<TrainValues> flag_values_;  // bound to the CLI11 options
  std::vector<CLI::Option*> options_;         // one per entry of the settings table
  std::vector<CLI::Option*> aliases_;         // its deprecated spelling, or nullptr
  std::vector<std::string> task_param_flags_;
  std::string config_path_;
  bool quiet_ = false;
  bool resume_ = false;
  int checkpoint_every_ = 100;
};

/// What `train --config <source_name>` with no other flags resolves `text` to: parses the TOML,
/// applies it over the library's defaults and validates everything. Throws UsageError naming
/// "<source_name>:<line>" and the key of the value to fix. For tests and the fuzzer (fuzz/).
TrainPlan parse_train_config(std::string_view text, const std::string& source_name);

}  // namespace rnnatlas::cli
