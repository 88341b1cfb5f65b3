// `rnnatlas compare`: the distance matrix of a sweep's kept networks (the similarity stage).

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <thread>

#include "cli.h"
#include "rnnatlas/dynamics/dynamics_file.h"
#include "rnnatlas/dynamics/population.h"
#include "rnnatlas/dynamics/topology.h"
#include "rnnatlas/error.h"
#include "rnnatlas/format.h"
#include "rnnatlas/similarity/compare.h"
#include "rnnatlas/similarity/distance_file.h"

namespace rnnatlas::cli {
namespace {

namespace sim = rnnatlas::similarity;

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

/// The topology distance of the dynamics stage, read from DIR/dynamics/<id>.h5.
sim::TopologyMetric topology_metric(const std::string& kind_name) {
  const TopologyDistanceKind kind = parse_topology_distance_kind(kind_name);
  sim::TopologyMetric metric;
  metric.params = {{"kind", std::string(to_string(kind))}};
  metric.distances = [kind](const std::string& dir, const std::vector<std::string>& ids, int) {
    std::vector<TopologySummary> summaries;
    summaries.reserve(ids.size());
    for (const std::string& id : ids) {
      try {
        summaries.push_back(load_topology_summary(dynamics_file_path(dir, id)));
      } catch (const IoError& e) {
        throw IoError(std::string(e.what()) + " (run `rnnatlas dynamics " + dir + "` first)");
      }
    }
    return topology_distance_matrix(summaries, kind);
  };
  return metric;
}

int run_compare(CompareArgs& args) {
  sim::CompareOptions& o = args.options;
  const std::string& metric = o.metric;
  require_metric(args.k, metric, {"svcca"});
  require_metric(args.variance_fraction, metric, {"svcca"});
  require_metric(args.rank_tolerance_flag, metric, {"cca", "pwcca", "svcca", "shape"});
  require_metric(args.kernel_flag, metric, {"cka"});
  require_metric(args.threshold, metric, {"cka"});
  require_metric(args.debiased, metric, {"cka"});
  require_metric(args.alpha, metric, {"shape"});
  require_metric(args.distance, metric, {"shape"});
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
  o.activity.state = sim::parse_state_selection(args.state);
  if (args.rank_tolerance_flag->count() > 0) {
    o.cca.rank_tolerance = args.rank_tolerance;
    o.svcca.rank_tolerance = args.rank_tolerance;
    o.shape.rank_tolerance = args.rank_tolerance;
  }
  if (metric == "topology") o.topology = topology_metric(args.topology_kind);
  o.n_threads = args.n_threads > 0
                    ? args.n_threads
                    : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));

  const sim::CompareSummary summary = sim::compare_population(args.dir, o);
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
                  "cca, svcca, pwcca, cka, shape (activity), or topology (fixed points; needs "
                  "`rnnatlas dynamics DIR` first)")
      ->capture_default_str();
  cmd->add_option("--name", o.name,
                  "output file stem, e.g. svcca_k20 -> DIR/similarity/svcca_k20.h5 (default: the "
                  "metric)")
      ->type_name("NAME");

  auto* group = cmd->add_option_group("metric options");
  args->k = group->add_option("-k,--k", o.svcca.k, "svcca: principal directions kept per network")
                ->check(CLI::PositiveNumber)
                ->capture_default_str();
  args->variance_fraction =
      group
          ->add_option("--variance-fraction", o.svcca.variance_fraction,
                       "svcca: keep the fewest directions reaching this fraction of variance "
                       "instead of --k (e.g. 0.99)")
          ->check(CLI::Range(0.0, 1.0));
  args->rank_tolerance_flag =
      group->add_option("--rank-tolerance", args->rank_tolerance,
                        "cca, pwcca, svcca, shape: relative singular value below which a "
                        "direction is dropped (defaults: 1e-10; svcca 1e-7)");
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
                    ->check(CLI::Range(0.0, 1.0))
                    ->capture_default_str();
  args->distance =
      group->add_option("--distance", args->shape_distance, "shape: angular or euclidean")
          ->check(CLI::IsMember({"angular", "euclidean"}))
          ->capture_default_str();
  args->topology_kind_flag =
      group
          ->add_option("--topology-distance", args->topology_kind,
                       "topology: auto (label graphs for the flip-flop, else signatures), "
                       "label_graph or signature")
          ->check(CLI::IsMember({"auto", "label_graph", "signature"}))
          ->capture_default_str();

  auto* activity = cmd->add_option_group("activity (every network runs the same held-out trials)");
  args->activity_flags = {
      activity->add_option("--trials", o.activity.n_trials, "held-out trials")
          ->check(CLI::PositiveNumber)
          ->capture_default_str(),
      activity->add_option("--activity-seed", args->activity_seed, "stream of the trials")
          ->capture_default_str(),
      activity->add_option("--first-step", o.activity.first_step, "first time step kept")
          ->check(CLI::NonNegativeNumber)
          ->capture_default_str(),
      activity->add_option("--step-stride", o.activity.step_stride, "keep every n-th step")
          ->check(CLI::PositiveNumber)
          ->capture_default_str(),
      activity->add_option("--state", args->state, "h, or hc for LSTM's [h; c]")
          ->check(CLI::IsMember({"h", "hc"}))
          ->capture_default_str()};

  cmd->add_option("-j,--threads", args->n_threads,
                  "threads running networks and computing pairs; 0 = all cores")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_flag("--force", o.force,
                "replace DIR/similarity/<name>.h5 if it was computed with another metric or other "
                "options");
  cmd->footer(
      "Compares the kept networks of DIR (manifest.csv) and writes the [N, N] matrix, the network\n"
      "ids and their labels to DIR/similarity/<name>.h5 (docs/pipeline.md). Rerunning with the\n"
      "same options does nothing, or recomputes the file if the kept networks changed; other\n"
      "options need --force.\n"
      "\n"
      "Exit status: 0 written or up to date; 1 a file is missing, unreadable or unwritable;\n"
      "2 invalid flags, fewer than 2 kept networks, or an existing file without --force.");
  return {cmd, [args] { return run_compare(*args); }};
}

}  // namespace rnnatlas::cli
