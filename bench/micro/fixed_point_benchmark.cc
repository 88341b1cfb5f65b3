// Fixed-point search on a trained network: find_fixed_points() from 1024 initial states at the zero
// input, on one thread, with FixedPointOptions' defaults (FixedPointFinder's hyperparameters, the
// same as the reference's). The initial states are those of `rnnatlas dynamics`:
// sample_initial_states() on the network's own task with AnalysisOptions' settings (16 trials,
// noise 0.5, its seed). bench/run_fixed_point_bench.py runs this beside a FixedPointFinder-style
// search in PyTorch (bench/reference/torch_fixed_points.py) on the same network and initial
// states; bench/README.md explains the numbers.
//
//   fixed_point_benchmark [--fpb_network=FILE] [--fpb_n_init=K] [Google Benchmark flags]
//   fixed_point_benchmark [--fpb_network=FILE] [--fpb_n_init=K] --fpb_states_out=FILE
//                         --fpb_result_out=FILE
//
// The first form times the search (BM_FindFixedPoints). The second writes the initial states
// (HDF5: `states` [K, n_state], `input` [n_input]) and the result of one search (`states`
// [n_points, n_state], `q`, `is_slow`, the summary as attributes) and exits: the driver reads them
// to give both sides the same start and to compare the points found. The network file is the one
// the driver trains (`rnnatlas train --config bench/fixed_point_gru.toml`); --fpb_network defaults
// to fixed_point_data/gru128_flip_flop.h5 beside this binary. For exploration,
// --fpb_noise_scale=X and --fpb_lr_initial=X override the noise of the initial states and Adam's
// initial rate (`rnnatlas dynamics` uses 0.01).
//
// Counters: n_points (returned), n_fixed (of which q <= tol_q), n_converged (candidates whose
// final q <= tol_q), max_q (largest q of a fixed point), adam_s / newton_s (seconds of each stage,
// of the last iteration), adam_iters (Adam iterations of the slowest candidate).
#include <benchmark/benchmark.h>

#include <Eigen/Core>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "io/h5.h"
#include "rnnatlas/dynamics/analysis.h"
#include "rnnatlas/dynamics/fixed_points.h"
#include "rnnatlas/error.h"
#include "rnnatlas/io/network_file.h"
#include "rnnatlas/tasks/task.h"

namespace rnnatlas {
namespace {

struct Flags {
  std::string network;
  int n_init = 0;             // 0: AnalysisOptions::n_initial_states
  double noise_scale = -1.0;  // < 0: AnalysisOptions::noise_scale
  double lr_initial = -1.0;   // <= 0: FixedPointOptions::lr_initial (FixedPointFinder's 1.0)
  std::string states_out;
  std::string result_out;
};

struct Problem {
  Network network{Architecture{}};
  Eigen::MatrixXd initial_states;  // [n_state, K]
  Eigen::VectorXd input;           // [n_input], zeros
  FixedPointOptions options;
};

// The initial states of `rnnatlas dynamics` at its first condition (the flip-flop's zero input) and
// FixedPointFinder's options.
Problem make_problem(const Flags& flags) {
  NetworkRecord record = load_network_file(flags.network);
  Problem p;
  p.network = std::move(record.network);
  const std::unique_ptr<Task> task = make_task(record.task_name, record.task_params);
  const AnalysisOptions analysis;
  InitialStateOptions init;
  init.n_states = flags.n_init > 0 ? flags.n_init : analysis.n_initial_states;
  init.n_trials = analysis.n_trials;
  init.noise_scale = flags.noise_scale >= 0 ? flags.noise_scale : analysis.noise_scale;
  init.seed = analysis.seed;
  p.initial_states = sample_initial_states(p.network, *task, init);
  p.input = Eigen::VectorXd::Zero(p.network.architecture().n_input);
  p.options = FixedPointOptions{};  // FixedPointFinder's hyperparameters, as the reference
  if (flags.lr_initial > 0) p.options.lr_initial = flags.lr_initial;
  return p;
}

void write_states(const std::string& path, const Problem& p) {
  std::vector<unsigned char> bytes;
  {
    h5::ImageWriter writer;
    const h5::Node& root = writer.root();
    h5::write_attribute(root, "format", "rnnatlas.bench.initial_states");
    h5::write_attribute(root, "format_version", 1);
    h5::write_matrix(root, "states", Eigen::MatrixXd(p.initial_states.transpose()));  // [K, n]
    h5::write_vector(root, "input", p.input);
    bytes = writer.finish();
  }
  h5::write_file_atomically(path, bytes);
}

void write_result(const std::string& path,
                  const FixedPointResult& r,
                  const FixedPointOptions& options) {
  const FixedPointSummary& s = r.summary;
  std::vector<unsigned char> bytes;
  {
    h5::ImageWriter writer;
    const h5::Node& root = writer.root();
    h5::write_attribute(root, "format", "rnnatlas.bench.fixed_points");
    h5::write_attribute(root, "format_version", 1);
    h5::write_matrix(root, "states",
                     Eigen::MatrixXd(r.points.states.transpose()));  // [n_points, n]
    h5::write_vector(root, "q", r.points.q);
    h5::write_vector(root, "is_slow", r.points.is_slow);
    h5::write_vector(root, "initial_index", r.points.initial_index);
    h5::write_vector(root, "n_merged", r.points.n_merged);
    h5::write_attribute(root, "tol_q", options.tol_q);
    h5::write_attribute(root, "tol_unique", options.tol_unique);
    h5::write_attribute(root, "lr_initial", options.lr_initial);
    h5::write_attribute(root, "n_candidates", s.n_candidates);
    h5::write_attribute(root, "n_converged", s.n_converged);
    h5::write_attribute(root, "n_slow", s.n_slow);
    h5::write_attribute(root, "n_stalled", s.n_stalled);
    h5::write_attribute(root, "n_max_iters", s.n_max_iters);
    h5::write_attribute(root, "n_non_finite", s.n_non_finite);
    h5::write_attribute(root, "n_merged_total", s.n_merged);
    h5::write_attribute(root, "n_outliers", s.n_outliers);
    h5::write_attribute(root, "n_points", s.n_points);
    h5::write_attribute(root, "n_slow_points", s.n_slow_points);
    h5::write_attribute(root, "n_adam_iters", s.n_adam_iters);
    h5::write_attribute(root, "n_newton_refined", s.n_newton_refined);
    h5::write_attribute(root, "max_q", s.max_q);
    h5::write_attribute(root, "seconds_adam", s.seconds_adam);
    h5::write_attribute(root, "seconds_newton", s.seconds_newton);
    h5::write_attribute(root, "brief_report", s.brief_report());
    bytes = writer.finish();
  }
  h5::write_file_atomically(path, bytes);
}

void BM_FindFixedPoints(benchmark::State& state, const Problem* p) {
  FixedPointResult r;
  for (auto _ : state) {
    r = find_fixed_points(p->network, p->initial_states, p->input, p->options);
    benchmark::DoNotOptimize(r.points.states.data());
  }
  const FixedPointSummary& s = r.summary;
  state.counters["n_points"] = s.n_points;
  state.counters["n_fixed"] = s.n_points - s.n_slow_points;
  state.counters["n_converged"] = s.n_converged;
  state.counters["max_q"] = s.max_q;
  state.counters["adam_s"] = s.seconds_adam;
  state.counters["newton_s"] = s.seconds_newton;
  state.counters["adam_iters"] = s.n_adam_iters;
  state.SetLabel(s.brief_report());
}

bool take_flag(std::string_view arg, std::string_view name, std::string& value) {
  if (arg.substr(0, name.size()) != name || arg.size() <= name.size() || arg[name.size()] != '=') {
    return false;
  }
  value = std::string(arg.substr(name.size() + 1));
  return true;
}

int run(int argc, char** argv) {
  Flags flags;
  flags.network =
      (std::filesystem::path(argv[0]).parent_path() / "fixed_point_data" / "gru128_flip_flop.h5")
          .string();
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    std::string n_init, noise, lr;
    if (take_flag(arg, "--fpb_network", flags.network) ||
        take_flag(arg, "--fpb_states_out", flags.states_out) ||
        take_flag(arg, "--fpb_result_out", flags.result_out)) {
      continue;
    }
    if (take_flag(arg, "--fpb_n_init", n_init)) {
      flags.n_init = std::stoi(n_init);
      RNNATLAS_CHECK_ARG(flags.n_init >= 1, "--fpb_n_init = " << n_init << ": must be >= 1");
      continue;
    }
    if (take_flag(arg, "--fpb_noise_scale", noise)) {
      flags.noise_scale = std::stod(noise);
      RNNATLAS_CHECK_ARG(flags.noise_scale >= 0,
                         "--fpb_noise_scale = " << noise << ": must be >= 0");
      continue;
    }
    if (take_flag(arg, "--fpb_lr_initial", lr)) {
      flags.lr_initial = std::stod(lr);
      RNNATLAS_CHECK_ARG(flags.lr_initial > 0, "--fpb_lr_initial = " << lr << ": must be > 0");
      continue;
    }
    std::fprintf(stderr, "fixed_point_benchmark: unknown flag %s\n", argv[i]);
    return 2;
  }
  if (!std::filesystem::exists(flags.network)) {
    std::fprintf(stderr,
                 "fixed_point_benchmark: no network file %s; give one with --fpb_network=FILE or "
                 "let bench/run_fixed_point_bench.py train it\n",
                 flags.network.c_str());
    return 2;
  }
  const Problem problem = make_problem(flags);
  if (!flags.states_out.empty() || !flags.result_out.empty()) {
    if (!flags.states_out.empty()) write_states(flags.states_out, problem);
    if (!flags.result_out.empty()) {
      const FixedPointResult r = find_fixed_points(problem.network, problem.initial_states,
                                                   problem.input, problem.options);
      write_result(flags.result_out, r, problem.options);
      std::printf("%s\n", r.summary.brief_report().c_str());
    }
    return 0;
  }
  const Architecture& a = problem.network.architecture();
  const std::string name = "BM_FindFixedPoints/" + std::string(to_string(a.cell)) +
                           "/n_hidden:" + std::to_string(a.n_hidden) +
                           "/n_init:" + std::to_string(problem.initial_states.cols());
  benchmark::RegisterBenchmark(name.c_str(), BM_FindFixedPoints, &problem)
      ->Unit(benchmark::kMillisecond);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

}  // namespace
}  // namespace rnnatlas

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);  // removes the flags it knows
  try {
    return rnnatlas::run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fixed_point_benchmark: %s\n", e.what());
    return 1;
  }
}
