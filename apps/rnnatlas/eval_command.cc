// `rnnatlas eval`: evaluate a saved network on fresh held-out trials of its task.

#include <CLI/CLI.hpp>
#include <cmath>
#include <iostream>
#include <limits>
#include <memory>
#include <optional>

#include "cli.h"
#include "rnnatlas/error.h"
#include "rnnatlas/io/network_file.h"
#include "rnnatlas/training/train.h"

namespace rnnatlas::cli {
namespace {

struct EvalArgs {
  std::string file;
  std::optional<int> n_batch;
  std::optional<std::uint64_t> seed;
};

int run_eval(const EvalArgs& args) {
  const NetworkRecord record = load_network_file(args.file);
  if (record.task_name.empty()) {
    throw IoError(args.file +
                  ": the network was never trained (no task is stored), so there is "
                  "nothing to evaluate it on");
  }
  std::unique_ptr<Task> task;
  try {
    task = make_task(record.task_name, record.task_params);
  } catch (const InvalidArgument& e) {
    throw IoError(args.file + ": the stored task cannot be rebuilt: " + e.what());
  }
  // Defaults reproduce the held-out evaluation done at the end of training.
  const int n_batch = args.n_batch.value_or(record.train_options.n_eval_batch);
  const std::uint64_t seed = args.seed.value_or(record.train_options.eval_seed);
  const EvalMetrics m = evaluate(record.network, *task, n_batch, seed);

  // One "key value" pair per line, values exact (they read back bit for bit), for scripts.
  std::cout << "file           " << args.file << '\n'
            << "task           " << record.task_name << '\n'
            << "n_trials       " << m.n_trials << '\n'
            << "seed           " << seed << '\n'
            << "mse            " << format_exact(m.mse) << '\n'
            << "normalized_mse " << format_exact(m.normalized_mse) << '\n';
  if (!std::isnan(m.sign_accuracy)) {
    std::cout << "sign_accuracy  " << format_exact(m.sign_accuracy) << '\n';
  }
  return kExitOk;
}

}  // namespace

Command add_eval_command(CLI::App& parent) {
  CLI::App* cmd =
      parent.add_subcommand("eval", "Evaluate a saved network on fresh trials of its task");
  auto args = std::make_shared<EvalArgs>();
  cmd->add_option("file", args->file, "network file written by `rnnatlas train`")
      ->required()
      ->type_name("FILE");
  cmd->add_option("--n-batch", args->n_batch,
                  "held-out trials [default: the file's training.n_eval_batch]")
      ->check(CLI::Range(1, std::numeric_limits<int>::max()).description(""))
      ->type_name("INT");
  cmd->add_option("--seed", args->seed,
                  "seed of the held-out trials [default: the file's training.eval_seed]")
      ->check(CLI::Validator(seed_error, ""))
      ->type_name("UINT");
  cmd->footer(
      "With the defaults, the metrics reproduce the held-out metrics stored in the file.\n"
      "Exit status: 0 ok; 1 the file is missing, unreadable or not a network file; 2 bad flags.");
  return {cmd, [args] { return run_eval(*args); }};
}

}  // namespace rnnatlas::cli
