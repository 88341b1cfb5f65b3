// `rnnatlas dynamics`: fixed points, linearizations, transitions and the task analysis of one
// network file or of every kept network of a sweep directory (docs/dynamics.md).

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cli.h"
#include "rnnatlas/dynamics/analysis.h"
#include "rnnatlas/error.h"
#include "rnnatlas/io/network_file.h"
#include "rnnatlas/pipeline/dynamics_file.h"
#include "rnnatlas/pipeline/population.h"
#include "schema_flags.h"

namespace rnnatlas::cli {
namespace {

namespace fs = std::filesystem;

struct DynamicsArgs {
  std::string input;
  std::string out;
  int n_threads = 0;
  bool quiet = false;
  bool no_limit_cycles = false;
  AnalysisOptions options;
  FlagNames flags;    ///< the flag of each option path
  SchemaFlag lr_min;  ///< --fixed-points.lr-min
};

std::string frequency_text(double w) { return std::isnan(w) ? "-" : strprintf("%.4f", w); }

/// The conditions table: points by stability per condition, unresolved transition runs and limit
/// cycles reached, plus task columns for the sine wave.
void print_conditions(const NetworkDynamics& d) {
  const bool sine = d.sine_wave.has_value();
  std::size_t width = 9;
  for (const ConditionDynamics& c : d.conditions) width = std::max(width, c.label.size());
  std::cout << strprintf("%-*s %6s %6s %8s %6s %8s %5s %10s %6s", static_cast<int>(width),
                         "condition", "points", "stable", "marginal", "saddle", "unstable", "slow",
                         "unresolved", "cycles");
  if (sine) std::cout << strprintf(" %8s %8s %8s", "w", "w_hat", "w_output");
  std::cout << '\n';
  for (std::size_t k = 0; k < d.conditions.size(); ++k) {
    const ConditionDynamics& c = d.conditions[k];
    const int n_slow = static_cast<int>(std::count(c.is_slow.begin(), c.is_slow.end(), true));
    std::cout << strprintf("%-*s %6d %6d %8d %6d %8d %5d %10d %6zu", static_cast<int>(width),
                           c.label.c_str(), c.n_points(), c.count(StabilityClass::kStable),
                           c.count(StabilityClass::kMarginal), c.count(StabilityClass::kSaddle),
                           c.count(StabilityClass::kUnstable), n_slow, c.n_unresolved,
                           c.limit_cycles.size());
    if (sine) {
      const SineWaveAnalysis& a = *d.sine_wave;
      std::cout << strprintf(" %8.4f %8s %8s", a.target_frequency[k],
                             frequency_text(a.predicted_frequency[k]).c_str(),
                             frequency_text(a.measured_frequency[k]).c_str());
    }
    std::cout << '\n';
  }
}

/// "slope S, R^2 R (N inputs)" of fit_line(y against x), N the inputs where both are finite;
/// "-" for a slope and R^2 that fit_line() leaves undefined (fewer than kMinFitPoints inputs, a
/// constant x or y).
std::string fit_text(const Eigen::VectorXd& x, const Eigen::VectorXd& y) {
  const std::optional<LinearFit> fit = fit_line(x, y);
  const auto n_finite = (x.array().isFinite() && y.array().isFinite()).count();
  const auto number = [](double v) { return std::isnan(v) ? "-" : strprintf("%.3f", v); };
  return strprintf("slope %s, R^2 %s (%d inputs)", fit ? number(fit->slope).c_str() : "-",
                   fit ? number(fit->r_squared).c_str() : "-", static_cast<int>(n_finite));
}

void print_task_analysis(const NetworkDynamics& d) {
  if (d.flip_flop) {
    const FlipFlopAnalysis& a = *d.flip_flop;
    std::string by_unstable;
    int last = 0;
    for (int k = 0; k < a.count_by_unstable.size(); ++k) {
      if (a.count_by_unstable[k] > 0) last = k;
    }
    for (int k = 0; k <= last; ++k) {
      by_unstable += (k ? " " : "") + std::to_string(a.count_by_unstable[k]);
    }
    std::cout << strprintf(
        "flip_flop: %d stable points, %d stable corners (of %d), %d saddles; fixed points by "
        "unstable dimensions 0, 1, ...: %s; saddles joining corners one bit apart: %d of %d\n",
        a.n_stable, a.n_stable_corners, 1 << a.labels.cols(), a.n_saddles, by_unstable.c_str(),
        a.corner_transitions_one_bit, a.corner_transitions_total);
  } else if (d.sine_wave) {
    const SineWaveAnalysis& a = *d.sine_wave;
    const int n_complex = static_cast<int>(
        std::count(a.has_unstable_complex.begin(), a.has_unstable_complex.end(), true));
    std::cout << strprintf(
        "sine_wave: %d of %zu inputs have a fixed point with an unstable complex pair; "
        "w_hat vs w: %s; output frequency vs w: %s\n",
        n_complex, static_cast<std::size_t>(a.target_frequency.size()),
        fit_text(a.target_frequency, a.predicted_frequency).c_str(),
        fit_text(a.target_frequency, a.measured_frequency).c_str());
  } else if (d.context_integration) {
    const ContextIntegrationAnalysis& a = *d.context_integration;
    for (Eigen::Index c = 0; c < a.n_points.size(); ++c) {
      std::string spectrum = "-";
      if (a.n_points[c] > 0) {
        spectrum.clear();
        for (Eigen::Index i = 0; i < std::min<Eigen::Index>(3, a.eigenvalue_modulus.cols()); ++i) {
          spectrum += strprintf("%s%.4f", i ? " " : "", a.eigenvalue_modulus(c, i));
        }
      }
      std::cout << strprintf(
          "context_integration, context %d: %d points, %d on a line attractor (| |lambda| - 1 | "
          "<= %.3g); leading |lambda| %s; modes for 90%% of the input response: %d\n",
          static_cast<int>(c + 1), a.n_points[c], a.n_marginal_points[c], a.line_attractor_tol,
          spectrum.c_str(), a.n_modes_90[c]);
    }
  }
}

/// FILE.h5 -> FILE.dynamics.h5 beside it.
std::string default_output(const std::string& network_file) {
  fs::path path(network_file);
  return (path.parent_path() / (path.stem().string() + ".dynamics.h5")).string();
}

int run_file(const DynamicsArgs& args, const AnalysisOptions& options, int n_threads) {
  const std::string out = args.out.empty() ? default_output(args.input) : args.out;
  check_output_file(args.out.empty() ? "the output beside the network" : "--out", out);
  const fs::path out_dir = fs::absolute(out).parent_path();
  const TrainedNetwork trained = load_trained_network(args.input);
  const Architecture& arch = trained.record.network.architecture();
  if (!args.quiet) {
    print_note(
        strprintf("analysing %s (%s %s, n_hidden %d, task %s): %d initial states per condition, %s",
                  args.input.c_str(), std::string(to_string(arch.cell)).c_str(),
                  std::string(to_string(arch.activation)).c_str(), arch.n_hidden,
                  trained.record.task_name.c_str(), options.n_initial_states,
                  count_of(n_threads, "thread").c_str()));
  }
  NetworkDynamics d =
      analyze_network(trained.record.network, *trained.task, options, Execution{n_threads});
  d.network_id = fs::path(args.input).stem().string();
  d.network_file = fs::absolute(args.input).lexically_relative(out_dir).string();
  save_dynamics_file(out, d);

  std::cout << strprintf("network %s: %s %s, n_hidden %d, task %s\n", args.input.c_str(),
                         std::string(to_string(arch.cell)).c_str(),
                         std::string(to_string(arch.activation)).c_str(), arch.n_hidden,
                         d.task.c_str());
  print_conditions(d);
  print_task_analysis(d);
  std::cout << "dynamics: " << out << std::endl;
  if (!args.quiet) print_note(strprintf("done in %.1f s", d.seconds));
  return kExitOk;
}

void print_progress(const PopulationProgress& p) {
  if (p.last_id.empty()) {
    print_note(strprintf("%d kept networks; %d already analysed", p.n_networks, p.n_resumed));
    return;
  }
  const int width = static_cast<int>(std::to_string(p.n_networks).size());
  std::cerr << strprintf("[%*d/%d] %s %.1fs | %.2f networks/min, ETA %s\n", width, p.n_done,
                         p.n_networks, p.last_id.c_str(), p.last_seconds, 60.0 * p.rate,
                         format_duration(p.eta_seconds).c_str())
            << std::flush;
}

int run_directory(const DynamicsArgs& args, const AnalysisOptions& options, int n_threads) {
  std::error_code error;
  if (!fs::is_regular_file(fs::path(args.input) / "manifest.csv", error)) {
    throw UsageError("'" + args.input +
                     "' is not a sweep directory (it has no manifest.csv): give a network file "
                     "or a directory written by `rnnatlas sweep`");
  }
  if (!args.out.empty()) {
    throw UsageError("--out applies to a network file; a sweep directory's results go to " +
                     args.input + "/dynamics/");
  }
  check_output_directory("DIR", (fs::path(args.input) / "dynamics").string());
  warn_if_snapshot(args.input);
  PopulationOptions population;
  population.analysis = options;
  if (!args.quiet) population.progress = print_progress;
  const PopulationSummary summary =
      analyze_population(args.input, population, Execution{n_threads});
  std::cout << summary.brief_report() << '\n'
            << "dynamics: " << (fs::path(args.input) / "dynamics").string() << "/" << std::endl;
  return kExitOk;
}

int run_dynamics(DynamicsArgs args) {
  std::error_code error;
  if (!fs::exists(args.input, error)) {
    throw UsageError("'" + args.input +
                     "' does not exist: give a network file written by "
                     "`rnnatlas train` or a sweep directory written by `rnnatlas sweep`");
  }
  const int n_threads = thread_count(args.n_threads);
  args.options.transitions.find_limit_cycles = !args.no_limit_cycles;
  // Unless given, the rate's floor follows a smaller initial rate (FixedPointOptions needs
  // lr_min <= lr_initial).
  FixedPointOptions& fp = args.options.fixed_points;
  if (!args.lr_min.given()) fp.lr_min = std::min(fp.lr_min, fp.lr_initial);
  naming_flags(args.flags, [&] { args.options.validate(); });
  if (fs::is_directory(args.input, error)) return run_directory(args, args.options, n_threads);
  return run_file(args, args.options, n_threads);
}

}  // namespace

Command add_dynamics_command(CLI::App& parent) {
  CLI::App* cmd = parent.add_subcommand(
      "dynamics",
      "Fixed points, linearizations, transitions and task analysis of a network or a population");
  // A repeated flag keeps its last value: `rnnatlas reproduce` appends a task's overrides.
  cmd->option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  auto args = std::make_shared<DynamicsArgs>();
  cmd->add_option("input", args->input,
                  "a network file (`rnnatlas train`) or a sweep directory (`rnnatlas sweep`)")
      ->required()
      ->type_name("FILE|DIR");
  cmd->add_option("-o,--out", args->out,
                  "output for a network file [default: FILE's stem + .dynamics.h5, beside it]")
      ->type_name("FILE");
  add_threads_flag(*cmd, args->n_threads,
                   "threads; a directory's networks run one per thread; 0 = all cores");
  cmd->add_flag("-q,--quiet", args->quiet, "no progress output");

  // Every option of AnalysisOptions and of the structs it nests, by its path
  // (--fixed-points.max-iters); the old short spellings warn (docs/options.md).
  const std::string search = "Fixed-point search";
  const std::string stability = "Stability and transitions (linearization, transitions)";
  const std::string cycles = "Limit cycles of the transitions (transitions.limit_cycles)";
  const std::string tasks = "Task analyses";
  const auto group_of = [&](const std::string& path) -> const std::string& {
    if (path.starts_with("transitions.limit_cycles.")) return cycles;
    if (path.starts_with("fixed_points.")) return search;
    if (path.starts_with("linearization.") || path.starts_with("transitions.") ||
        path == "capture_fraction") {
      return stability;
    }
    if (path == "input_stride" || path.starts_with("frequency_") || path == "line_attractor_tol") {
      return tasks;
    }
    return search;
  };
  const std::map<std::string, std::string> deprecated = {
      {"fixed_points.max_iters", "--max-iters"},
      {"fixed_points.lr_initial", "--lr-initial"},
      {"fixed_points.tol_q", "--tol-q"},
      {"fixed_points.newton.max_iters", "--newton-iters"},
      {"fixed_points.tol_unique", "--tol-unique"},
      {"linearization.stability_tol", "--stability-tol"},
      {"transitions.max_steps", "--transition-steps"},
      {"transitions.perturbation", "--perturbation"},
      {"frequency_transient_steps", "--frequency-transient"},
      {"frequency_measure_steps", "--frequency-steps"},
  };
  for (const auto& [path, flag] : add_schema_flags(*cmd, args->options, group_of, deprecated)) {
    args->flags.emplace(path, flag.flag->get_name());
    if (path == "fixed_points.lr_min") args->lr_min = flag;
  }
  cmd->add_flag("--no-limit-cycles", args->no_limit_cycles,
                "leave transition runs still moving after --transitions.max-steps unresolved "
                "instead of examining them for limit cycles")
      ->group(stability);

  cmd->footer(
      "For a network file: prints the fixed points per condition (zero input for the flip-flop,\n"
      "each static input for the sine wave, each context for context-dependent integration) by\n"
      "stability, the limit cycles their transitions reach, and the task analysis; writes\n"
      "FILE.dynamics.h5 (or --out). For a sweep\n"
      "directory: analyses every kept network into DIR/dynamics/<id>.h5; rerunning resumes.\n"
      "Defaults are the paper's (1024 initial states, FixedPointFinder's tolerances); for a quick\n"
      "look try --n-initial-states 256 --fixed-points.max-iters 500\n"
      "--fixed-points.newton.max-iters 5 --transitions.max-steps 1000 --input-stride 10.\n"
      "Every option is also a key of a study config's [dynamics] table (fixed_points.max_iters).\n"
      "Analysis and file layout: docs/dynamics.md, docs/pipeline.md, docs/options.md.\n"
      "\n"
      "Exit status: 0 ok; 1 a file could not be read or written; 2 bad flags, FILE|DIR does\n"
      "not exist or is not a sweep directory, or the output cannot be written (checked first).");
  return {cmd, [args] { return run_dynamics(*args); }};
}

}  // namespace rnnatlas::cli
