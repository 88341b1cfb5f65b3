// `rnnatlas compare`: the distance matrix of a sweep's kept networks (the similarity stage).

#include <CLI/CLI.hpp>
#include <algorithm>
#include <exception>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <type_traits>
#include <vector>

#include "cli.h"
#include "rnnatlas/config.h"
#include "rnnatlas/dynamics/topology.h"
#include "rnnatlas/error.h"
#include "rnnatlas/format.h"
#include "rnnatlas/pipeline/compare.h"
#include "rnnatlas/pipeline/distance_file.h"
#include "schema_flags.h"
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
  // The enum options, as typed; configure() parses them into `options`.
  std::string cka_kernel{sim::to_string(sim::CkaOptions{}.kernel)};
  std::string shape_distance{sim::to_string(sim::ShapeOptions{}.distance)};
  std::string dsa_distance{sim::to_string(sim::DsaOptions{}.distance)};
  std::string state{sim::to_string(sim::ActivityOptions{}.state)};
  std::string topology_kind = "auto";
  // Deprecated flags that set an option of several metrics at once.
  double rank_tolerance = 0.0;
  std::string distance = shape_distance;
  CLI::Option* old_rank_tolerance = nullptr;
  CLI::Option* old_distance = nullptr;
  CLI::Option* topology_kind_flag = nullptr;
  int n_threads = 0;
  bool threads_given = false;  // -j on the command line
  bool mpi = false;
  /// The flag of every option path of CompareOptions (svcca.k, cka.kernel, activity.n_trials).
  std::map<std::string, SchemaFlag> flags;
};

/// An option of CompareOptions that is one name of a fixed set (an enum), outside the schemas.
struct Choice {
  const char* path;
  std::string CompareArgs::*value;
  const char* help;
  std::vector<std::string> names;
  const char* old;  ///< its deprecated spelling, or nullptr
};

const std::vector<Choice>& choices() {
  static const std::vector<Choice> kChoices = {
      {"cka.kernel", &CompareArgs::cka_kernel, "linear or rbf", sim::cka_kernel_names(),
       "--kernel"},
      {"shape.distance", &CompareArgs::shape_distance, "angular or euclidean",
       sim::shape_distance_names(), nullptr},
      {"dsa.distance", &CompareArgs::dsa_distance, "angular or euclidean",
       sim::shape_distance_names(), nullptr},
      {"activity.state", &CompareArgs::state, "h, or hc for LSTM's [h; c]",
       sim::state_selection_names(), "--state"},
  };
  return kChoices;
}

/// The metrics that use the options nested as `head` ("cca" -> cca, pwcca).
std::vector<std::string> metrics_of(std::string_view head) {
  std::vector<std::string> names;
  for (const std::string& m : sim::compare_metric_names()) {
    if (sim::metric_options_name(m) == head) names.push_back(m);
  }
  return names;
}
std::string metrics_using(std::string_view head) { return join(metrics_of(head), ", "); }

/// A deprecated flag that sets one option of several metrics, each unless its own flag is given:
/// the flag, and the paths of the options it sets (which give the metrics it applies to).
struct SharedFlag {
  CLI::Option* CompareArgs::*flag;
  std::vector<std::string> paths;
  /// Sets the option at `path` from the flag's value.
  void (*set)(CompareArgs& args, const std::string& path);
};

void set_rank_tolerance(CompareArgs& args, const std::string& path) {
  for_each_field(args.options, [&](const std::string& p, const auto&, auto& value) {
    if constexpr (std::is_same_v<std::remove_cvref_t<decltype(value)>, double>) {
      if (p == path) value = args.rank_tolerance;
    }
  });
}

void set_distance(CompareArgs& args, const std::string& path) {
  for (const Choice& c : choices()) {
    if (c.path == path) args.*(c.value) = args.distance;
  }
}

const std::vector<SharedFlag>& shared_flags() {
  static const std::vector<SharedFlag> kShared = {
      {&CompareArgs::old_rank_tolerance,
       {"cca.rank_tolerance", "svcca.rank_tolerance", "shape.rank_tolerance", "dsa.rank_tolerance"},
       set_rank_tolerance},
      {&CompareArgs::old_distance, {"shape.distance", "dsa.distance"}, set_distance},
  };
  return kShared;
}

/// The spelling of `flag` that the user typed.
std::string typed_name(const SchemaFlag& flag) {
  return flag.old != nullptr && flag.old->count() > 0 ? flag.old->get_name()
                                                      : flag.flag->get_name();
}

/// Throws UsageError for a flag that sets options `metric` does not use: another metric's
/// (--svcca.k with --metric cka), or the activity's with --metric topology.
void check_flags_apply(const CompareArgs& args) {
  const std::string& metric = args.options.metric;
  const std::string_view own = sim::metric_options_name(metric);
  for (const auto& [path, flag] : args.flags) {
    if (!flag.given()) continue;
    const std::string head = path.substr(0, path.find('.'));
    if (head == "activity") {
      if (sim::uses_activity(metric)) continue;
      throw UsageError(typed_name(flag) +
                       " sets the activity of the activity metrics; topology uses the dynamics "
                       "files");
    }
    if (head != own) {
      throw UsageError(typed_name(flag) + " applies to --metric " + metrics_using(head) +
                       ", not to " + metric);
    }
  }
  const auto require = [&](const CLI::Option* flag, const std::vector<std::string>& metrics) {
    if (flag->count() == 0 || std::find(metrics.begin(), metrics.end(), metric) != metrics.end())
      return;
    throw UsageError(flag->get_name() + " applies to --metric " + join(metrics, ", ") +
                     ", not to " + metric);
  };
  for (const SharedFlag& shared : shared_flags()) {
    std::vector<std::string> metrics;
    for (const std::string& path : shared.paths) {
      for (std::string& m : metrics_of(path.substr(0, path.find('.')))) {
        metrics.push_back(std::move(m));
      }
    }
    require(args.*(shared.flag), metrics);
  }
  require(args.topology_kind_flag, {"topology"});
}

/// Checks the flags and completes args.options from them. Throws UsageError.
void configure(CompareArgs& args) {
  // Before any work: DIR/similarity/ must take the distance file.
  check_output_directory("DIR", (std::filesystem::path(args.dir) / "similarity").string());
  sim::CompareOptions& o = args.options;
  // The old shared flags set each metric's option that its own flag did not.
  for (const SharedFlag& shared : shared_flags()) {
    if ((args.*(shared.flag))->count() == 0) continue;
    for (const std::string& path : shared.paths) {
      if (!args.flags.at(path).given()) shared.set(args, path);
    }
  }
  o.cka.kernel = sim::parse_cka_kernel(args.cka_kernel);
  o.shape.distance = sim::parse_shape_distance(args.shape_distance);
  o.dsa.distance = sim::parse_shape_distance(args.dsa_distance);
  o.activity.state = sim::parse_state_selection(args.state);
  o.topology_kind = parse_topology_distance_kind(args.topology_kind);
}

/// The flag the user typed for each option path (InvalidArgument::field()).
FlagNames flag_names(const CompareArgs& args) {
  FlagNames names = {{"metric", "--metric"}, {"name", "--name"}};
  for (const auto& [path, flag] : args.flags) names[path] = typed_name(flag);
  for (const SharedFlag& shared : shared_flags()) {
    const CLI::Option* old = args.*(shared.flag);
    if (old->count() == 0) continue;
    for (const std::string& path : shared.paths) {
      if (!args.flags.at(path).given()) names[path] = old->get_name();
    }
  }
  return names;
}

/// compare_population(), with its errors about options naming the flags.
sim::CompareSummary compare(const CompareArgs& args, const Execution& execution) {
  return naming_flags(flag_names(args),
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

std::string compare_key_path(const std::string& metric, const std::string& key) {
  static const std::set<std::string> paths = [] {
    std::set<std::string> all;
    const sim::CompareOptions defaults;
    for_each_field(defaults,
                   [&](const std::string& path, const auto&, const auto&) { all.insert(path); });
    for (const Choice& c : choices()) all.insert(c.path);
    return all;
  }();
  const std::string_view own = sim::metric_options_name(metric);
  if (own.empty()) return key;
  const std::string path = std::string(own) + "." + key;
  return paths.contains(path) ? path : key;
}

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

  // The options of each metric and of the activity, by their paths in CompareOptions
  // (--svcca.k, --dsa.alignment.seed, --activity.n-trials); the old short spellings warn
  // (docs/options.md).
  const auto group_of = [](const std::string& path) -> std::optional<std::string> {
    if (path == "dsa.n_steps") return std::nullopt;  // set from the activity's kept steps
    const std::string head = path.substr(0, path.find('.'));
    if (head == "activity") return "activity (every network runs the same held-out trials)";
    return "options of --metric " + metrics_using(head);
  };
  args->flags =
      add_schema_flags(*cmd, o, group_of,
                       {
                           {"svcca.k", "-k,--k"},
                           {"svcca.variance_fraction", "--variance-fraction"},
                           {"cka.threshold", "--threshold"},
                           {"cka.debiased", "--debiased"},
                           {"shape.alpha", "--alpha"},
                           {"dsa.n_delays", "--n-delays"},
                           {"dsa.delay_interval", "--delay-interval"},
                           {"dsa.rank", "--rank"},
                           {"dsa.alignment.n_random_starts", "--alignment-starts"},
                           {"dsa.alignment.n_screening_iterations", "--alignment-screening"},
                           {"dsa.alignment.n_refined", "--alignment-refined"},
                           {"dsa.alignment.max_iterations", "--alignment-iterations"},
                           {"dsa.alignment.tolerance", "--alignment-tolerance"},
                           {"dsa.alignment.seed", "--alignment-seed"},
                           {"activity.n_trials", "--trials"},
                           {"activity.seed", "--activity-seed"},
                           {"activity.first_step", "--first-step"},
                           {"activity.step_stride", "--step-stride"},
                       });
  // The enum options, outside the schemas: a name from a fixed set.
  for (const Choice& c : choices()) {
    SchemaFlag& added = args->flags[c.path];
    std::string& value = (*args).*(c.value);
    added.flag = cmd->add_option(flag_of(c.path), value, c.help)
                     ->check(CLI::IsMember(c.names))
                     ->capture_default_str()
                     ->group(*group_of(c.path));
    if (c.old != nullptr) {
      added.old = deprecated_alias(cmd->add_option(c.old, value)->check(CLI::IsMember(c.names)),
                                   added.flag->get_name());
    }
  }
  args->topology_kind_flag =
      cmd->add_option("--topology-distance", args->topology_kind,
                      "topology: auto (label graphs for the flip-flop, else signatures), "
                      "label_graph or signature")
          ->check(CLI::IsMember(topology_distance_kind_names()))
          ->capture_default_str()
          ->group("options of --metric topology");
  // Old flags that set the option of several metrics.
  args->old_rank_tolerance =
      deprecated_alias(cmd->add_option("--rank-tolerance", args->rank_tolerance),
                       "--<metric>.rank-tolerance (--svcca.rank-tolerance, ...)");
  args->old_distance = deprecated_alias(cmd->add_option("--distance", args->distance)
                                            ->check(CLI::IsMember(sim::shape_distance_names())),
                                        "--shape.distance or --dsa.distance");

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
  // A flag of another metric's options is a parse error, so `reproduce --check` sees it too.
  cmd->parse_complete_callback([args] {
    try {
      check_flags_apply(*args);
    } catch (const UsageError& e) {
      throw CLI::ValidationError(e.what());
    }
  });
  return {cmd, [args, threads] {
            args->threads_given = threads.given();
            return run_compare(*args);
          }};
}

}  // namespace rnnatlas::cli
