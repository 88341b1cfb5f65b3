// `rnnatlas compare`: the distance matrix of a sweep's kept networks (the similarity stage).

#include <CLI/CLI.hpp>
#include <exception>
#include <filesystem>
#include <iostream>
#include <memory>

#include "cli.h"
#include "rnnatlas/config.h"
#include "rnnatlas/dynamics/topology.h"
#include "rnnatlas/error.h"
#include "rnnatlas/format.h"
#include "rnnatlas/pipeline/compare.h"
#include "rnnatlas/pipeline/distance_file.h"
#if RNNATLAS_WITH_MPI
#include "rnnatlas/sweep/mpi_runner.h"
#endif

namespace rnnatlas::cli {
namespace {

namespace sim = rnnatlas::similarity;

// `rnnatlas compare --help` says whether this build can run under mpirun.
constexpr const char* kMpiBuildNote =
    RNNATLAS_WITH_MPI ? "with MPI." : "without MPI (built with RNNATLAS_WITH_MPI=OFF).";

struct CompareArgs {
  std::string dir;
  sim::CompareOptions options;
  std::string kernel = "linear";
  std::string shape_distance = "angular";
  std::string state = "h";
  std::string topology_kind = "auto";
  std::string activity_seed = std::to_string(sim::ActivityOptions{}.seed);
  double rank_tolerance = 0.0;
  int n_threads = 0;
  bool threads_given = false;  // -j on the command line
  bool mpi = false;
  // Flags that only some metrics take, to refuse them for the others.
  CLI::Option* k = nullptr;
  CLI::Option* variance_fraction = nullptr;
  CLI::Option* rank_tolerance_flag = nullptr;
  CLI::Option* kernel_flag = nullptr;
  CLI::Option* threshold = nullptr;
  CLI::Option* debiased = nullptr;
  CLI::Option* alpha = nullptr;
  CLI::Option* distance = nullptr;
  CLI::Option* topology_kind_flag = nullptr;
  std::vector<CLI::Option*> dsa_flags;
  std::vector<CLI::Option*> activity_flags;
};

/// Throws UsageError when `flag` was given but `metric` is not among `metrics`.
void require_metric(const CLI::Option* flag,
                    const std::string& metric,
                    std::initializer_list<const char*> metrics) {
  if (flag == nullptr || flag->count() == 0) return;
  std::vector<std::string> names(metrics.begin(), metrics.end());
  for (const std::string& name : names)
    if (name == metric) return;
  throw UsageError(flag->get_name() + " applies to --metric " + join(names, ", ") + ", not to " +
                   metric);
}

/// Checks the flags and completes args.options from them. Throws UsageError.
void configure(CompareArgs& args) {
  // Before any work: DIR/similarity/ must take the distance file.
  check_output_directory("DIR", (std::filesystem::path(args.dir) / "similarity").string());
  sim::CompareOptions& o = args.options;
  const std::string& metric = o.metric;
  require_metric(args.k, metric, {"svcca"});
  require_metric(args.variance_fraction, metric, {"svcca"});
  require_metric(args.rank_tolerance_flag, metric, {"cca", "pwcca", "svcca", "shape", "dsa"});
  require_metric(args.kernel_flag, metric, {"cka"});
  require_metric(args.threshold, metric, {"cka"});
  require_metric(args.debiased, metric, {"cka"});
  require_metric(args.alpha, metric, {"shape"});
  require_metric(args.distance, metric, {"shape", "dsa"});
  for (const CLI::Option* flag : args.dsa_flags) require_metric(flag, metric, {"dsa"});
  require_metric(args.topology_kind_flag, metric, {"topology"});
  for (const CLI::Option* flag : args.activity_flags) {
    if (metric == "topology" && flag->count() > 0) {
      throw UsageError(flag->get_name() +
                       " sets the activity of the activity metrics; topology uses the dynamics "
                       "files");
    }
  }
  if (const std::string problem = seed_error(args.activity_seed); !problem.empty()) {
    throw UsageError("--activity-seed: " + problem);
  }
  o.activity.seed = std::stoull(args.activity_seed);
  o.cka.kernel = sim::parse_cka_kernel(args.kernel);
  o.shape.distance = sim::parse_shape_distance(args.shape_distance);
  o.dsa.distance = o.shape.distance;
  o.activity.state = sim::parse_state_selection(args.state);
  if (args.rank_tolerance_flag->count() > 0) {
    o.cca.rank_tolerance = args.rank_tolerance;
    o.svcca.rank_tolerance = args.rank_tolerance;
    o.shape.rank_tolerance = args.rank_tolerance;
    o.dsa.rank_tolerance = args.rank_tolerance;
  }
  o.topology_kind = parse_topology_distance_kind(args.topology_kind);
}

/// The flag of each option of CompareOptions that one sets (InvalidArgument::field()).
const FlagNames& flag_names() {
  static const FlagNames names = {
      {"metric", "--metric"},
      {"name", "--name"},
      {"svcca.k", "--k"},
      {"svcca.variance_fraction", "--variance-fraction"},
      {"cca.rank_tolerance", "--rank-tolerance"},
      {"svcca.rank_tolerance", "--rank-tolerance"},
      {"shape.rank_tolerance", "--rank-tolerance"},
      {"dsa.rank_tolerance", "--rank-tolerance"},
      {"cka.threshold", "--threshold"},
      {"shape.alpha", "--alpha"},
      {"dsa.n_delays", "--n-delays"},
      {"dsa.delay_interval", "--delay-interval"},
      {"dsa.rank", "--rank"},
      {"dsa.alignment.n_random_starts", "--alignment-starts"},
      {"dsa.alignment.n_screening_iterations", "--alignment-screening"},
      {"dsa.alignment.n_refined", "--alignment-refined"},
      {"dsa.alignment.max_iterations", "--alignment-iterations"},
      {"dsa.alignment.tolerance", "--alignment-tolerance"},
      {"activity.n_trials", "--trials"},
      {"activity.first_step", "--first-step"},
      {"activity.step_stride", "--step-stride"},
  };
  return names;
}

/// compare_population(), with its errors about options naming the flags.
sim::CompareSummary compare(const CompareArgs& args, const Execution& execution) {
  return naming_flags(flag_names(),
                      [&] { return sim::compare_population(args.dir, args.options, execution); });
}

/// The summary line, and the spread of the distances when they were computed.
void print_result(const sim::CompareSummary& summary) {
  std::cout << summary.brief_report() << '\n';
  if (!summary.resumed) {
    // The spread of the distances, so that a degenerate matrix shows at once.
    const Eigen::MatrixXd& d = sim::load_distance_file(summary.path).distances;
    double lo = d(0, 1), hi = d(0, 1), sum = 0.0;
    for (Eigen::Index j = 0; j < d.cols(); ++j) {
      for (Eigen::Index i = 0; i < j; ++i) {
        lo = std::min(lo, d(i, j));
        hi = std::max(hi, d(i, j));
        sum += d(i, j);
      }
    }
    const double n_pairs = 0.5 * static_cast<double>(d.rows() * (d.rows() - 1));
    std::cout << strprintf("distances: min %.4g, mean %.4g, max %.4g over %.0f pairs\n", lo,
                           sum / n_pairs, hi, n_pairs);
  }
}

#if RNNATLAS_WITH_MPI
/// One rank of `mpirun -n K rnnatlas compare DIR ...`: every rank loads, runs and prepares every
/// kept network; the pairs are spread over all ranks' threads (MpiRunner); rank 0 writes the file
/// and alone prints. Every rank exits with rank 0's status, or with its own failure.
int run_over_ranks(CompareArgs& args) {
  const MpiSession session;
  const bool root = session.rank() == 0;
  int status = kExitOk;
  try {
    configure(args);
    const int n_threads = threads_per_rank(args.threads_given, args.n_threads);
    MpiRunner runner(session, n_threads);
    if (root) {
      print_note(strprintf("compare: %d MPI ranks x %s", session.size(),
                           count_of(n_threads, "thread").c_str()));
      warn_if_snapshot(args.dir);
    }
    const sim::CompareSummary summary = compare(args, Execution{n_threads, &runner});
    if (root) print_result(summary);
  } catch (...) {
    status = exit_code_of(std::current_exception(), root);
  }
  std::cout.flush();
  std::cerr.flush();
  const int root_status = std::stoi(session.broadcast([&] { return std::to_string(status); }));
  return status != kExitOk ? status : root_status;  // ~MpiSession waits, then finalizes
}
#endif

int run_compare(CompareArgs& args) {
  if (use_mpi_ranks(args.mpi)) {
#if RNNATLAS_WITH_MPI
    return run_over_ranks(args);
#endif
  }
  configure(args);
  warn_if_snapshot(args.dir);
  print_result(compare(args, Execution{thread_count(args.n_threads)}));
  return kExitOk;
}

}  // namespace

Command add_compare_command(CLI::App& parent) {
  CLI::App* cmd = parent.add_subcommand(
      "compare", "Distance matrix of a sweep's kept networks (writes DIR/similarity/<metric>.h5)");
  auto args = std::make_shared<CompareArgs>();
  sim::CompareOptions& o = args->options;
  cmd->add_option("dir", args->dir, "sweep directory written by `rnnatlas sweep`")
      ->required()
      ->type_name("DIR");
  cmd->add_option("-m,--metric", o.metric,
                  "cca, svcca, pwcca, cka, shape (activity), dsa (dynamics of the activity), or "
                  "topology (fixed points; needs `rnnatlas dynamics DIR` first)")
      ->capture_default_str();
  cmd->add_option("--name", o.name,
                  "output file stem, e.g. svcca_k20 -> DIR/similarity/svcca_k20.h5 (default: the "
                  "metric)")
      ->type_name("NAME");

  auto* group = cmd->add_option_group("metric options");
  args->k = group->add_option("-k,--k", o.svcca.k, "svcca: principal directions kept per network")
                ->check(at_least(1))
                ->capture_default_str();
  args->variance_fraction =
      group
          ->add_option("--variance-fraction", o.svcca.variance_fraction,
                       "svcca: keep the fewest directions reaching this fraction of variance "
                       "instead of --k (e.g. 0.99)")
          ->check(in_range(0.0, 1.0));
  args->rank_tolerance_flag =
      group->add_option("--rank-tolerance", args->rank_tolerance,
                        "cca, pwcca, svcca, shape, dsa: relative singular value below which a "
                        "direction is dropped (defaults: 1e-10; svcca, dsa 1e-7)");
  args->kernel_flag = group->add_option("--kernel", args->kernel, "cka: linear or rbf")
                          ->check(CLI::IsMember({"linear", "rbf"}))
                          ->capture_default_str();
  args->threshold = group
                        ->add_option("--threshold", o.cka.threshold,
                                     "cka rbf: bandwidth as a multiple of the median distance")
                        ->capture_default_str();
  args->debiased =
      group->add_flag("--debiased", o.cka.debiased, "cka: unbiased HSIC estimator (Song 2012)");
  args->alpha = group
                    ->add_option("--alpha", o.shape.alpha,
                                 "shape: partial whitening, 1 = Procrustes, 0 = CCA-like")
                    ->check(in_range(0.0, 1.0))
                    ->capture_default_str();
  args->distance =
      group->add_option("--distance", args->shape_distance, "shape, dsa: angular or euclidean")
          ->check(CLI::IsMember({"angular", "euclidean"}))
          ->capture_default_str();
  args->topology_kind_flag =
      group
          ->add_option("--topology-distance", args->topology_kind,
                       "topology: auto (label graphs for the flip-flop, else signatures), "
                       "label_graph or signature")
          ->check(CLI::IsMember({"auto", "label_graph", "signature"}))
          ->capture_default_str();
  args->dsa_flags = {
      group->add_option("--n-delays", o.dsa.n_delays, "dsa: delay vectors per embedded sample")
          ->check(at_least(1))
          ->capture_default_str(),
      group->add_option("--delay-interval", o.dsa.delay_interval, "dsa: steps between delays")
          ->check(at_least(1))
          ->capture_default_str(),
      group->add_option("--rank", o.dsa.rank, "dsa: principal coordinates of the operator")
          ->check(at_least(1))
          ->capture_default_str(),
      group
          ->add_option("--alignment-starts", o.dsa.alignment.n_random_starts,
                       "dsa: random orthogonal starts besides the 4 deterministic ones")
          ->check(at_least(0))
          ->capture_default_str(),
      group
          ->add_option("--alignment-screening", o.dsa.alignment.n_screening_iterations,
                       "dsa: iterations every start runs before the best are refined")
          ->check(at_least(1))
          ->capture_default_str(),
      group
          ->add_option("--alignment-refined", o.dsa.alignment.n_refined,
                       "dsa: starts refined to convergence after screening")
          ->check(at_least(1))
          ->capture_default_str(),
      group
          ->add_option("--alignment-iterations", o.dsa.alignment.max_iterations,
                       "dsa: gradient iterations per start, screening included")
          ->check(at_least(1))
          ->capture_default_str(),
      group
          ->add_option("--alignment-tolerance", o.dsa.alignment.tolerance,
                       "dsa: Riemannian gradient norm at which a start has converged")
          ->capture_default_str(),
      group
          ->add_option("--alignment-seed", o.dsa.alignment.seed, "dsa: stream of the random starts")
          ->capture_default_str()};

  auto* activity = cmd->add_option_group("activity (every network runs the same held-out trials)");
  args->activity_flags = {
      activity->add_option("--trials", o.activity.n_trials, "held-out trials")
          ->check(at_least(1))
          ->capture_default_str(),
      activity->add_option("--activity-seed", args->activity_seed, "stream of the trials")
          ->capture_default_str(),
      activity->add_option("--first-step", o.activity.first_step, "first time step kept")
          ->check(at_least(0))
          ->capture_default_str(),
      activity->add_option("--step-stride", o.activity.step_stride, "keep every n-th step")
          ->check(at_least(1))
          ->capture_default_str(),
      activity->add_option("--state", args->state, "h, or hc for LSTM's [h; c]")
          ->check(CLI::IsMember({"h", "hc"}))
          ->capture_default_str()};

  const ThreadsFlag threads = add_threads_flag(
      *cmd, args->n_threads,
      "threads running networks and computing pairs; 0 = all cores. Under MPI: threads per rank, "
      "default 1");
  cmd->add_flag("--mpi", args->mpi,
                "run as one rank of an MPI job (automatic under mpirun and srun; see below)");
  cmd->add_flag("--force", o.force,
                "replace DIR/similarity/<name>.h5 if it was computed with another metric or other "
                "options");
  cmd->footer(
      "Compares the kept networks of DIR (manifest.csv) and writes the [N, N] matrix, the network\n"
      "ids and their labels to DIR/similarity/<name>.h5 (docs/pipeline.md). Rerunning with the\n"
      "same options does nothing, or recomputes the file if the kept networks changed; other\n"
      "options need --force.\n"
      "\n"
      "Across machines: `mpirun -n K rnnatlas compare DIR ...` (or srun) spreads the pairs over K\n"
      "ranks. Every rank loads and runs every kept network, so DIR must be on a file system all\n"
      "ranks share; rank 0 hands out blocks of pairs to whichever rank is free and writes the\n"
      "file, identical to a threaded run's. -j is then threads per rank (default 1). MPI is used\n"
      "when mpirun or srun started the process (OMPI_COMM_WORLD_SIZE, PMI_SIZE or PMIX_RANK is\n"
      "set) or with --mpi. This build: " +
      std::string(kMpiBuildNote) +
      "\n\n"
      "Exit status: 0 written or up to date; 1 a file is missing, unreadable or unwritable;\n"
      "2 invalid flags, fewer than 2 kept networks, an existing file without --force, or\n"
      "DIR/similarity/ cannot be written (checked before any work). Under\n"
      "MPI every rank exits with the same status and only rank 0 prints.");
  return {cmd, [args, threads] {
            args->threads_given = threads.given();
            return run_compare(*args);
          }};
}

}  // namespace rnnatlas::cli
