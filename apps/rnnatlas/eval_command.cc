// `rnnatlas eval`: evaluate a saved network on fresh held-out trials of its task.

#include <CLI/CLI.hpp>
#include <algorithm>
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
  bool show_trial = false;
};

// Prints trial 0 of `batch` with the network's outputs, so a person can see what it learned.
// Sign tasks (flip-flop) get one strip per channel: input pulses, target and output signs over
// time. Other tasks get a table of inputs, targets and outputs at up to 25 evenly spaced steps.
void print_trial(const Network& network, const Task& task, const TrialBatch& batch) {
  const Network::Trajectory run = network.run(batch.inputs, batch.n_batch);
  const int T = batch.n_time, b = 0;
  std::cout << "\nexample trial (trial 0 of the held-out batch, " << T << " steps):\n";
  if (task.has_sign_targets()) {
    auto sign = [](double v, double dead) { return v > dead ? '+' : (v < -dead ? '-' : '.'); };
    for (int j = 0; j < batch.n_output(); ++j) {
      std::string in, target, out;
      for (int t = 0; t < T; ++t) {
        const Eigen::Index c = batch.column(t, b);
        in += sign(batch.inputs(j, c), 0.5);
        target += sign(batch.targets(j, c), 0.0);
        out += sign(run.outputs(j, c), 0.5);
      }
      std::cout << "  channel " << j << "  input  " << in << '\n'
                << "             target " << target << '\n'
                << "             output " << out << "   (+: y > 0.5, -: y < -0.5)\n";
    }
    return;
  }
  const int n_rows = std::min(T, 25);
  std::cout << "      t";
  for (int i = 0; i < batch.n_input(); ++i) std::cout << strprintf("    in%-2d", i);
  for (int j = 0; j < batch.n_output(); ++j)
    std::cout << strprintf("  target%-2d  output%-2d", j, j);
  std::cout << '\n';
  for (int r = 0; r < n_rows; ++r) {
    const int t =
        n_rows == 1 ? 0 : static_cast<int>(std::lround(double(r) * (T - 1) / (n_rows - 1)));
    const Eigen::Index c = batch.column(t, b);
    std::cout << strprintf("%7d", t);
    for (int i = 0; i < batch.n_input(); ++i) std::cout << strprintf("  %6.3f", batch.inputs(i, c));
    for (int j = 0; j < batch.n_output(); ++j)
      std::cout << strprintf("  %8.4f  %8.4f", batch.targets(j, c), run.outputs(j, c));
    std::cout << '\n';
  }
}

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
            << "mse            " << format_shortest(m.mse) << '\n'
            << "normalized_mse " << format_shortest(m.normalized_mse) << '\n';
  if (!std::isnan(m.sign_accuracy)) {
    std::cout << "sign_accuracy  " << format_shortest(m.sign_accuracy) << '\n';
  }
  if (args.show_trial) print_trial(record.network, *task, task->sample(n_batch, seed));
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
  // The names of the stored options these override (training.n_eval_batch, training.eval_seed).
  CLI::Option* n_eval_batch =
      cmd->add_option("--n-eval-batch", args->n_batch,
                      "held-out trials [default: the file's training.n_eval_batch]")
          ->check(at_least(1))
          ->type_name("INT");
  deprecated_alias(cmd->add_option("--n-batch", args->n_batch)->check(at_least(1)),
                   n_eval_batch->get_name());
  CLI::Option* eval_seed =
      cmd->add_option("--eval-seed", args->seed,
                      "seed of the held-out trials [default: the file's training.eval_seed]")
          ->check(CLI::Validator(seed_error, ""))
          ->type_name("UINT");
  deprecated_alias(cmd->add_option("--seed", args->seed)->check(CLI::Validator(seed_error, "")),
                   eval_seed->get_name());
  cmd->add_flag("--show-trial", args->show_trial,
                "also print one held-out trial: inputs, targets and the network's outputs");
  cmd->footer(
      "With the defaults, the metrics reproduce the held-out metrics stored in the file.\n"
      "Exit status: 0 ok; 1 the file is missing, unreadable or not a network file; 2 bad flags.");
  return {cmd, [args] { return run_eval(*args); }};
}

}  // namespace rnnatlas::cli
