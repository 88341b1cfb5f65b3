// A population of networks described by a TOML sweep config.
//
// A sweep config names a task, a grid of model and training settings, the seeds, the held-out
// evaluation and the keep rule (docs/sweep.md has a complete example):
//
//   seed = 0                      # optional root of every derived seed (default 0)
//   [task]
//   name = "flip_flop"            # then any task parameter, e.g. n_time = 50
//   [grid]                        # every key a list; a scalar is a one-element list
//   cell = ["vanilla", "ugrnn", "gru", "lstm"]
//   activation = ["tanh", "relu"]
//   n_hidden = [32, 64]
//   l2 = [0.0, 1e-4]              # any field of TrainOptions listed by sweep_grid_keys()
//   seeds = 3                     # seeds 0, 1, 2; or a list of distinct seeds, e.g. [3, 7]
//   [evaluation]
//   n_eval_batch = 256
//   eval_seed = 20190719
//   [keep]
//   max_normalized_mse = 0.01
//
// Expansion order (stable, independent of the order of keys in the file): the grid keys in the
// order of sweep_grid_keys(), the first varying slowest, then the seeds, fastest. Network `index`
// therefore has grid point index / n_seeds and seed seeds[index % n_seeds].
//
// Seeds: a network's init seed and training-trial seed are functions of (config seed, the full
// list of its grid values, its seed value) only, never of its index, the other grid values, the
// thread count or the schedule; adding a value to an axis leaves every existing network unchanged.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "rnnatlas/models/network.h"
#include "rnnatlas/tasks/task.h"
#include "rnnatlas/training/train.h"

namespace rnnatlas {

/// One axis of the grid: a model or training field and its values.
struct SweepAxis {
  std::string key;  ///< one of sweep_grid_keys()
  /// The values, in the order written. cell and activation hold the enum's integer value
  /// (static_cast<double>(CellKind::kGru)); the others hold the number itself.
  std::vector<double> values;
  bool given = false;  ///< written in [grid]; otherwise the library default alone
  int line = 0;        ///< line of the key in the config; 0 when not given
};

/// One network of a sweep: everything needed to train it, derived from the config alone.
struct SweepNetwork {
  int index = 0;                ///< position in the expansion order, in [0, n_networks)
  int grid_index = 0;           ///< its grid point, index / n_seeds
  std::uint64_t seed = 0;       ///< its value of [grid] seeds
  std::string id;               ///< "0007-gru-tanh-h64-l2_1e-4-s3": file stem and manifest key
  Architecture architecture;    ///< n_input and n_output are the task's
  std::uint64_t init_seed = 0;  ///< seed of the parameter initialisation
  TrainOptions train_options;   ///< seed = the training-trial seed; evaluation from the config
};

/// A parsed, validated sweep config.
struct SweepSpec {
  std::string task_name;   ///< canonical name
  TaskParams task_params;  ///< every parameter of the task, defaults included
  int n_input = 1;         ///< the task's, for the architectures
  int n_output = 1;
  std::uint64_t seed = 0;                  ///< top-level `seed`: root of every derived seed
  std::vector<SweepAxis> axes;             ///< one per sweep_grid_keys() entry, in that order
  std::vector<std::uint64_t> seeds = {0};  ///< [grid] seeds, distinct
  int n_eval_batch = TrainOptions{}.n_eval_batch;      ///< [evaluation], >= 1
  std::uint64_t eval_seed = TrainOptions{}.eval_seed;  ///< [evaluation]
  double max_normalized_mse = 0.01;  ///< [keep]: kept iff completed and nmse < this, > 0

  int n_grid_points() const;  ///< product of the axis sizes
  int n_networks() const;     ///< n_grid_points() * seeds.size()
  /// Network `index` (0 <= index < n_networks()). Throws InvalidArgument for an index out of range.
  SweepNetwork network(int index) const;
  /// A canonical text of everything that determines the networks and their judgement (comments,
  /// key order and number spelling in the file do not matter). Two configs with the same text
  /// describe the same population.
  std::string canonical_text() const;
  /// 64-bit FNV-1a hash of canonical_text(), as 16 hex digits.
  std::string hash() const;
};

/// The keys allowed in [grid] besides `seeds`, in expansion order: cell, activation, n_hidden,
/// then fields of TrainOptions.
const std::vector<std::string>& sweep_grid_keys();

/// Parses a sweep config. `source_name` (a path) prefixes every message. Throws InvalidArgument
/// for a syntax error, an unknown key, a wrong type, an empty or duplicated list or an impossible
/// value; the message reads "<source_name>:<line>: [table] key ...: what is wrong and what is
/// allowed".
SweepSpec parse_sweep_config(const std::string& text, const std::string& source_name);

/// Reads and parses a sweep config file; throws IoError when it cannot be read.
SweepSpec read_sweep_config(const std::string& path);

/// The value of grid key `key` in a network's settings, as a double (cell and activation as the
/// numbers of their enumerators).
double grid_value(std::string_view key,
                  const Architecture& architecture,
                  const TrainOptions& options);

/// The value `value` of grid key `key` as text: "gru", "64", "1e-4", "0.001".
std::string format_grid_value(const std::string& key, double value);

/// How `grown` fails to extend `base`, or "" when it does. `grown` extends `base` when everything
/// but the grid is the same (task and its parameters, `seed`, [evaluation], [keep]) and every
/// value of every [grid] axis and of `seeds` in `base` is also in `grown`: then every network of
/// `base` is a network of `grown`, with the same settings and seeds. The text names each
/// offending key: "[grid] learning_rate: 0.001 is not in this config (it has 0.002)".
std::string extension_mismatch(const SweepSpec& base, const SweepSpec& grown);

/// The networks of a study that grew through `generations` (each extending the one before it,
/// the last the current config), in the order they were added: the networks of the first in its
/// expansion order, then those each later one adds, in its expansion order. A network keeps the
/// id it was given when it was added: the position in this list, then its name in the
/// generation that added it (so ids never change as the study grows). Every other field is the
/// last generation's network(), with `index` the position in this list. With one generation this
/// is network(0 .. n_networks() - 1). Throws InvalidArgument when a generation does not extend
/// the one before (the message is extension_mismatch()'s) or `generations` is empty.
std::vector<SweepNetwork> grown_networks(const std::vector<SweepSpec>& generations);

}  // namespace rnnatlas
