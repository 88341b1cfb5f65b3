#include "targets.h"

#include <Eigen/Core>
#include <algorithm>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "app.h"
#include "cli.h"
#include "h5_edits.h"
#include "io/network_file_image.h"
#include "pipeline/distance_file_image.h"
#include "pipeline/dynamics_file_image.h"
#include "pipeline/embedding_file_image.h"
#include "rnnatlas/error.h"
#include "rnnatlas/sweep/manifest.h"
#include "rnnatlas/sweep/sweep_spec.h"
#include "rnnatlas/tasks/task.h"
#include "train_config.h"

namespace rnnatlas::fuzz {
namespace {

Outcome accepted() { return Outcome{true, {}}; }

Outcome rejected(const std::exception& e) { return Outcome{false, e.what()}; }

/// Reads `image` with `parse`: a clean rejection (IoError), or a value that survives a round
/// trip: written with `write` and read again, its file has the same contents (neither may throw:
/// the value came from a valid file). `check`, if given, is run on the value. Every HDF5 object
/// opened is closed, whatever the outcome.
template <typename Value>
Outcome read_image(const std::vector<unsigned char>& image,
                   Value (*parse)(const std::vector<unsigned char>&),
                   std::vector<unsigned char> (*write)(const Value&),
                   const std::type_identity_t<std::function<void(const Value&)>>& check = {}) {
  Value value;
  try {
    value = parse(image);
  } catch (const IoError& e) {
    assert_no_open_hdf5_objects();
    return rejected(e);
  }
  assert_no_open_hdf5_objects();
  if (check) check(value);
  const std::vector<unsigned char> written = write(value);
  RNNATLAS_ASSERT(contents(write(parse(written))) == contents(written),
                  "a file read, written and read again changed");
  return accepted();
}

const std::vector<CellKind> kCells = {CellKind::kVanilla, CellKind::kUgrnn, CellKind::kGru,
                                      CellKind::kLstm};

/// [rows, cols] of distinct values start + 0.25 i - 0.125 j.
Eigen::MatrixXd filled(Eigen::Index rows, Eigen::Index cols, double start) {
  return Eigen::MatrixXd::NullaryExpr(rows, cols, [start](Eigen::Index i, Eigen::Index j) {
    return start + 0.25 * static_cast<double>(i) - 0.125 * static_cast<double>(j);
  });
}

/// A small valid record: cell, size and task from the first bytes (all zero: a 1-unit vanilla
/// network on the first task).
NetworkRecord baseline_record(Bytes& in) {
  const CellKind cell = in.pick(kCells);
  const int n_hidden = 1 + in.next() % 3;
  const std::vector<std::string> tasks = task_names();
  const std::unique_ptr<Task> task = make_task(in.pick(tasks));
  const Architecture architecture{cell, Activation::kTanh, task->n_input(), n_hidden,
                                  task->n_output()};
  NetworkRecord record;
  record.init_seed = 7;
  record.network = Network(architecture, record.init_seed);
  record.task_name = std::string(task->name());
  record.task_params = task->params();
  record.summary.termination = Termination::kCompleted;
  record.summary.message = "completed";
  record.summary.n_iterations_done = 3;
  record.summary.loss_history = {1.0, 0.5, 0.25};
  record.summary.eval = EvalMetrics{0.1, 0.2, std::numeric_limits<double>::quiet_NaN(), 16};
  return record;
}

/// The limit cycle `i` of a condition of baseline_dynamics(): a periodic orbit for even i, an
/// invariant curve for odd i.
LimitCycle baseline_cycle(int i, int n_state, int n_exponents) {
  LimitCycle cycle;
  cycle.kind = i % 2 == 0 ? AttractorKind::kPeriodicOrbit : AttractorKind::kInvariantCurve;
  cycle.stability = static_cast<StabilityClass>(i % 4);
  cycle.period = 3.0 + i;
  cycle.frequency = 2.0 / cycle.period;
  if (cycle.kind == AttractorKind::kPeriodicOrbit) {
    cycle.multipliers.resize(n_state);
    cycle.multipliers.real() = Eigen::VectorXd::LinSpaced(n_state, 0.5, 0.25);
    cycle.multipliers.imag() = Eigen::VectorXd::LinSpaced(n_state, 0.125, -0.125);
  }
  cycle.lyapunov_exponents = Eigen::VectorXd::LinSpaced(n_exponents, 0.0, -0.5);
  cycle.state = Eigen::VectorXd::LinSpaced(n_state, 0.1, 0.2);
  cycle.amplitude.center = Eigen::VectorXd::LinSpaced(n_state, 0.0, 0.1);
  cycle.amplitude.half_range = Eigen::VectorXd::LinSpaced(n_state, 0.3, 0.4);
  cycle.amplitude.rms_radius = 0.25;
  cycle.amplitude.max_radius = 0.5;
  return cycle;
}

/// A small valid analysis with consistent shapes, from the first bytes: task, cell, n_hidden,
/// n_input and n_output (1 or 2), the number of conditions (0 to 2), then for each condition its
/// number of fixed points (0 to 2) and of limit cycles (0 to 2), then the number of example trials
/// (1 or 2). All zero: a flip-flop analysis of a 1-unit vanilla network, no conditions, 1 trial.
NetworkDynamics baseline_dynamics(Bytes& in) {
  static const std::vector<std::string> kTasks = {"flip_flop", "sine_wave", "context_integration"};
  NetworkDynamics d;
  d.task = in.pick(kTasks);
  Architecture& arch = d.architecture;
  arch.cell = in.pick(kCells);
  arch.n_hidden = 1 + in.next() % 2;
  arch.n_input = 1 + in.next() % 2;
  arch.n_output = 1 + in.next() % 2;
  d.network_id = "0003-gru-tanh-h2-s0";
  d.network_file = "networks/0003-gru-tanh-h2-s0.h5";
  const int n = arch.n_state();
  const int n_exponents = std::min(d.options.transitions.limit_cycles.n_lyapunov, n);
  const int n_conditions = in.next() % 3;
  for (int k = 0; k < n_conditions; ++k) {
    ConditionDynamics c;
    const int p = in.next() % 3;
    const int m = in.next() % 3;
    c.label = "condition " + std::to_string(k);
    c.input = Eigen::VectorXd::Constant(arch.n_input, 0.5 * k);
    c.states = filled(n, p, 0.1);
    c.q = Eigen::VectorXd::LinSpaced(p, 1e-12, 1e-6);
    c.is_slow.assign(p, false);
    if (p > 0) c.is_slow.back() = true;
    c.eigenvalues.resize(n, p);
    c.eigenvalues.real() = filled(n, p, 0.9);
    c.eigenvalues.imag() = filled(n, p, -0.2);
    c.n_unstable = Eigen::VectorXi::LinSpaced(p, 0, n);
    for (int i = 0; i < p; ++i) c.stability.push_back(static_cast<StabilityClass>(i % 4));
    c.leading_frequency = Eigen::VectorXd::Constant(p, std::numeric_limits<double>::quiet_NaN());
    c.readout = filled(arch.n_output, p, -0.5);
    c.transitions = Eigen::MatrixXi::Constant(p, p, 1);
    for (int i = 0; i < m; ++i) c.limit_cycles.push_back(baseline_cycle(i, n, n_exponents));
    c.cycle_transitions = Eigen::MatrixXi::Constant(p, m, 2);
    // Two points make one continuous attractor; fewer are isolated.
    c.attractor = Eigen::VectorXi::Constant(p, p == 2 ? 0 : -1);
    if (p == 2) c.continuous_attractors.push_back({AttractorShape::kOpenCurve, 1, 0, 2});
    c.n_candidates = 8;
    c.n_converged = 6;
    c.n_slow = 2;
    c.n_merged = 3;
    c.n_outliers = 1;
    c.n_unresolved = 1;
    c.n_unmatched = 0;
    d.conditions.push_back(std::move(c));
  }
  ExampleTrajectories& e = d.trajectories;
  e.n_trials = 1 + in.next() % 2;
  e.n_time = 3;
  e.inputs = filled(arch.n_input, e.n_time * e.n_trials, 0.0);
  e.targets = filled(arch.n_output, e.n_time * e.n_trials, 1.0);
  e.outputs = filled(arch.n_output, e.n_time * e.n_trials, 2.0);
  e.states = filled(n, e.n_time * e.n_trials, 3.0);
  const int m = n_conditions;
  if (d.task == "flip_flop") {
    FlipFlopAnalysis a;
    const int p = m > 0 ? d.conditions[0].n_points() : 0;
    a.labels = Eigen::MatrixXi::NullaryExpr(
        p, arch.n_output, [](Eigen::Index i, Eigen::Index j) { return (i + j) % 3 - 1; });
    a.n_stable = 1;
    a.n_stable_corners = 1;
    a.n_saddles = 1;
    a.count_by_unstable = Eigen::VectorXi::LinSpaced(n + 1, 2, 0);
    a.corner_transitions_one_bit = 1;
    a.corner_transitions_total = 2;
    d.flip_flop = std::move(a);
    const int n_labels = arch.n_output == 1 ? 3 : 9;
    d.topology.label_graph = Eigen::MatrixXi::Identity(n_labels, n_labels);
  } else if (d.task == "sine_wave") {
    SineWaveAnalysis a;
    a.frequency_index = Eigen::VectorXi::LinSpaced(m, 1, m);  // input_stride 1
    a.target_frequency = Eigen::VectorXd::LinSpaced(m, 0.1, 0.2);
    a.predicted_frequency = Eigen::VectorXd::LinSpaced(m, 0.15, 0.25);
    a.measured_frequency = Eigen::VectorXd::Constant(m, std::numeric_limits<double>::quiet_NaN());
    a.has_unstable_complex.assign(m, true);
    d.sine_wave = std::move(a);
  } else {
    ContextIntegrationAnalysis a;
    a.line_attractor_tol = 0.01;
    a.n_points = Eigen::VectorXi::Constant(m, 2);
    a.n_marginal_points = Eigen::VectorXi::Constant(m, 1);
    a.eigenvalue_modulus = filled(m, n, 1.0);
    a.mode_response = filled(m, n, 0.5);
    a.n_modes_90 = Eigen::VectorXi::Constant(m, 1);
    d.context_integration = std::move(a);
  }
  d.topology.signature = Eigen::MatrixXi::NullaryExpr(
      m, kSignatureColumns, [](Eigen::Index i, Eigen::Index j) { return static_cast<int>(i + j); });
  return d;
}

const std::vector<std::string> kMetrics = {"cka", "svcca", "topology"};

std::string network_id(int i) {
  return "000" + std::to_string(i) + "-gru-tanh-h2-s" + std::to_string(i);
}

/// A small valid distance file from the first bytes: metric, then N (1 to 3). All zero: CKA
/// distances of one network.
similarity::DistanceFile baseline_distances(Bytes& in) {
  similarity::DistanceFile file;
  file.metric = in.pick(kMetrics);
  file.params = {{"k", std::int64_t{10}},
                 {"kernel", std::string("linear")},
                 {"seed", std::uint64_t{7}},
                 {"alpha", 0.5},
                 {"center", true}};
  const int n = 1 + in.next() % 3;
  file.distances = Eigen::MatrixXd::NullaryExpr(n, n, [](Eigen::Index i, Eigen::Index j) {
    return 0.5 * static_cast<double>(std::abs(i - j));
  });
  similarity::NetworkLabels& l = file.labels;
  for (int i = 0; i < n; ++i) {
    file.network_ids.push_back(network_id(i));
    l.cell.emplace_back(i % 2 == 0 ? "gru" : "lstm");
    l.activation.emplace_back("tanh");
    l.n_hidden.push_back(2);
    l.l2.push_back(1e-4 * i);
    l.learning_rate.push_back(1e-3);
    l.seed.push_back(i);
  }
  return file;
}

/// A small valid embedding file from the first bytes: metric, N (1 to 3), then the number of
/// labels with cluster statistics (0 to 2). All zero: the CKA embedding of one network.
embedding::EmbeddingFile baseline_embedding(Bytes& in) {
  embedding::EmbeddingFile file;
  file.metric = in.pick(kMetrics);
  const int n = 1 + in.next() % 3;
  for (int i = 0; i < n; ++i) file.network_ids.push_back(network_id(i));
  file.classical = filled(n, 2, 0.5);
  file.classical_eigenvalues = Eigen::VectorXd::LinSpaced(n, 2.0, -1.0);
  file.smacof = filled(n, 2, -0.5);
  file.stress = 0.125;
  file.normalized_stress = 0.0625;
  const int n_labels = in.next() % 3;
  for (const char* label : {"cell", "activation"}) {
    if (static_cast<int>(file.clusters.size()) == n_labels) break;
    embedding::LabelClusters c;
    c.label = label;
    c.n_groups = 2;
    c.k = 1;
    c.stats = {0.25, 0.5, 0.75, 0.01, 0.5, 99};
    file.clusters.push_back(c);
  }
  file.options = {{"distances_digest", std::string("0123abcd")},
                  {"k_neighbors", std::int64_t{5}},
                  {"n_permutations", std::int64_t{99}},
                  {"seed", std::uint64_t{0}},
                  {"n_starts", std::int64_t{4}},
                  {"max_iterations", std::int64_t{300}},
                  {"tolerance", 1e-9}};
  return file;
}

}  // namespace

Outcome sweep_config(std::string_view data) {
  try {
    const SweepSpec spec = parse_sweep_config(std::string(data), "sweep.toml");
    // Everything a sweep derives from an accepted config must be computable.
    (void)spec.hash();
    if (spec.n_networks() > 0) (void)spec.network(spec.n_networks() - 1);
  } catch (const InvalidArgument& e) {
    return rejected(e);
  }
  return accepted();
}

Outcome train_config(std::string_view data) {
  try {
    (void)cli::parse_train_config(data, "train.toml");
  } catch (const cli::UsageError& e) {
    return rejected(e);
  }
  return accepted();
}

Outcome network_file_bytes(std::string_view data) {
  return read_image(std::vector<unsigned char>(data.begin(), data.end()),
                    internal::parse_network_file_image, internal::network_file_image);
}

Outcome network_file(std::string_view data) {
  Bytes in(data);
  return read_image(edited(internal::network_file_image(baseline_record(in)), in),
                    internal::parse_network_file_image, internal::network_file_image);
}

Outcome dynamics_file(std::string_view data) {
  Bytes in(data);
  const std::vector<unsigned char> image =
      edited(internal::dynamics_file_image(baseline_dynamics(in)), in);
  // The topology loader reads a part of what the full loader reads: whatever the full loader
  // accepts, it accepts too, with the same topology.
  std::optional<TopologySummary> topology;
  try {
    topology = internal::parse_topology_summary_image(image);
  } catch (const IoError&) {
  }
  assert_no_open_hdf5_objects();
  return read_image(image, internal::parse_dynamics_file_image, internal::dynamics_file_image,
                    [&](const NetworkDynamics& d) {
                      RNNATLAS_ASSERT(topology.has_value() &&
                                          topology->network_id == d.network_id &&
                                          topology->task == d.task &&
                                          topology->signature == d.topology.signature &&
                                          topology->label_graph == d.topology.label_graph,
                                      "the topology summary differs from the full file's");
                    });
}

Outcome distance_file(std::string_view data) {
  Bytes in(data);
  return read_image(edited(similarity::internal::distance_file_image(baseline_distances(in)), in),
                    similarity::internal::parse_distance_file_image,
                    similarity::internal::distance_file_image);
}

Outcome embedding_file(std::string_view data) {
  Bytes in(data);
  return read_image(edited(embedding::internal::embedding_file_image(baseline_embedding(in)), in),
                    embedding::internal::parse_embedding_file_image,
                    embedding::internal::embedding_file_image);
}

Outcome manifest_csv(std::string_view data) {
  std::vector<ManifestRow> rows;
  try {
    rows = parse_manifest_csv(std::string(data), "manifest.csv");
  } catch (const IoError& e) {
    return rejected(e);
  }
  // What was read formats to a manifest that reads back to the same rows (the text holds every
  // field the reader fills), and summarizes: every row in one group.
  const std::string text = format_manifest_csv(rows);
  RNNATLAS_ASSERT(format_manifest_csv(parse_manifest_csv(text, "manifest.csv")) == text,
                  "a manifest read, written and read again changed");
  const std::vector<PopulationGroup> groups = summarize_population(rows);
  int n_networks = 0;
  for (const PopulationGroup& group : groups) {
    RNNATLAS_ASSERT(group.n_trained <= group.n_networks && group.n_kept <= group.n_trained &&
                        group.n_diverged <= group.n_trained,
                    "a population group counts more trained, kept or diverged than networks");
    n_networks += group.n_networks;
  }
  RNNATLAS_ASSERT(n_networks == static_cast<int>(rows.size()), "the population summary counts "
                                                                   << n_networks << " networks for "
                                                                   << rows.size() << " rows");
  (void)format_summary_csv(groups, "0123456789abcdef");
  return accepted();
}

Outcome cli_arguments(std::string_view data) {
  // "rnnatlas" then one argument per line; a bounded number of arguments keeps runs fast.
  constexpr std::size_t kMaxArguments = 64;
  std::vector<std::string> arguments{"rnnatlas"};
  std::size_t begin = 0;
  while (begin <= data.size() && arguments.size() <= kMaxArguments) {
    std::size_t end = data.find('\n', begin);
    if (end == std::string_view::npos) end = data.size();
    arguments.emplace_back(data.substr(begin, end - begin));
    begin = end + 1;
  }
  std::vector<char*> argv;
  argv.reserve(arguments.size() + 1);
  for (std::string& argument : arguments) argv.push_back(argument.data());
  argv.push_back(nullptr);
  const int code =
      cli::run_cli(static_cast<int>(arguments.size()), argv.data(), cli::CliMode::kParseOnly);
  RNNATLAS_ASSERT(code == cli::kExitOk || code == cli::kExitUsage,
                  "parsing the command line returned exit code " << code);
  if (code == cli::kExitOk) return accepted();
  return Outcome{false, "exit code " + std::to_string(code)};
}

}  // namespace rnnatlas::fuzz
