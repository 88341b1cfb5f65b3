// The similarity stage: distance matrices of a sweep's kept networks.
#include "rnnatlas/pipeline/compare.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iomanip>
#include <limits>
#include <memory>
#include <set>
#include <sstream>

#include "common/tracked_runner.h"
#include "io/h5.h"
#include "pipeline/file_checks.h"
#include "rnnatlas/error.h"
#include "rnnatlas/format.h"
#include "rnnatlas/io/content_hash.h"
#include "rnnatlas/io/network_file.h"
#include "rnnatlas/pipeline/dynamics_file.h"
#include "rnnatlas/pipeline/population.h"
#include "rnnatlas/runner.h"
#include "rnnatlas/similarity/distance_matrix.h"
#include "rnnatlas/sweep/sweep.h"

namespace rnnatlas::similarity {
namespace {

namespace fs = std::filesystem;

constexpr const char* kTopology = "topology";

bool is_topology(const std::string& metric) { return metric == kTopology; }

// A kept network: its manifest row and what the sweep config says it is.
struct KeptNetwork {
  ManifestRow row;
  SweepNetwork network;  ///< the sweep directory's network of the row index: its settings
};

// The kept rows of DIR's manifest with their sweep-config entries, checked against each other.
std::vector<KeptNetwork> kept_networks(const std::string& dir, int* n_rows, SweepSpec* spec) {
  std::error_code error;
  if (!fs::is_directory(dir, error)) {
    throw IoError("cannot read sweep directory '" + dir + "': no such directory");
  }
  const std::vector<ManifestRow> rows = read_manifest(dir);
  *n_rows = static_cast<int>(rows.size());
  const std::string config = (fs::path(dir) / "sweep.toml").string();
  SweepPopulation population = read_sweep_population(dir);  // grown studies included
  *spec = population.spec;
  const int n_networks = static_cast<int>(population.networks.size());
  std::vector<KeptNetwork> kept;
  for (const ManifestRow& row : rows) {
    if (!row.kept) continue;
    const int index = row.network.index;
    if (index < 0 || index >= n_networks) {
      throw IoError(dir + "/manifest.csv: network '" + row.network.id + "' has index " +
                    std::to_string(index) + ", but " + config + " has " +
                    std::to_string(n_networks) + " networks");
    }
    SweepNetwork network = population.networks[index];
    if (network.id != row.network.id) {
      throw IoError(dir + "/manifest.csv: network " + std::to_string(index) + " is '" +
                    row.network.id + "', but " + config + " says '" + network.id + "'");
    }
    if (row.file.empty()) {
      throw IoError(dir + "/manifest.csv: kept network '" + row.network.id + "' has no file");
    }
    kept.push_back({row, std::move(network)});
  }
  return kept;
}

// The content hashes of the files the rows of `metric` are computed from, after checking them:
// every network file must be the one the manifest recorded; for topology, every dynamics file must
// have been made from that network file. Throws IoError naming the file and the command to rerun.
std::vector<std::string> input_hashes(const std::string& dir,
                                      const std::string& metric,
                                      const std::vector<KeptNetwork>& kept) {
  std::vector<std::string> hashes;
  for (const KeptNetwork& k : kept) {
    verified_network_file(dir, k.row);
    if (!is_topology(metric)) {
      hashes.push_back(k.row.file_hash);
      continue;
    }
    const std::string path = (fs::path(dir) / "dynamics" / (k.network.id + ".h5")).string();
    std::vector<unsigned char> bytes;
    std::string made_from;
    try {
      bytes = h5::read_file(path);
      const h5::ImageReader reader(bytes);
      if (h5::has_attribute(reader.root(), "network_hash")) {
        made_from = h5::read_string(reader.root(), "network_hash");
      }
    } catch (const IoError& e) {
      throw IoError("cannot read dynamics file '" + path + "': " + e.what() + " (run `rnnatlas " +
                    "dynamics " + dir + "` first)");
    }
    if (made_from != k.row.file_hash) {
      throw IoError("dynamics file '" + path + "' was not made from network file '" + k.row.file +
                    "' as it is now (network_hash " + (made_from.empty() ? "absent" : made_from) +
                    ", the manifest says " + k.row.file_hash + "): rerun `rnnatlas dynamics " +
                    dir + "` first");
    }
    hashes.push_back(
        content_hash(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size())));
  }
  return hashes;
}

// "" when `file` was computed from the files `hashes` (in row order); otherwise how they differ.
std::string input_difference(const DistanceFile& file, const std::vector<std::string>& hashes) {
  if (file.input_hashes.empty()) {
    return "it records no input hashes (written by an older rnnatlas)";
  }
  if (file.input_hashes == hashes) return "";
  int changed = 0;
  for (std::size_t i = 0; i < hashes.size() && i < file.input_hashes.size(); ++i) {
    changed += file.input_hashes[i] != hashes[i] ? 1 : 0;
  }
  return std::to_string(changed) + " of its " + std::to_string(hashes.size()) +
         " input files changed since it was computed";
}

NetworkLabels labels_of(const std::vector<KeptNetwork>& kept) {
  NetworkLabels labels;
  for (const KeptNetwork& k : kept) {
    const Architecture& a = k.network.architecture;
    labels.cell.emplace_back(to_string(a.cell));
    labels.activation.emplace_back(to_string(a.activation));
    labels.n_hidden.push_back(a.n_hidden);
    labels.l2.push_back(k.network.train_options.l2);
    labels.learning_rate.push_back(k.network.train_options.learning_rate);
    RNNATLAS_CHECK_ARG(
        k.network.seed <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()),
        "network '" << k.network.id << "': seed " << k.network.seed
                    << " does not fit the distance file's int64 seed labels");
    labels.seed.push_back(static_cast<std::int64_t>(k.network.seed));
  }
  return labels;
}

// "" when `file` was computed with `metric` and `params`; otherwise how they differ.
std::string option_difference(const DistanceFile& file,
                              const std::string& metric,
                              const Params& params) {
  std::vector<std::string> differences;
  if (file.metric != metric) differences.push_back("metric " + file.metric + ", not " + metric);
  std::set<std::string> names;
  for (const auto& [name, value] : file.params) names.insert(name);
  for (const auto& [name, value] : params) names.insert(name);
  for (const std::string& name : names) {
    const auto there = file.params.find(name);
    const auto here = params.find(name);
    const std::string old_text = there == file.params.end() ? "unset" : to_string(there->second);
    const std::string new_text = here == params.end() ? "unset" : to_string(here->second);
    if (there == file.params.end() || here == params.end() || there->second != here->second)
      differences.push_back(name + " = " + old_text + " there, " + new_text + " now");
  }
  return join(differences, "; ");
}

// "" when `file` holds exactly the networks `ids`, in that order; otherwise how they differ.
std::string network_difference(const DistanceFile& file, const std::vector<std::string>& ids) {
  if (file.network_ids == ids) return "";
  const std::set<std::string> old_ids(file.network_ids.begin(), file.network_ids.end());
  const std::set<std::string> new_ids(ids.begin(), ids.end());
  int added = 0, removed = 0;
  for (const std::string& id : new_ids) added += old_ids.count(id) == 0 ? 1 : 0;
  for (const std::string& id : old_ids) removed += new_ids.count(id) == 0 ? 1 : 0;
  std::ostringstream ss;
  ss << "kept networks: " << file.network_ids.size() << " there, " << ids.size() << " now";
  if (added > 0 || removed > 0) {
    ss << " (" << added << " new, " << removed << " no longer kept)";
  } else {
    ss << " (the same networks in another order)";
  }
  return ss.str();
}

// Checks that the kept networks can be compared at all before any work is done, so that the
// common mistakes get a message naming the option and the network rather than a pair index.
void check_activity_metric(const CompareOptions& options,
                           const std::vector<KeptNetwork>& kept,
                           int n_samples) {
  std::vector<int> units;
  for (const KeptNetwork& k : kept) {
    const Architecture& a = k.network.architecture;
    units.push_back(options.activity.state == StateSelection::kFull ? a.n_state() : a.n_hidden);
  }
  if (options.metric == "svcca" && options.svcca.variance_fraction == 0.0) {
    const std::string k = std::to_string(options.svcca.k);
    const auto smallest = std::min_element(units.begin(), units.end()) - units.begin();
    if (options.svcca.k > units[smallest]) {
      throw InvalidArgument("svcca.k", k,
                            "<= " + std::to_string(units[smallest]) +
                                " units, those of the smallest network ('" +
                                kept[smallest].network.id + "')");
    }
    if (2 * options.svcca.k >= n_samples) {
      throw InvalidArgument("svcca.k", k,
                            "< half the " + std::to_string(n_samples) +
                                " samples (trials x kept steps); use more trials or a smaller k");
    }
  }
  if (options.metric == "cca" || options.metric == "pwcca") {
    std::vector<int> sorted = units;
    std::sort(sorted.rbegin(), sorted.rend());
    RNNATLAS_CHECK_ARG(sorted[0] + sorted[1] < n_samples,
                       options.metric << ": networks of " << sorted[0] << " and " << sorted[1]
                                      << " units need more than " << sorted[0] + sorted[1]
                                      << " samples, but the activity has " << n_samples
                                      << " (trials x kept steps); raise activity.n_trials");
  }
  if (options.metric == "dsa") {
    DsaOptions dsa = options.dsa;
    dsa.n_steps = n_samples / options.activity.n_trials;
    for (std::size_t i = 0; i < kept.size(); ++i) {
      try {
        dsa.check_activity_shape(n_samples, units[i]);
      } catch (const InvalidArgument& e) {
        throw InvalidArgument("dsa: network '" + kept[i].network.id + "' (" +
                              std::to_string(units[i]) + " units, " +
                              std::to_string(options.activity.n_trials) + " trials of " +
                              std::to_string(dsa.n_steps) + " kept steps): " + e.what());
      }
    }
  }
}

// The topology distances of the networks `ids` (rows and columns in that order) from the topology
// summaries of their dynamics files.
Eigen::MatrixXd topology_distances(const std::string& dir,
                                   const std::vector<std::string>& ids,
                                   TopologyDistanceKind kind) {
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
}

Eigen::MatrixXd activity_distances(const std::string& dir,
                                   const CompareOptions& options,
                                   const Execution& execution,
                                   const Task& task,
                                   const std::vector<KeptNetwork>& kept,
                                   const std::vector<std::string>& ids) {
  const TrialBatch trials = activity_trials(options.activity, task);
  DistanceMatrixOptions matrix_options;
  matrix_options.metric = parse_metric(options.metric);
  matrix_options.cca = options.cca;
  matrix_options.svcca = options.svcca;
  matrix_options.cka = options.cka;
  matrix_options.shape = options.shape;
  matrix_options.dsa = options.dsa;
  matrix_options.dsa.n_steps = options.activity.n_steps(task.n_time());
  const auto activity = [&](int i) {
    const KeptNetwork& k = kept[i];
    const std::string path = (fs::path(dir) / k.row.file).string();
    const NetworkRecord record = load_network_file(path);
    const Architecture& want = k.network.architecture;
    const Architecture& got = record.network.architecture();
    if (got.cell != want.cell || got.activation != want.activation ||
        got.n_hidden != want.n_hidden || got.n_input != want.n_input) {
      throw IoError("network file '" + path + "' holds a " + std::string(to_string(got.cell)) +
                    " " + std::string(to_string(got.activation)) + " network of " +
                    std::to_string(got.n_hidden) + " units, not network '" + k.network.id +
                    "' of the sweep config");
    }
    return network_activity(options.activity, record.network, trials);
  };
  return distance_matrix(matrix_options, ids, activity, execution);
}

}  // namespace

const std::vector<std::string>& compare_metric_names() {
  static const std::vector<std::string> names = {"cca",   "svcca", "pwcca",  "cka",
                                                 "shape", "dsa",   kTopology};
  return names;
}

bool uses_activity(std::string_view metric) {
  const std::vector<std::string>& names = compare_metric_names();
  return metric != kTopology && std::find(names.begin(), names.end(), metric) != names.end();
}

std::string_view metric_options_name(std::string_view metric) {
  if (metric == "cca" || metric == "pwcca") return "cca";
  if (metric == "svcca" || metric == "cka" || metric == "shape" || metric == "dsa") return metric;
  return {};
}

const Schema<CompareOptions>& CompareOptions::schema() {
  static constexpr Schema<CompareOptions> kSchema{};
  return kSchema;
}

void CompareOptions::validate() const {
  const std::vector<std::string>& names = compare_metric_names();
  RNNATLAS_CHECK_FIELD(metric, std::find(names.begin(), names.end(), metric) != names.end(),
                       "one of " + join(names, ", "));
  RNNATLAS_CHECK_FIELD(name, name.empty() || internal::is_file_stem(name),
                       "a plain file name of letters, digits, '_', '-' and '.'");
  if (is_topology(metric)) return;
  // The activity's options and the metric's own; the others are not used.
  const std::string_view own = metric_options_name(metric);
  std::apply(
      [&](const auto&... nest) {
        const auto check = [&](const auto& n) {
          if (n.name == own || n.name == "activity") {
            rnnatlas::internal::validate_within(n.name, this->*(n.member));
          }
        };
        (check(nest), ...);
      },
      nested());
}

std::string CompareOptions::file_stem() const { return name.empty() ? metric : name; }

Params CompareOptions::params() const {
  if (is_topology(metric)) return {{"kind", std::string(to_string(topology_kind))}};
  Params p;
  if (metric == "cca" || metric == "pwcca") {
    p["rank_tolerance"] = cca.rank_tolerance;
  } else if (metric == "svcca") {
    p["k"] = std::int64_t{svcca.k};
    p["variance_fraction"] = svcca.variance_fraction;
    p["rank_tolerance"] = svcca.rank_tolerance;
  } else if (metric == "cka") {
    p["kernel"] = std::string(to_string(cka.kernel));
    p["threshold"] = cka.threshold;
    p["debiased"] = cka.debiased;
  } else if (metric == "shape") {
    p["alpha"] = shape.alpha;
    p["distance"] = std::string(to_string(shape.distance));
    p["rank_tolerance"] = shape.rank_tolerance;
  } else if (metric == "dsa") {
    p["n_delays"] = std::int64_t{dsa.n_delays};
    p["delay_interval"] = std::int64_t{dsa.delay_interval};
    p["rank"] = std::int64_t{dsa.rank};
    p["rank_tolerance"] = dsa.rank_tolerance;
    p["distance"] = std::string(to_string(dsa.distance));
    p["n_random_starts"] = std::int64_t{dsa.alignment.n_random_starts};
    p["n_screening_iterations"] = std::int64_t{dsa.alignment.n_screening_iterations};
    p["n_refined"] = std::int64_t{dsa.alignment.n_refined};
    p["max_iterations"] = std::int64_t{dsa.alignment.max_iterations};
    p["tolerance"] = dsa.alignment.tolerance;
    p["alignment_seed"] = dsa.alignment.seed;
  }
  p["n_trials"] = std::int64_t{activity.n_trials};
  p["activity_seed"] = activity.seed;
  p["first_step"] = std::int64_t{activity.first_step};
  p["step_stride"] = std::int64_t{activity.step_stride};
  p["state"] = std::string(to_string(activity.state));
  return p;
}

std::string CompareSummary::brief_report() const {
  std::ostringstream ss;
  if (resumed) {
    ss << metric << ": " << path << " is up to date (" << n_networks
       << " kept networks); nothing to do";
  } else {
    ss << metric << ": " << n_networks << " kept networks of " << n_manifest_rows << " -> " << path
       << (replaced ? " (replaced: " + replaced_because + ")" : "") << " in " << std::fixed
       << std::setprecision(1) << seconds << " s";
  }
  return ss.str();
}

std::string distance_file_path(const std::string& dir, const std::string& stem) {
  return (fs::path(dir) / "similarity" / (stem + ".h5")).string();
}

namespace {

// compare_population() once its runner, if any, is tracked (internal::with_runner()).
CompareSummary compare(const std::string& dir,
                       const CompareOptions& options,
                       const Execution& execution) {
  const auto start = std::chrono::steady_clock::now();
  options.validate();
  execution.validate();
  CompareSummary summary;
  summary.metric = options.metric;
  summary.path = distance_file_path(dir, options.file_stem());

  SweepSpec spec;
  const std::vector<KeptNetwork> kept = kept_networks(dir, &summary.n_manifest_rows, &spec);
  summary.n_networks = static_cast<int>(kept.size());
  RNNATLAS_CHECK_ARG(kept.size() >= 2,
                     dir << " has " << kept.size() << " kept network(s) of "
                         << summary.n_manifest_rows
                         << "; comparing needs at least 2 (train more networks, or raise the "
                            "sweep's [keep] max_normalized_mse)");
  std::vector<std::string> ids;
  ids.reserve(kept.size());
  for (const KeptNetwork& k : kept) ids.push_back(k.network.id);
  const Params params = options.params();
  std::unique_ptr<Task> task;
  if (!is_topology(options.metric)) {  // mistakes in the options first, before any file is read
    task = make_task(spec.task_name, spec.task_params);
    if (options.activity.first_step >= task->n_time()) {
      throw InvalidArgument("activity.first_step", std::to_string(options.activity.first_step),
                            "< the task's n_time = " + std::to_string(task->n_time()));
    }
    check_activity_metric(options, kept,
                          options.activity.n_trials * options.activity.n_steps(task->n_time()));
  }
  const std::vector<std::string> hashes = input_hashes(dir, options.metric, kept);

  std::error_code error;
  if (fs::exists(summary.path, error)) {
    try {
      const DistanceFile existing = load_distance_file(summary.path);
      const std::string options_differ = option_difference(existing, options.metric, params);
      RNNATLAS_CHECK_ARG(options.force || options_differ.empty(),
                         summary.path << " was computed with other options (" << options_differ
                                      << "); use force (--force) to replace it, or another name "
                                         "(--name)");
      summary.replaced_because = options_differ;
      if (options_differ.empty()) {
        // Same options: up to date, or stale because the sweep's kept networks or their files
        // changed.
        summary.replaced_because = network_difference(existing, ids);
        if (summary.replaced_because.empty()) {
          summary.replaced_because = input_difference(existing, hashes);
        }
        if (summary.replaced_because.empty()) {
          summary.resumed = true;
          summary.seconds =
              std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
          return summary;
        }
      }
    } catch (const IoError& e) {
      if (!options.force) {
        throw IoError(std::string(e.what()) + "; use force (--force) to replace it");
      }
      summary.replaced_because = "it could not be read";
    }
    summary.replaced = true;
  }

  DistanceFile file;
  file.metric = options.metric;
  file.params = params;
  file.network_ids = ids;
  file.labels = labels_of(kept);
  file.input_hashes = hashes;
  const bool writes = execution.runner == nullptr || execution.runner->is_coordinator();
  if (is_topology(options.metric)) {
    if (!writes) return summary;  // rank 0 computes the topology distances alone
    file.distances = topology_distances(dir, ids, options.topology_kind);
  } else {
    file.distances = activity_distances(dir, options, execution, *task, kept, ids);
    if (!writes) {  // another rank of an MPI job: rank 0 holds the matrix and writes it
      summary.seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      return summary;
    }
  }
  fs::create_directories(fs::path(summary.path).parent_path(), error);
  if (error) {
    throw IoError("cannot create directory '" + fs::path(summary.path).parent_path().string() +
                  "': " + error.message());
  }
  save_distance_file(summary.path, file);
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return summary;
}

}  // namespace

std::string distance_file_staleness(const std::string& dir, const DistanceFile& file) {
  int n_rows = 0;
  SweepSpec spec;
  const std::vector<KeptNetwork> kept = kept_networks(dir, &n_rows, &spec);
  std::vector<std::string> ids;
  ids.reserve(kept.size());
  for (const KeptNetwork& k : kept) ids.push_back(k.network.id);
  if (std::string why = network_difference(file, ids); !why.empty()) return why;
  return input_difference(file, input_hashes(dir, file.metric, kept));
}

CompareSummary compare_population(const std::string& dir,
                                  const CompareOptions& options,
                                  const Execution& execution) {
  return rnnatlas::internal::with_runner(execution.runner, [&](Runner* runner) {
    Execution tracked = execution;
    tracked.runner = runner;
    return compare(dir, options, tracked);
  });
}

}  // namespace rnnatlas::similarity
