// `rnnatlas train`: train one network and save it as a network file.

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <memory>
#include <utility>

#include "cli.h"
#include "rnnatlas/error.h"
#include "rnnatlas/io/network_file.h"
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
    if (p.iteration <= 0 || p.seconds <= 0) return NAN;
    return p.seconds / p.iteration * (p.n_iterations - p.iteration);
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
    const double rate = p.seconds > 0 ? p.iteration / p.seconds : 0.0;
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

/// Checks before training that the output's directory exists, so a long run never ends in an
/// unwritable path. Throws IoError.
void check_output_directory(const std::string& out) {
  namespace fs = std::filesystem;
  const fs::path path(out);
  const fs::path directory = path.has_parent_path() ? path.parent_path() : fs::path(".");
  std::error_code error;
  if (!fs::is_directory(directory, error)) {
    throw IoError("cannot write " + out + ": directory " + directory.string() + " does not exist");
  }
  if (fs::is_directory(path, error)) throw IoError("cannot write " + out + ": it is a directory");
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
      "Names that differ from the flags: [training] n_iterations (--iterations),\n"
      "gradient_clip_norm (--clip), seed (--train-seed); [model] seed is --seed.\n"
      "\n"
      "Exit status: 0 trained and saved; 1 failed or diverged (the file is still saved);\n"
      "2 invalid flags or config.";
  return text;
}

int run_train(const TrainSettings& settings) {
  TrainPlan plan = settings.resolve();
  check_output_directory(plan.out);

  Network network(plan.architecture, plan.init_seed);
  const Architecture& a = plan.architecture;
  const TrainOptions& o = plan.options;
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
  // Every iteration, quiet or not, so that --quiet does not change the stored options; the printer
  // throttles itself.
  plan.options.progress_every = 1;

  const TrainSummary summary = train(plan.options, *plan.task, network);
  printer.finish();
  plan.options.progress = nullptr;

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

  if (summary.termination == Termination::kDiverged) {
    const double clip = plan.options.gradient_clip_norm;
    const std::string& why = summary.message;
    print_error(
        strprintf("training diverged: %s%s%s was saved anyway, with outcome 'diverged'. "
                  "Try a lower --learning-rate (it was %g)%s.",
                  why.c_str(), !why.empty() && why.back() == '.' ? " " : ". ", plan.out.c_str(),
                  plan.options.learning_rate,
                  clip > 0 ? strprintf(" or a smaller --clip (it was %g)", clip).c_str()
                           : ", or gradient clipping with --clip (it was off)"));
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
