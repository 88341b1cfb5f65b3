// `rnnatlas train`: train one network and save it as a network file.

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <utility>

#include "cli.h"
#include "rnnatlas/error.h"
#include "rnnatlas/io/network_file.h"
#include "rnnatlas/io/train_checkpoint.h"
#include "rnnatlas/training/train.h"
#include "train_config.h"

namespace rnnatlas::cli {
namespace {

/// Draws training progress on stderr: on a terminal, one line redrawn in place at most ten times a
/// second; otherwise (a log file, a pipe) a plain line at about every 5% of the iterations.
class ProgressPrinter {
 public:
  explicit ProgressPrinter(bool terminal) : terminal_(terminal) {}

  void operator()(const TrainProgress& p) {
    if (terminal_) {
      draw_bar(p);
    } else {
      print_line(p);
    }
  }

  /// Ends the progress line on a terminal.
  void finish() {
    if (terminal_ && drawn_) std::cerr << '\n' << std::flush;
  }

 private:
  using Clock = std::chrono::steady_clock;

  static double eta_seconds(const TrainProgress& p) {
    const int done_here = p.iteration - p.first_iteration;  // a resumed run's earlier ones excluded
    if (done_here <= 0 || p.seconds <= 0) return NAN;
    return p.seconds / done_here * (p.n_iterations - p.iteration);
  }

  void draw_bar(const TrainProgress& p) {
    const Clock::time_point now = Clock::now();
    const bool last = p.iteration >= p.n_iterations;
    if (drawn_ && !last && now - last_draw_ < std::chrono::milliseconds(100)) return;
    last_draw_ = now;
    drawn_ = true;
    constexpr int kWidth = 24;
    const double fraction =
        p.n_iterations > 0 ? static_cast<double>(p.iteration) / p.n_iterations : 1;
    const int filled = static_cast<int>(fraction * kWidth);
    const std::string bar = std::string(filled, '#') + std::string(kWidth - filled, '.');
    const double rate = p.seconds > 0 ? (p.iteration - p.first_iteration) / p.seconds : 0.0;
    // \r returns to the start of the line, \x1b[K clears what a longer previous line left.
    std::cerr << strprintf("\r[%s] %*d/%d %3.0f%%  loss %.3e  %.1f it/s  ETA %s\x1b[K", bar.c_str(),
                           static_cast<int>(std::to_string(p.n_iterations).size()), p.iteration,
                           p.n_iterations, 100.0 * fraction, p.loss, rate,
                           format_duration(eta_seconds(p)).c_str())
              << std::flush;
  }

  void print_line(const TrainProgress& p) {
    const int step = std::max(1, (p.n_iterations + 19) / 20);  // at most ~20 lines
    if (p.iteration < next_ && p.iteration < p.n_iterations) return;
    next_ = (p.iteration / step + 1) * step;
    std::cerr << strprintf("iter %d/%d loss %.4g lr %.1e eta %s\n", p.iteration, p.n_iterations,
                           p.loss, p.learning_rate, format_duration(eta_seconds(p)).c_str())
              << std::flush;
  }

  bool terminal_;
  bool drawn_ = false;
  Clock::time_point last_draw_;
  int next_ = 0;
};

/// Set by the handler of SIGINT and SIGTERM; training reads it before every iteration.
std::atomic<bool> g_stop_requested{false};
volatile std::sig_atomic_t g_stop_signal = 0;
static_assert(std::atomic<bool>::is_always_lock_free, "the stop flag is set in a signal handler");

extern "C" void request_stop(int signal) {
  g_stop_signal = signal;
  g_stop_requested.store(true, std::memory_order_relaxed);
}

/// Routes SIGINT and SIGTERM to request_stop() for its lifetime, so that training stops at the end
/// of the iteration and saves a checkpoint. A second signal ends the program at once (the handler
/// resets itself).
class StopOnSignals {
 public:
  StopOnSignals() {
    g_stop_requested = false;
    g_stop_signal = 0;
    struct sigaction action = {};
    action.sa_handler = request_stop;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESETHAND;
    ::sigaction(SIGINT, &action, &old_int_);
    ::sigaction(SIGTERM, &action, &old_term_);
  }
  ~StopOnSignals() {
    ::sigaction(SIGINT, &old_int_, nullptr);
    ::sigaction(SIGTERM, &old_term_, nullptr);
  }
  StopOnSignals(const StopOnSignals&) = delete;
  StopOnSignals& operator=(const StopOnSignals&) = delete;

 private:
  struct sigaction old_int_ = {};
  struct sigaction old_term_ = {};
};

/// The checkpoint of the run writing `out`.
std::string checkpoint_path(const std::string& out) { return out + ".checkpoint"; }

/// Checks before training that --out and its checkpoint can be written, so that a long run never
/// ends in an unwritable path. Throws UsageError naming the problem and the fix.
void check_output(const std::string& out) {
  check_output_file("--out", out);
  check_output_file("--out", checkpoint_path(out));
}

/// The checkpoint state to continue from, or nullopt to start afresh. Throws UsageError when a
/// checkpoint exists without --resume (starting over would throw it away) or belongs to a run set
/// up otherwise than `setup`.
std::optional<TrainState> state_to_resume(const TrainPlan& plan, const NetworkRecord& setup) {
  const std::string path = checkpoint_path(plan.out);
  std::error_code error;
  if (!std::filesystem::exists(path, error)) {
    if (plan.resume && !plan.quiet) {
      print_note("no checkpoint " + path + " to resume from: training from the start");
    }
    return std::nullopt;
  }
  TrainCheckpoint checkpoint = load_train_checkpoint(path);
  const int done = checkpoint.state.n_iterations_done;
  if (!plan.resume) {
    throw UsageError(strprintf(
        "%s holds an interrupted run of this output (%d of %d iterations done): add --resume to "
        "continue it, or delete the file to start over",
        path.c_str(), done, checkpoint.record.train_options.n_iterations));
  }
  const std::string difference = first_setup_difference(checkpoint.record, setup);
  if (!difference.empty()) {
    throw UsageError("--resume: " + path + " was written by a run set up differently (" +
                     difference +
                     " in the checkpoint vs now); rerun with the flags and config of that run, "
                     "or delete the checkpoint to start over");
  }
  if (!plan.quiet) {
    print_note(strprintf("resuming from %s after %d of %d iterations", path.c_str(), done,
                         plan.options.n_iterations));
  }
  return std::move(checkpoint.state);
}

std::string describe_task(const Task& task) {
  std::vector<std::string> params;
  for (const auto& [key, value] : task.params())
    params.push_back(key + "=" + format_shortest(value));
  return std::string(task.name()) + " (" + join(params, " ") + ")";
}

std::string train_footer() {
  std::string text = "Task parameters (--task-param KEY=VALUE, or keys in [task]) and defaults:\n";
  for (const std::string& name : task_names()) {
    const std::unique_ptr<Task> task = make_task(name);
    std::vector<std::string> params;
    for (const auto& [key, value] : task->params()) {
      params.push_back(key + "=" + format_shortest(value));
    }
    text += "  " + name + ": " + join(params, " ") + "\n";
  }
  text +=
      "\n"
      "Config file (--config run.toml); flags given on the command line override it:\n"
      "  out = \"run.h5\"\n"
      "  [task]\n"
      "  name = \"flip_flop\"\n"
      "  n_time = 50           # any task parameter\n"
      "  [model]\n"
      "  cell = \"gru\"          # also activation, n_hidden, seed\n"
      "  [training]\n"
      "  n_iterations = 2000   # any flag of the Training group, with _ for -\n"
      "The one name that differs from its flag: [training] seed is --train-seed, as --seed is\n"
      "[model] seed. --iterations and --clip are deprecated spellings of --n-iterations and\n"
      "--gradient-clip-norm.\n"
      "\n"
      "Checkpoints: every --checkpoint-every iterations, and on SIGINT or SIGTERM (Ctrl-C), the\n"
      "run is saved to OUT.checkpoint; the same command with --resume continues it to the\n"
      "weights an uninterrupted run gives, bit for bit. It is removed once OUT is saved.\n"
      "\n"
      "Exit status: 0 trained and saved; 1 failed or diverged (the file is still saved);\n"
      "2 invalid flags or config, an unwritable --out, or a checkpoint of another run;\n"
      "130 (SIGINT) or 143 (SIGTERM) stopped, with the checkpoint saved.";
  return text;
}

int run_train(const TrainSettings& settings) {
  TrainPlan plan = settings.resolve();
  check_output(plan.out);

  Network network(plan.architecture, plan.init_seed);
  const Architecture& a = plan.architecture;
  const TrainOptions& o = plan.options;
  // Every iteration, quiet or not, so that --quiet does not change the stored options; the printer
  // throttles itself.
  plan.options.progress_every = 1;
  const NetworkRecord setup{.network = network,
                            .init_seed = plan.init_seed,
                            .task_name = std::string(plan.task->name()),
                            .task_params = plan.task->params(),
                            .train_options = plan.options,
                            .summary = {},
                            .library_version = {}};
  const std::optional<TrainState> resume = state_to_resume(plan, setup);

  ProgressPrinter printer(isatty(STDERR_FILENO) != 0);
  if (!plan.quiet) {
    print_note(
        strprintf("training %s/%s, n_hidden %d (%d parameters) on %s: %d iterations of %d "
                  "trials, learning rate %g",
                  std::string(to_string(a.cell)).c_str(),
                  std::string(to_string(a.activation)).c_str(), a.n_hidden, network.n_params(),
                  describe_task(*plan.task).c_str(), o.n_iterations, o.n_batch, o.learning_rate));
    plan.options.progress = [&printer](const TrainProgress& p) { printer(p); };
  }
  const std::string checkpoint = checkpoint_path(plan.out);
  plan.options.checkpoint = [&](const TrainState& state) {
    save_train_checkpoint(checkpoint, setup, state);
  };

  TrainSummary summary;
  {
    const StopOnSignals signals;
    plan.options.stop = &g_stop_requested;
    summary = train(plan.options, *plan.task, network, resume ? &*resume : nullptr);
  }
  printer.finish();
  plan.options.progress = nullptr;
  plan.options.checkpoint = nullptr;
  plan.options.stop = nullptr;

  if (summary.termination == Termination::kInterrupted) {
    const int signal = g_stop_signal;
    print_note(
        strprintf("%s after %d of %d iterations; saved %s. Rerun the same command with "
                  "--resume to continue.",
                  signal == SIGTERM ? "terminated" : "interrupted", summary.n_iterations_done,
                  plan.options.n_iterations, checkpoint.c_str()));
    return 128 + (signal != 0 ? signal : SIGINT);
  }

  std::cout << summary.brief_report() << '\n';
  std::cout << strprintf("held-out (%d trials, eval seed %llu): ", summary.eval.n_trials,
                         static_cast<unsigned long long>(plan.options.eval_seed))
            << format_metrics(summary.eval.mse, summary.eval.normalized_mse,
                              summary.eval.sign_accuracy)
            << '\n';

  NetworkRecord record{.network = std::move(network),
                       .init_seed = plan.init_seed,
                       .task_name = std::string(plan.task->name()),
                       .task_params = plan.task->params(),
                       .train_options = plan.options,
                       .summary = summary,
                       .library_version = {}};
  save_network_file(plan.out, record);
  std::cout << "saved " << plan.out << std::endl;
  // The run is complete in --out; its checkpoint is no longer needed.
  std::error_code error;
  std::filesystem::remove(checkpoint, error);

  if (summary.termination == Termination::kDiverged) {
    const double clip = plan.options.gradient_clip_norm;
    const std::string& why = summary.message;
    print_error(strprintf(
        "training diverged: %s%s%s was saved anyway, with outcome 'diverged'. "
        "Try a lower --learning-rate (it was %g)%s.",
        why.c_str(), !why.empty() && why.back() == '.' ? " " : ". ", plan.out.c_str(),
        plan.options.learning_rate,
        clip > 0 ? strprintf(" or a smaller --gradient-clip-norm (it was %g)", clip).c_str()
                 : ", or gradient clipping with --gradient-clip-norm (it was off)"));
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace

Command add_train_command(CLI::App& parent) {
  CLI::App* cmd = parent.add_subcommand("train", "Train one network on a task and save it");
  auto settings = std::make_shared<TrainSettings>(*cmd);
  cmd->footer(train_footer());
  return {cmd, [settings] { return run_train(*settings); }};
}

}  // namespace rnnatlas::cli
