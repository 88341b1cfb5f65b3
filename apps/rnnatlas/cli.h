// Shared pieces of the `rnnatlas` command-line program.
//
// Each subcommand lives in its own <name>_command.cc and registers itself with
// add_<name>_command(). Exit codes: 0 success; 2 usage errors (bad flags, bad values, bad config
// files); 1 failures (unreadable or unwritable files, a diverged training run). Every error printed
// to stderr begins with "rnnatlas: error: ". Results go to stdout; progress and notes go to stderr.
// The library never writes to the terminal: this program owns it.
#pragma once

#include <cstdio>
#include <exception>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rnnatlas/error.h"
#include "rnnatlas/format.h"

namespace CLI {
class App;
class Option;
class Validator;
}  // namespace CLI

namespace rnnatlas::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

/// A mistake on the command line or in a config file that the user must fix; exit code 2.
/// The message names the flag or config key, the value and what is allowed.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A subcommand: its parser, and what runs after a successful parse (returns the exit code).
/// Runners may throw UsageError, rnnatlas::InvalidArgument (exit 2) or rnnatlas::IoError (exit 1).
struct Command {
  CLI::App* app = nullptr;
  std::function<int()> run;
};

Command add_train_command(CLI::App& parent);
Command add_eval_command(CLI::App& parent);
Command add_info_command(CLI::App& parent);
Command add_sweep_command(CLI::App& parent);
Command add_summary_command(CLI::App& parent);
Command add_reproduce_command(CLI::App& parent);
Command add_dynamics_command(CLI::App& parent);
Command add_compare_command(CLI::App& parent);
/// The option path of `key` in a study's [compare.<metric>] table: a key of the metric's own
/// options is inside them ("k" in [compare.svcca] is svcca.k, "rank_tolerance" in
/// [compare.pwcca] is cca.rank_tolerance); any other key is a path of CompareOptions as written
/// ("activity.n_trials").
std::string compare_key_path(const std::string& metric, const std::string& key);
Command add_embed_command(CLI::App& parent);

/// Prints "rnnatlas: error: <message>" on stderr.
void print_error(std::string_view message);
/// Prints "rnnatlas: <message>" on stderr (notes that are not errors).
void print_note(std::string_view message);

/// Makes `alias`, an option under an old spelling (--clip) that sets the same value as `current`
/// (--gradient-clip-norm), a deprecated one: listed in the "Deprecated" group of --help, and a
/// warning on stderr when used. Old spellings are kept for one release (docs/options.md lists
/// them).
CLI::Option* deprecated_alias(CLI::Option* alias, const std::string& current);

/// The thread count of a command: "-j,--n-threads N" (the n_threads of the Python functions),
/// >= 0 (0 = all cores), its default shown, and the old spelling --threads as a deprecated alias.
struct ThreadsFlag {
  CLI::Option* flag = nullptr;
  CLI::Option* old = nullptr;
  /// Either spelling was given on the command line.
  bool given() const;
};
ThreadsFlag add_threads_flag(CLI::App& cmd, int& n_threads, const std::string& help);
/// Prints "rnnatlas: warning: ..." when sweep directory `dir` is being trained or was stopped
/// before the end (population_snapshot_note()): the command then sees a snapshot. Nothing when
/// DIR has no manifest (the stage reports that); IoError for a manifest that cannot be read.
void warn_if_snapshot(const std::string& dir);

/// printf into a std::string.
std::string strprintf(const char* format, ...) __attribute__((format(printf, 1, 2)));

/// A CLI11 validator for seed flags: "" for a plain integer in [0, 2^64 - 1], else the complaint.
/// (CLI11 alone would read "-1" as 2^64 - 1 and clamp larger values.)
std::string seed_error(const std::string& text);

/// The metrics line printed by `train` and `eval`: "mse 1.234e-03  normalized mse ...".
/// NaN metrics (sign accuracy of a task without sign targets) are left out.
std::string format_metrics(double mse, double normalized_mse, double sign_accuracy);

/// A CLI11 check that an integer flag is >= `min`. Its complaint reads "must be >= 1, got 0"
/// (CLI11's own range checks print the limits as "0.000000 to 1797693...").
CLI::Validator at_least(long long min);

/// A CLI11 check that a number flag lies in [lo, hi]: "must be in [0, 1], got 2".
CLI::Validator in_range(double lo, double hi);

/// "1 thread", "2 threads": `n` and the noun, plural unless n is 1.
std::string count_of(long long n, std::string_view noun);

/// Seconds as "12s", "3m05s" or "2h07m".
std::string format_duration(double seconds);

/// Whether an MPI launcher (mpirun, mpiexec, srun) started this process, from the environment
/// it sets: Open MPI's OMPI_COMM_WORLD_SIZE, PMI_SIZE (MPICH, Slurm's PMI2), PMIX_RANK (PMIx,
/// e.g. srun --mpi=pmix). `size` gets the number of processes, or 0 when the launcher does not
/// say.
bool started_by_mpi_launcher(int& size);

/// Whether a command that can spread its work over MPI ranks (`sweep`, `compare`) should: when
/// its --mpi flag is given (`mpi_flag`) or an MPI launcher started it. In a build without MPI
/// both throw UsageError naming the fix (one process started by a launcher runs as usual).
bool use_mpi_ranks(bool mpi_flag);

/// The worker threads of a command given `-j N`: N when N > 0, otherwise one per core.
int thread_count(int n_threads_flag);

/// The worker threads of each MPI rank: one unless -j was given (`given`), since one rank per core
/// is mpirun's default; with -j, thread_count(n_threads_flag).
int threads_per_rank(bool given, int n_threads_flag);

/// Checks, before any work, that the file `path` can be written (check_file_writable()); throws
/// UsageError "<label>: <the problem and the fix>". `label` names where the path came from, e.g.
/// "--out".
void check_output_file(const std::string& label, const std::string& path);

/// The same for files inside the directory `dir`, which may not exist yet
/// (check_directory_writable()).
void check_output_directory(const std::string& label, const std::string& dir);

/// The flag that sets each option, keyed by the option's path (rnnatlas::InvalidArgument::field(),
/// e.g. "svcca.k" -> "--k").
using FlagNames = std::map<std::string, std::string, std::less<>>;

/// Throws `error` as a UsageError that names the flag the user typed ("--k = 9: must be <= 8 ...")
/// when `flags` has its field; otherwise rethrows it unchanged.
[[noreturn]] void rethrow_naming_flag(const InvalidArgument& error, const FlagNames& flags);

/// Runs `stage` (a library call taking options set by flags), with its errors about options
/// naming their flags (rethrow_naming_flag()).
template <typename Stage>
decltype(auto) naming_flags(const FlagNames& flags, Stage&& stage) {
  try {
    return std::forward<Stage>(stage)();
  } catch (const InvalidArgument& e) {
    rethrow_naming_flag(e, flags);
  }
}

/// The exit status run_cli() gives the exception `error` (UsageError and InvalidArgument 2,
/// IoError and anything else 1), printing its message when `print`. run_cli() reports every
/// command's error with it; a command running under MPI calls it itself, since it must report
/// before MPI_Finalize and on rank 0 only.
int exit_code_of(const std::exception_ptr& error, bool print);

}  // namespace rnnatlas::cli
