// The dynamics file of docs/pipeline.md, through the HDF5 plumbing of io/h5.h.

#include "rnnatlas/pipeline/dynamics_file.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "io/h5.h"
#include "pipeline/dynamics_file_image.h"
#include "rnnatlas/config.h"
#include "rnnatlas/error.h"
#include "rnnatlas/format.h"
#include "rnnatlas/schema.h"

namespace rnnatlas {
namespace {

using Eigen::MatrixXd;
using Eigen::MatrixXi;
using Eigen::VectorXd;
using Eigen::VectorXi;
using h5::Node;

constexpr const char* kFormatName = "rnnatlas.dynamics";
constexpr const char* kWhat = "rnnatlas dynamics file";

/// Calls f(name, field) for every kStored field of AnalysisOptions (the fields that determine the
/// result), named by its path: the attributes of /options. Options may be const.
template <typename Options, typename F>
void visit_options(Options& o, F&& f) {
  for_each_field(o, [&](const std::string& path, const auto& field, auto& value) {
    if (field.is(kStored)) f(path.c_str(), value);
  });
}

/// Options added to /options after its first version. A file written before them lacks them:
/// - the limit cycles of the transitions: such a file sought none;
/// - newton.round_iters: no flag or key set it then, so such a file used the default.
bool is_limit_cycle_option(std::string_view name) {
  return name == "transitions.find_limit_cycles" || name.starts_with("transitions.limit_cycles.");
}
bool is_round_iters_option(std::string_view name) { return name.ends_with("newton.round_iters"); }

void read_field(const Node& node, const char* name, double& value) {
  value = h5::read_double(node, name);
}
void read_field(const Node& node, const char* name, int& value) {
  value = h5::read_int(node, name);
}
void read_field(const Node& node, const char* name, bool& value) {
  value = h5::read_bool(node, name);
}
void read_field(const Node& node, const char* name, std::uint64_t& value) {
  value = h5::read_uint64(node, name);
}

std::string text_of(double v) { return format_shortest(v); }
std::string text_of(int v) { return std::to_string(v); }
std::string text_of(bool v) { return v ? "1" : "0"; }
std::string text_of(std::uint64_t v) { return std::to_string(v); }

std::vector<std::string> option_texts(const AnalysisOptions& o) {
  std::vector<std::string> texts;
  visit_options(o, [&](const char*, const auto& v) { texts.push_back(text_of(v)); });
  return texts;
}

hsize_t h(Eigen::Index n) { return static_cast<hsize_t>(n); }

/// [channels, n_time * n_trials] (TrialBatch layout) as a row-major [n_trials, n_time, channels].
void write_trials(const Node& node, const char* name, const MatrixXd& m, int n_trials, int n_time) {
  const Eigen::Index channels = m.rows();
  std::vector<double> data(static_cast<std::size_t>(m.size()));
  for (int b = 0; b < n_trials; ++b) {
    for (int t = 0; t < n_time; ++t) {
      const Eigen::Index column = static_cast<Eigen::Index>(t) * n_trials + b;
      double* out = data.data() + (static_cast<Eigen::Index>(b) * n_time + t) * channels;
      for (Eigen::Index i = 0; i < channels; ++i) out[i] = m(i, column);
    }
  }
  h5::write_dataset(node, name, {h(n_trials), h(n_time), h(channels)}, data.data());
}

/// The inverse of write_trials; checks the shape [n_trials, n_time, channels] (channels >= 0 when
/// known, else taken from the file).
MatrixXd read_trials(
    const Node& node, const char* name, int n_trials, int n_time, Eigen::Index channels) {
  const h5::DoubleArray a = h5::read_dataset(node, name);
  const bool ok = a.dims.size() == 3 && a.dims[0] == h(n_trials) && a.dims[1] == h(n_time) &&
                  (channels < 0 || a.dims[2] == h(channels));
  if (!ok) {
    throw IoError(node.child(name) + " has shape " + h5::shape_string(a.dims) + ", expected [" +
                  std::to_string(n_trials) + ", " + std::to_string(n_time) + ", " +
                  (channels < 0 ? std::string("channels") : std::to_string(channels)) + "]");
  }
  channels = static_cast<Eigen::Index>(a.dims[2]);
  MatrixXd m(channels, static_cast<Eigen::Index>(n_time) * n_trials);
  for (int b = 0; b < n_trials; ++b) {
    for (int t = 0; t < n_time; ++t) {
      const double* in = a.values.data() + (static_cast<Eigen::Index>(b) * n_time + t) * channels;
      for (Eigen::Index i = 0; i < channels; ++i) {
        m(i, static_cast<Eigen::Index>(t) * n_trials + b) = in[i];
      }
    }
  }
  return m;
}

VectorXi stability_codes(const std::vector<StabilityClass>& classes) {
  VectorXi codes(static_cast<Eigen::Index>(classes.size()));
  for (std::size_t i = 0; i < classes.size(); ++i) codes[i] = static_cast<int>(classes[i]);
  return codes;
}

/// The stability class of code `code` (entry i of dataset `name` of g); IoError otherwise.
StabilityClass stability_of_code(const Node& g, const char* name, int i, int code) {
  if (code < 0 || code > 3) {
    throw IoError(g.child(name) + "[" + std::to_string(i) + "] is " + std::to_string(code) +
                  ", expected 0 (stable), 1 (marginal), 2 (saddle) or 3 (unstable)");
  }
  return static_cast<StabilityClass>(code);
}

/// Lyapunov exponents stored per limit cycle: min(n_lyapunov, n_state) of them.
int n_cycle_exponents(const AnalysisOptions& options, int n_state) {
  return std::min(options.transitions.limit_cycles.n_lyapunov, n_state);
}

/// Whether a limit cycle has the shapes the file stores.
bool cycle_shapes_ok(const LimitCycle& cycle, int n_state, int n_exponents) {
  const bool kind_ok =
      cycle.kind == AttractorKind::kPeriodicOrbit
          ? cycle.multipliers.size() == n_state
          : cycle.kind == AttractorKind::kInvariantCurve && cycle.multipliers.size() == 0;
  const OrbitAmplitude& a = cycle.amplitude;
  return kind_ok && cycle.lyapunov_exponents.size() == n_exponents &&
         cycle.state.size() == n_state && a.center.size() == n_state &&
         a.half_range.size() == n_state;
}

/// The limit cycles of one condition as the cycle_* datasets of `g` (one row per cycle).
void write_cycles(const Node& g, const std::vector<LimitCycle>& cycles, int n, int n_exponents) {
  const auto m = static_cast<Eigen::Index>(cycles.size());
  const double nan = std::numeric_limits<double>::quiet_NaN();
  VectorXi kind(m), stability(m);
  VectorXd period(m), frequency(m), rms_radius(m), max_radius(m);
  MatrixXd state(m, n), center(m, n), half_range(m, n), exponents(m, n_exponents);
  MatrixXd mu_real = MatrixXd::Constant(m, n, nan), mu_imag = MatrixXd::Constant(m, n, nan);
  for (Eigen::Index c = 0; c < m; ++c) {
    const LimitCycle& cycle = cycles[c];
    kind[c] = static_cast<int>(cycle.kind);
    stability[c] = static_cast<int>(cycle.stability);
    period[c] = cycle.period;
    frequency[c] = cycle.frequency;
    rms_radius[c] = cycle.amplitude.rms_radius;
    max_radius[c] = cycle.amplitude.max_radius;
    state.row(c) = cycle.state.transpose();
    center.row(c) = cycle.amplitude.center.transpose();
    half_range.row(c) = cycle.amplitude.half_range.transpose();
    exponents.row(c) = cycle.lyapunov_exponents.transpose();
    if (cycle.multipliers.size() == n) {
      mu_real.row(c) = cycle.multipliers.real().transpose();
      mu_imag.row(c) = cycle.multipliers.imag().transpose();
    }
  }
  h5::write_vector(g, "cycle_kind", kind);
  h5::write_vector(g, "cycle_period", period);
  h5::write_vector(g, "cycle_frequency", frequency);
  h5::write_vector(g, "cycle_stability", stability);
  h5::write_matrix(g, "cycle_multipliers_real", mu_real);
  h5::write_matrix(g, "cycle_multipliers_imag", mu_imag);
  h5::write_matrix(g, "cycle_lyapunov_exponents", exponents);
  h5::write_matrix(g, "cycle_state", state);
  h5::write_matrix(g, "cycle_center", center);
  h5::write_matrix(g, "cycle_half_range", half_range);
  h5::write_vector(g, "cycle_rms_radius", rms_radius);
  h5::write_vector(g, "cycle_max_radius", max_radius);
}

/// The inverse of write_cycles for `m` cycles.
std::vector<LimitCycle> read_cycles(const Node& g, int m, int n, int n_exponents) {
  const VectorXi kind = h5::read_int_vector(g, "cycle_kind", m);
  const VectorXd period = h5::read_vector(g, "cycle_period", m);
  const VectorXd frequency = h5::read_vector(g, "cycle_frequency", m);
  const VectorXi stability = h5::read_int_vector(g, "cycle_stability", m);
  const MatrixXd mu_real = h5::read_matrix(g, "cycle_multipliers_real", m, n);
  const MatrixXd mu_imag = h5::read_matrix(g, "cycle_multipliers_imag", m, n);
  const MatrixXd exponents = h5::read_matrix(g, "cycle_lyapunov_exponents", m, n_exponents);
  const MatrixXd state = h5::read_matrix(g, "cycle_state", m, n);
  const MatrixXd center = h5::read_matrix(g, "cycle_center", m, n);
  const MatrixXd half_range = h5::read_matrix(g, "cycle_half_range", m, n);
  const VectorXd rms_radius = h5::read_vector(g, "cycle_rms_radius", m);
  const VectorXd max_radius = h5::read_vector(g, "cycle_max_radius", m);
  std::vector<LimitCycle> cycles(m);
  for (int c = 0; c < m; ++c) {
    LimitCycle& cycle = cycles[c];
    if (kind[c] != static_cast<int>(AttractorKind::kPeriodicOrbit) &&
        kind[c] != static_cast<int>(AttractorKind::kInvariantCurve)) {
      throw IoError(g.child("cycle_kind") + "[" + std::to_string(c) + "] is " +
                    std::to_string(kind[c]) +
                    ", expected 1 (periodic orbit) or 2 (invariant curve)");
    }
    cycle.kind = static_cast<AttractorKind>(kind[c]);
    cycle.stability = stability_of_code(g, "cycle_stability", c, stability[c]);
    cycle.period = period[c];
    cycle.frequency = frequency[c];
    if (cycle.kind == AttractorKind::kPeriodicOrbit) {
      cycle.multipliers.resize(n);
      cycle.multipliers.real() = mu_real.row(c).transpose();
      cycle.multipliers.imag() = mu_imag.row(c).transpose();
    }
    cycle.lyapunov_exponents = exponents.row(c).transpose();
    cycle.state = state.row(c).transpose();
    cycle.amplitude.center = center.row(c).transpose();
    cycle.amplitude.half_range = half_range.row(c).transpose();
    cycle.amplitude.rms_radius = rms_radius[c];
    cycle.amplitude.max_radius = max_radius[c];
  }
  return cycles;
}

/// The continuous attractors of a condition as rows (shape code, dimension, n_unstable, n_points):
/// [n_attractors, 4].
MatrixXi continuous_attractor_table(const ConditionDynamics& c) {
  MatrixXi table(static_cast<Eigen::Index>(c.continuous_attractors.size()), 4);
  for (Eigen::Index i = 0; i < table.rows(); ++i) {
    const ContinuousAttractor& a = c.continuous_attractors[i];
    table.row(i) << static_cast<int>(a.shape), a.dimension, a.n_unstable, a.n_points;
  }
  return table;
}

/// The attractor columns of a condition, (format version >= 2); files of version 1 have none, and
/// load with every point isolated.
void read_continuous_attractors(const Node& g, int p, ConditionDynamics& c) {
  c.attractor = VectorXi::Constant(p, -1);
  if (!h5::has_child(g, "attractor")) return;
  c.attractor = h5::read_int_vector(g, "attractor", p);
  const int m = h5::read_int(g, "n_attractors");
  if (m < 0) throw IoError(h5::attribute_label(g, "n_attractors") + " is negative");
  const MatrixXi table = h5::read_int_matrix(g, "continuous_attractors", m, 4);
  for (Eigen::Index i = 0; i < table.rows(); ++i) {
    ContinuousAttractor a;
    if (table(i, 0) < 0 || table(i, 0) > static_cast<int>(AttractorShape::kManifold) ||
        table(i, 1) < 1 || table(i, 2) < 0 || table(i, 3) < 2) {
      throw IoError(g.child("continuous_attractors") + " row " + std::to_string(i) +
                    " is not (shape 0-2, dimension >= 1, n_unstable >= 0, n_points >= 2)");
    }
    a.shape = static_cast<AttractorShape>(table(i, 0));
    a.dimension = table(i, 1);
    a.n_unstable = table(i, 2);
    a.n_points = table(i, 3);
    c.continuous_attractors.push_back(a);
  }
  if ((c.attractor.array() < -1).any() ||
      (c.attractor.array() >= static_cast<int>(c.continuous_attractors.size())).any()) {
    throw IoError(g.child("attractor") + " has an index outside -1 .. n_attractors - 1");
  }
}

void check_shapes(const NetworkDynamics& d) {
  const Architecture& arch = d.architecture;
  const int n = arch.n_state();
  for (std::size_t k = 0; k < d.conditions.size(); ++k) {
    const ConditionDynamics& c = d.conditions[k];
    const int p = c.n_points();
    const bool ok =
        c.input.size() == arch.n_input && c.states.rows() == n && c.q.size() == p &&
        static_cast<int>(c.is_slow.size()) == p && c.eigenvalues.rows() == n &&
        c.eigenvalues.cols() == p && c.n_unstable.size() == p &&
        static_cast<int>(c.stability.size()) == p && c.leading_frequency.size() == p &&
        c.readout.rows() == arch.n_output && c.readout.cols() == p && c.transitions.rows() == p &&
        c.transitions.cols() == p && c.cycle_transitions.rows() == p &&
        c.cycle_transitions.cols() == static_cast<Eigen::Index>(c.limit_cycles.size()) &&
        c.attractor.size() == p &&
        (c.attractor.array() < static_cast<int>(c.continuous_attractors.size())).all();
    RNNATLAS_CHECK_ARG(ok, "save_dynamics_file: condition " << k << " has inconsistent shapes ("
                                                            << p << " points, n_state " << n
                                                            << ")");
    const int n_exponents = n_cycle_exponents(d.options, n);
    for (std::size_t i = 0; i < c.limit_cycles.size(); ++i) {
      RNNATLAS_CHECK_ARG(cycle_shapes_ok(c.limit_cycles[i], n, n_exponents),
                         "save_dynamics_file: limit cycle "
                             << i << " of condition " << k << " has inconsistent shapes (n_state "
                             << n << ", " << n_exponents
                             << " Lyapunov exponents, multipliers for periodic orbits only)");
    }
  }
  const ExampleTrajectories& e = d.trajectories;
  const Eigen::Index cols = static_cast<Eigen::Index>(e.n_time) * e.n_trials;
  RNNATLAS_CHECK_ARG(e.inputs.rows() == arch.n_input && e.inputs.cols() == cols &&
                         e.targets.rows() == arch.n_output && e.targets.cols() == cols &&
                         e.outputs.rows() == arch.n_output && e.outputs.cols() == cols &&
                         e.states.rows() == n && e.states.cols() == cols,
                     "save_dynamics_file: the example trajectories have inconsistent shapes");
  const int n_analyses =
      d.flip_flop.has_value() + d.sine_wave.has_value() + d.context_integration.has_value();
  RNNATLAS_CHECK_ARG(n_analyses == 1,
                     "save_dynamics_file: expected exactly one task analysis, got " << n_analyses);
  RNNATLAS_CHECK_ARG(
      d.topology.signature.rows() == static_cast<Eigen::Index>(d.conditions.size()) &&
          d.topology.signature.cols() == kSignatureColumns,
      "save_dynamics_file: the topology signature is not [n_conditions, " << kSignatureColumns
                                                                          << "]");
}

std::vector<unsigned char> build_image(const NetworkDynamics& d) {
  h5::ImageWriter writer;
  const Node& root = writer.root();
  const Architecture& arch = d.architecture;
  const int n = arch.n_state();
  const int n_conditions = static_cast<int>(d.conditions.size());
  h5::write_attribute(root, "format", kFormatName);
  h5::write_attribute(root, "format_version", kDynamicsFileFormatVersion);
  h5::write_attribute(root, "library_version", RNNATLAS_VERSION);
  h5::write_attribute(root, "created", h5::utc_timestamp());
  h5::write_attribute(root, "network_id", d.network_id);
  h5::write_attribute(root, "network_file", d.network_file);
  h5::write_attribute(root, "network_hash", d.network_hash);
  h5::write_attribute(root, "analysis_method", d.analysis_method);
  h5::write_attribute(root, "task", d.task);
  h5::write_attribute(root, "cell", to_string(arch.cell));
  h5::write_attribute(root, "activation", to_string(arch.activation));
  h5::write_attribute(root, "n_hidden", arch.n_hidden);
  h5::write_attribute(root, "n_state", n);
  h5::write_attribute(root, "n_input", arch.n_input);
  h5::write_attribute(root, "n_output", arch.n_output);
  h5::write_attribute(root, "n_conditions", n_conditions);

  {
    const Node options = h5::create_group(root, "options");
    visit_options(d.options, [&](const char* name, const auto& value) {
      h5::write_attribute(options, name, value);
    });
  }
  {
    const Node conditions = h5::create_group(root, "conditions");
    for (int k = 0; k < n_conditions; ++k) {
      const ConditionDynamics& c = d.conditions[k];
      const Node g = h5::create_group(conditions, std::to_string(k));
      h5::write_attribute(g, "label", c.label);
      h5::write_attribute(g, "n_candidates", c.n_candidates);
      h5::write_attribute(g, "n_converged", c.n_converged);
      h5::write_attribute(g, "n_slow", c.n_slow);
      h5::write_attribute(g, "n_merged", c.n_merged);
      h5::write_attribute(g, "n_outliers", c.n_outliers);
      h5::write_attribute(g, "n_points", c.n_points());
      h5::write_attribute(g, "n_unresolved", c.n_unresolved);
      h5::write_attribute(g, "n_unmatched", c.n_unmatched);
      h5::write_vector(g, "input", VectorXd(c.input));
      h5::write_matrix(g, "states", MatrixXd(c.states.transpose()));
      h5::write_vector(g, "q", VectorXd(c.q));
      h5::write_vector(g, "is_slow", c.is_slow);
      h5::write_matrix(g, "eigenvalues_real", MatrixXd(c.eigenvalues.real().transpose()));
      h5::write_matrix(g, "eigenvalues_imag", MatrixXd(c.eigenvalues.imag().transpose()));
      h5::write_vector(g, "n_unstable", VectorXi(c.n_unstable));
      h5::write_vector(g, "stability", stability_codes(c.stability));
      h5::write_vector(g, "leading_frequency", VectorXd(c.leading_frequency));
      h5::write_matrix(g, "readout", MatrixXd(c.readout.transpose()));
      h5::write_matrix(g, "transitions", MatrixXi(c.transitions));
      h5::write_attribute(g, "n_cycles", static_cast<int>(c.limit_cycles.size()));
      write_cycles(g, c.limit_cycles, n, n_cycle_exponents(d.options, n));
      h5::write_matrix(g, "cycle_transitions", MatrixXi(c.cycle_transitions));
      h5::write_attribute(g, "n_attractors", static_cast<int>(c.continuous_attractors.size()));
      h5::write_vector(g, "attractor", VectorXi(c.attractor));
      h5::write_matrix(g, "continuous_attractors", continuous_attractor_table(c));
    }
  }
  {
    const ExampleTrajectories& e = d.trajectories;
    const Node g = h5::create_group(root, "trajectories");
    write_trials(g, "inputs", e.inputs, e.n_trials, e.n_time);
    write_trials(g, "targets", e.targets, e.n_trials, e.n_time);
    write_trials(g, "outputs", e.outputs, e.n_trials, e.n_time);
    write_trials(g, "states", e.states, e.n_trials, e.n_time);
  }
  {
    const Node g = h5::create_group(root, "analysis");
    h5::write_attribute(g, "task", d.task);
    if (d.flip_flop) {
      const FlipFlopAnalysis& a = *d.flip_flop;
      h5::write_matrix(g, "labels", MatrixXi(a.labels));
      h5::write_attribute(g, "n_stable", a.n_stable);
      h5::write_attribute(g, "n_stable_corners", a.n_stable_corners);
      h5::write_attribute(g, "n_saddles", a.n_saddles);
      h5::write_vector(g, "count_by_unstable", VectorXi(a.count_by_unstable));
      h5::write_attribute(g, "corner_transitions_one_bit", a.corner_transitions_one_bit);
      h5::write_attribute(g, "corner_transitions_total", a.corner_transitions_total);
    } else if (d.sine_wave) {
      const SineWaveAnalysis& a = *d.sine_wave;
      h5::write_vector(g, "target_frequency", VectorXd(a.target_frequency));
      h5::write_vector(g, "predicted_frequency", VectorXd(a.predicted_frequency));
      h5::write_vector(g, "measured_frequency", VectorXd(a.measured_frequency));
      h5::write_vector(g, "has_unstable_complex", a.has_unstable_complex);
    } else {
      const ContextIntegrationAnalysis& a = *d.context_integration;
      h5::write_attribute(g, "line_attractor_tol", a.line_attractor_tol);
      h5::write_vector(g, "n_points", VectorXi(a.n_points));
      h5::write_vector(g, "n_marginal_points", VectorXi(a.n_marginal_points));
      h5::write_matrix(g, "eigenvalue_modulus", MatrixXd(a.eigenvalue_modulus));
      h5::write_matrix(g, "mode_response", MatrixXd(a.mode_response));
      h5::write_vector(g, "n_modes_90", VectorXi(a.n_modes_90));
    }
  }
  {
    const Node g = h5::create_group(root, "topology");
    h5::write_matrix(g, "signature", MatrixXi(d.topology.signature));
    if (d.topology.label_graph.size() > 0) {
      h5::write_matrix(g, "label_graph", MatrixXi(d.topology.label_graph));
    }
  }
  return writer.finish();
}

/// The root attributes shared by the full loader and the topology loader.
struct Header {
  std::string network_id, network_file, network_hash, task;
  int analysis_method = 1;  // files written before the attribute existed
  Architecture architecture;
  int n_conditions = 0;
  std::int64_t format_version = 0;
};

Header read_header(const Node& root) {
  Header header;
  header.format_version = h5::check_format(root, kFormatName, kDynamicsFileFormatVersion, kWhat);
  header.network_id = h5::read_string(root, "network_id");
  header.network_file = h5::read_string(root, "network_file");
  if (h5::has_attribute(root, "network_hash")) {
    header.network_hash = h5::read_string(root, "network_hash");
  }
  if (h5::has_attribute(root, "analysis_method")) {
    header.analysis_method = h5::read_int(root, "analysis_method");
  }
  header.task = h5::read_string(root, "task");
  Architecture& arch = header.architecture;
  try {
    arch.cell = parse_cell_kind(h5::read_string(root, "cell"));
    arch.activation = parse_activation(h5::read_string(root, "activation"));
  } catch (const InvalidArgument& e) {
    throw IoError(std::string("root attributes: ") + e.what());
  }
  arch.n_hidden = h5::read_int(root, "n_hidden");
  arch.n_input = h5::read_int(root, "n_input");
  arch.n_output = h5::read_int(root, "n_output");
  try {
    arch.validate();
  } catch (const InvalidArgument& e) {
    throw IoError(std::string("root attributes: ") + e.what());
  }
  const int n_state = h5::read_int(root, "n_state");
  if (n_state != arch.n_state()) {
    throw IoError(h5::attribute_label(root, "n_state") + " is " + std::to_string(n_state) +
                  ", but a " + std::string(to_string(arch.cell)) + " cell with n_hidden " +
                  std::to_string(arch.n_hidden) + " has n_state " + std::to_string(arch.n_state()));
  }
  header.n_conditions = h5::read_int(root, "n_conditions");
  if (header.n_conditions < 0) {
    throw IoError(h5::attribute_label(root, "n_conditions") + " is negative");
  }
  return header;
}

TopologySignature read_topology(const Node& root, const Header& header) {
  const Node g = h5::open_group(root, "topology");
  TopologySignature t;
  // Version 1 counted every fixed point, those of continuous attractors too, in 5 columns.
  t.signature = h5::read_int_matrix(g, "signature", header.n_conditions,
                                    header.format_version >= 2 ? kSignatureColumns : 5);
  if (h5::has_child(g, "label_graph")) {
    t.label_graph = h5::read_int_matrix(g, "label_graph");
    if (t.label_graph.rows() != t.label_graph.cols()) {
      throw IoError(g.child("label_graph") + " is not square");
    }
  }
  return t;
}

ConditionDynamics read_condition(const Node& conditions,
                                 int k,
                                 const Architecture& arch,
                                 const AnalysisOptions& options) {
  const Node g = h5::open_group(conditions, std::to_string(k));
  const int n = arch.n_state();
  ConditionDynamics c;
  c.label = h5::read_string(g, "label");
  c.n_candidates = h5::read_int(g, "n_candidates");
  c.n_converged = h5::read_int(g, "n_converged");
  c.n_slow = h5::read_int(g, "n_slow");
  c.n_merged = h5::read_int(g, "n_merged");
  c.n_outliers = h5::read_int(g, "n_outliers");
  c.n_unresolved = h5::read_int(g, "n_unresolved");
  c.n_unmatched = h5::read_int(g, "n_unmatched");
  const int p = h5::read_int(g, "n_points");
  if (p < 0) throw IoError(h5::attribute_label(g, "n_points") + " is negative");
  c.input = h5::read_vector(g, "input", arch.n_input);
  c.states = h5::read_matrix(g, "states", p, n).transpose();
  c.q = h5::read_vector(g, "q", p);
  c.is_slow = h5::read_bool_vector(g, "is_slow", p);
  const MatrixXd re = h5::read_matrix(g, "eigenvalues_real", p, n);
  const MatrixXd im = h5::read_matrix(g, "eigenvalues_imag", p, n);
  c.eigenvalues.resize(n, p);
  c.eigenvalues.real() = re.transpose();
  c.eigenvalues.imag() = im.transpose();
  c.n_unstable = h5::read_int_vector(g, "n_unstable", p);
  const VectorXi codes = h5::read_int_vector(g, "stability", p);
  c.stability.resize(p);
  for (int i = 0; i < p; ++i) c.stability[i] = stability_of_code(g, "stability", i, codes[i]);
  c.leading_frequency = h5::read_vector(g, "leading_frequency", p);
  c.readout = h5::read_matrix(g, "readout", p, arch.n_output).transpose();
  c.transitions = h5::read_int_matrix(g, "transitions", p, p);
  read_continuous_attractors(g, p, c);
  // Files written before the limit cycles of the transitions have none of the cycle_* datasets.
  if (!h5::has_attribute(g, "n_cycles")) {
    c.cycle_transitions = MatrixXi::Zero(p, 0);
    return c;
  }
  const int m = h5::read_int(g, "n_cycles");
  if (m < 0) throw IoError(h5::attribute_label(g, "n_cycles") + " is negative");
  c.limit_cycles = read_cycles(g, m, n, n_cycle_exponents(options, n));
  c.cycle_transitions = h5::read_int_matrix(g, "cycle_transitions", p, m);
  return c;
}

}  // namespace

namespace internal {

std::vector<unsigned char> dynamics_file_image(const NetworkDynamics& dynamics) {
  check_shapes(dynamics);
  return build_image(dynamics);
}

NetworkDynamics parse_dynamics_file_image(const std::vector<unsigned char>& image) {
  const h5::ImageReader reader(image);
  const Node& root = reader.root();
  const Header header = read_header(root);
  NetworkDynamics d;
  d.network_id = header.network_id;
  d.network_file = header.network_file;
  d.network_hash = header.network_hash;
  d.analysis_method = header.analysis_method;
  d.task = header.task;
  d.architecture = header.architecture;
  const Architecture& arch = d.architecture;
  const int n = arch.n_state();

  {
    const Node g = h5::open_group(root, "options");
    // Files written before the limit cycles of the transitions sought none.
    const bool before_cycles = !h5::has_attribute(g, "transitions.find_limit_cycles");
    visit_options(d.options, [&](const char* name, auto& value) {
      if (before_cycles && is_limit_cycle_option(name)) return;
      if (is_round_iters_option(name) && !h5::has_attribute(g, name)) return;
      read_field(g, name, value);
    });
    if (before_cycles) d.options.transitions.find_limit_cycles = false;
    try {
      d.options.validate();
    } catch (const InvalidArgument& e) {
      throw IoError(std::string("/options: ") + e.what());
    }
  }
  {
    const Node g = h5::open_group(root, "conditions");
    for (int k = 0; k < header.n_conditions; ++k) {
      d.conditions.push_back(read_condition(g, k, arch, d.options));
    }
    if (h5::has_child(g, std::to_string(header.n_conditions))) {
      throw IoError("/conditions has more groups than n_conditions = " +
                    std::to_string(header.n_conditions));
    }
  }
  {
    const Node g = h5::open_group(root, "trajectories");
    const h5::DoubleArray inputs = h5::read_dataset(g, "inputs");
    if (inputs.dims.size() != 3) {
      throw IoError(g.child("inputs") + " has shape " + h5::shape_string(inputs.dims) +
                    ", expected [n_trials, n_time, n_input]");
    }
    ExampleTrajectories& e = d.trajectories;
    e.n_trials = static_cast<int>(inputs.dims[0]);
    e.n_time = static_cast<int>(inputs.dims[1]);
    e.inputs = read_trials(g, "inputs", e.n_trials, e.n_time, arch.n_input);
    e.targets = read_trials(g, "targets", e.n_trials, e.n_time, arch.n_output);
    e.outputs = read_trials(g, "outputs", e.n_trials, e.n_time, arch.n_output);
    e.states = read_trials(g, "states", e.n_trials, e.n_time, n);
  }
  {
    const Node g = h5::open_group(root, "analysis");
    const std::string task = h5::read_string(g, "task");
    if (task != d.task) {
      throw IoError(h5::attribute_label(g, "task") + " is '" + task + "', the root's is '" +
                    d.task + "'");
    }
    const int m = header.n_conditions;
    if (task == "flip_flop") {
      FlipFlopAnalysis a;
      a.labels =
          h5::read_int_matrix(g, "labels", m > 0 ? d.conditions[0].n_points() : 0, arch.n_output);
      a.n_stable = h5::read_int(g, "n_stable");
      a.n_stable_corners = h5::read_int(g, "n_stable_corners");
      a.n_saddles = h5::read_int(g, "n_saddles");
      a.count_by_unstable = h5::read_int_vector(g, "count_by_unstable", n + 1);
      a.corner_transitions_one_bit = h5::read_int(g, "corner_transitions_one_bit");
      a.corner_transitions_total = h5::read_int(g, "corner_transitions_total");
      d.flip_flop = std::move(a);
    } else if (task == "sine_wave") {
      SineWaveAnalysis a;
      a.frequency_index.resize(m);
      for (int k = 0; k < m; ++k) a.frequency_index[k] = 1 + k * d.options.input_stride;
      a.target_frequency = h5::read_vector(g, "target_frequency", m);
      a.predicted_frequency = h5::read_vector(g, "predicted_frequency", m);
      a.measured_frequency = h5::read_vector(g, "measured_frequency", m);
      a.has_unstable_complex = h5::read_bool_vector(g, "has_unstable_complex", m);
      d.sine_wave = std::move(a);
    } else if (task == "context_integration") {
      ContextIntegrationAnalysis a;
      a.line_attractor_tol = h5::read_double(g, "line_attractor_tol");
      a.n_points = h5::read_int_vector(g, "n_points", m);
      a.n_marginal_points = h5::read_int_vector(g, "n_marginal_points", m);
      a.eigenvalue_modulus = h5::read_matrix(g, "eigenvalue_modulus", m, n);
      a.mode_response = h5::read_matrix(g, "mode_response", m, n);
      a.n_modes_90 = h5::read_int_vector(g, "n_modes_90", m);
      d.context_integration = std::move(a);
    } else {
      throw IoError(h5::attribute_label(g, "task") + " is '" + task +
                    "'; expected flip_flop, sine_wave or context_integration");
    }
  }
  d.topology = read_topology(root, header);
  return d;
}

TopologySummary parse_topology_summary_image(const std::vector<unsigned char>& image) {
  const h5::ImageReader reader(image);
  const Header header = read_header(reader.root());
  TopologySignature t = read_topology(reader.root(), header);
  return {header.network_id, header.task, std::move(t.signature), std::move(t.label_graph)};
}

}  // namespace internal

bool same_analysis(const AnalysisOptions& a, const AnalysisOptions& b) {
  return option_texts(a) == option_texts(b);
}

void save_dynamics_file(const std::string& path, const NetworkDynamics& dynamics) {
  try {
    h5::write_file_atomically(path, internal::dynamics_file_image(dynamics));
  } catch (const IoError& e) {
    throw IoError("cannot write dynamics file '" + path + "': " + e.what());
  }
}

NetworkDynamics load_dynamics_file(const std::string& path) {
  try {
    return internal::parse_dynamics_file_image(h5::read_file(path));
  } catch (const IoError& e) {
    throw IoError("cannot read dynamics file '" + path + "': " + e.what());
  }
}

TopologySummary load_topology_summary(const std::string& path) {
  try {
    return internal::parse_topology_summary_image(h5::read_file(path));
  } catch (const IoError& e) {
    throw IoError("cannot read dynamics file '" + path + "': " + e.what());
  }
}

}  // namespace rnnatlas
