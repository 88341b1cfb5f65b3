#include "rnnatlas/pipeline/dynamics_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <hdf5.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "dynamics/analysis_testing.h"
#include "io/h5.h"
#include "rnnatlas/error.h"
#include "rnnatlas/io/network_file.h"
#include "rnnatlas/tasks/tasks.h"

namespace rnnatlas {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

/// Equal, with NaN equal to NaN (the leading frequency of a real spectrum is NaN).
template <typename A, typename B>
bool same(const A& a, const B& b) {
  if (a.rows() != b.rows() || a.cols() != b.cols()) return false;
  for (Eigen::Index j = 0; j < a.cols(); ++j) {
    for (Eigen::Index i = 0; i < a.rows(); ++i) {
      const auto x = a(i, j), y = b(i, j);
      if (!(x == y) && !(x != x && y != y)) return false;
    }
  }
  return true;
}

void expect_same(const NetworkDynamics& a, const NetworkDynamics& b) {
  EXPECT_EQ(a.network_id, b.network_id);
  EXPECT_EQ(a.network_file, b.network_file);
  EXPECT_EQ(a.task, b.task);
  EXPECT_EQ(a.architecture.cell, b.architecture.cell);
  EXPECT_EQ(a.architecture.activation, b.architecture.activation);
  EXPECT_EQ(a.architecture.n_hidden, b.architecture.n_hidden);
  EXPECT_EQ(a.architecture.n_input, b.architecture.n_input);
  EXPECT_EQ(a.architecture.n_output, b.architecture.n_output);
  EXPECT_TRUE(same_analysis(a.options, b.options));
  ASSERT_EQ(a.conditions.size(), b.conditions.size());
  for (std::size_t k = 0; k < a.conditions.size(); ++k) {
    const ConditionDynamics &x = a.conditions[k], &y = b.conditions[k];
    SCOPED_TRACE("condition " + std::to_string(k));
    EXPECT_EQ(x.label, y.label);
    EXPECT_EQ(x.input, y.input);
    EXPECT_EQ(x.states, y.states);
    EXPECT_EQ(x.q, y.q);
    EXPECT_EQ(x.is_slow, y.is_slow);
    EXPECT_EQ(x.eigenvalues, y.eigenvalues);
    EXPECT_EQ(x.n_unstable, y.n_unstable);
    EXPECT_EQ(x.stability, y.stability);
    EXPECT_TRUE(same(x.leading_frequency, y.leading_frequency));
    EXPECT_EQ(x.readout, y.readout);
    EXPECT_EQ(x.transitions, y.transitions);
    EXPECT_EQ(x.n_candidates, y.n_candidates);
    EXPECT_EQ(x.n_converged, y.n_converged);
    EXPECT_EQ(x.n_slow, y.n_slow);
    EXPECT_EQ(x.n_merged, y.n_merged);
    EXPECT_EQ(x.n_outliers, y.n_outliers);
    EXPECT_EQ(x.n_unresolved, y.n_unresolved);
    EXPECT_EQ(x.n_unmatched, y.n_unmatched);
    EXPECT_EQ(x.cycle_transitions, y.cycle_transitions);
    ASSERT_EQ(x.limit_cycles.size(), y.limit_cycles.size());
    for (std::size_t c = 0; c < x.limit_cycles.size(); ++c) {
      const LimitCycle &u = x.limit_cycles[c], &v = y.limit_cycles[c];
      SCOPED_TRACE("limit cycle " + std::to_string(c));
      EXPECT_EQ(u.kind, v.kind);
      EXPECT_TRUE(
          same(Eigen::Vector2d(u.period, u.frequency), Eigen::Vector2d(v.period, v.frequency)));
      EXPECT_EQ(u.stability, v.stability);
      EXPECT_EQ(u.multipliers, v.multipliers);
      EXPECT_EQ(u.lyapunov_exponents, v.lyapunov_exponents);
      EXPECT_EQ(u.state, v.state);
      EXPECT_EQ(u.amplitude.center, v.amplitude.center);
      EXPECT_EQ(u.amplitude.half_range, v.amplitude.half_range);
      EXPECT_EQ(u.amplitude.rms_radius, v.amplitude.rms_radius);
      EXPECT_EQ(u.amplitude.max_radius, v.amplitude.max_radius);
    }
  }
  const ExampleTrajectories &e = a.trajectories, &f = b.trajectories;
  EXPECT_EQ(e.n_trials, f.n_trials);
  EXPECT_EQ(e.n_time, f.n_time);
  EXPECT_EQ(e.inputs, f.inputs);
  EXPECT_EQ(e.targets, f.targets);
  EXPECT_EQ(e.outputs, f.outputs);
  EXPECT_EQ(e.states, f.states);
  ASSERT_EQ(a.flip_flop.has_value(), b.flip_flop.has_value());
  if (a.flip_flop) {
    const FlipFlopAnalysis &x = *a.flip_flop, &y = *b.flip_flop;
    EXPECT_EQ(x.labels, y.labels);
    EXPECT_EQ(x.n_stable, y.n_stable);
    EXPECT_EQ(x.n_stable_corners, y.n_stable_corners);
    EXPECT_EQ(x.n_saddles, y.n_saddles);
    EXPECT_EQ(x.count_by_unstable, y.count_by_unstable);
    EXPECT_EQ(x.corner_transitions_one_bit, y.corner_transitions_one_bit);
    EXPECT_EQ(x.corner_transitions_total, y.corner_transitions_total);
  }
  ASSERT_EQ(a.sine_wave.has_value(), b.sine_wave.has_value());
  if (a.sine_wave) {
    const SineWaveAnalysis &x = *a.sine_wave, &y = *b.sine_wave;
    EXPECT_EQ(x.frequency_index, y.frequency_index);
    EXPECT_EQ(x.target_frequency, y.target_frequency);
    EXPECT_TRUE(same(x.predicted_frequency, y.predicted_frequency));
    EXPECT_TRUE(same(x.measured_frequency, y.measured_frequency));
    EXPECT_EQ(x.has_unstable_complex, y.has_unstable_complex);
  }
  ASSERT_EQ(a.context_integration.has_value(), b.context_integration.has_value());
  if (a.context_integration) {
    const ContextIntegrationAnalysis &x = *a.context_integration, &y = *b.context_integration;
    EXPECT_EQ(x.line_attractor_tol, y.line_attractor_tol);
    EXPECT_EQ(x.n_points, y.n_points);
    EXPECT_EQ(x.n_marginal_points, y.n_marginal_points);
    EXPECT_TRUE(same(x.eigenvalue_modulus, y.eigenvalue_modulus));
    EXPECT_TRUE(same(x.mode_response, y.mode_response));
    EXPECT_EQ(x.n_modes_90, y.n_modes_90);
  }
  EXPECT_EQ(a.topology.signature, b.topology.signature);
  EXPECT_EQ(a.topology.label_graph, b.topology.label_graph);
}

AnalysisOptions quick_options() {
  AnalysisOptions options;
  options.n_initial_states = 64;
  options.n_trials = 4;
  options.transitions.max_steps = 300;
  options.frequency_measure_steps = 200;
  return options;
}

NetworkDynamics flip_flop_dynamics() {
  AnalysisOptions options = quick_options();
  options.n_initial_states = 256;
  options.noise_scale = 1.0;
  NetworkDynamics d = analyze_network(testing::flip_flop_network(), *make_flip_flop(), options);
  d.network_id = "0000-vanilla-tanh-h3-s0";
  d.network_file = "networks/0000-vanilla-tanh-h3-s0.h5";
  return d;
}

NetworkDynamics sine_dynamics() {
  SineWaveOptions sw;
  sw.n_frequencies = 4;
  sw.n_time = 30;
  AnalysisOptions options = quick_options();
  options.input_stride = 3;
  NetworkDynamics d =
      analyze_network(testing::rotation_network(1.05, 0.3), *make_sine_wave(sw), options);
  d.network_id = "sine";
  d.network_file = "sine.h5";
  return d;
}

/// Sine-wave dynamics of a network whose unstable origin leads to limit cycles: an attracting
/// invariant curve (W = 1.05 R(0.3)) or a stable period-2 orbit (W = [-1.5]).
NetworkDynamics oscillator_dynamics(const Eigen::MatrixXd& W) {
  SineWaveOptions sw;
  sw.n_frequencies = 2;
  sw.n_time = 20;
  AnalysisOptions options = quick_options();
  options.n_initial_states = 16;
  NetworkDynamics d =
      analyze_network(testing::autonomous_tanh_network(W), *make_sine_wave(sw), options);
  d.network_id = W.rows() == 1 ? "orbit" : "curve";
  d.network_file = d.network_id + ".h5";
  return d;
}

NetworkDynamics curve_dynamics() {
  Eigen::MatrixXd W(2, 2);
  W << std::cos(0.3), -std::sin(0.3), std::sin(0.3), std::cos(0.3);
  return oscillator_dynamics(1.05 * W);
}

NetworkDynamics orbit_dynamics() {
  return oscillator_dynamics(Eigen::MatrixXd::Constant(1, 1, -1.5));
}

NetworkDynamics context_dynamics() {
  ContextIntegrationOptions cdi;
  cdi.n_time = 20;
  NetworkDynamics d = analyze_network(testing::line_attractor_network(),
                                      *make_context_integration(cdi), quick_options());
  d.network_id = "cdi";
  return d;
}

class DynamicsFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    root_ = fs::temp_directory_path() /
            ("rnnatlas_dynamics_file_" + std::to_string(::getpid()) + "_" + info->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }
  std::string path(const std::string& name) const { return (root_ / name).string(); }

  /// Runs `load` and expects an IoError whose message has every needle.
  template <typename Load>
  static void expect_io_error(Load load, const std::vector<std::string>& needles) {
    try {
      load();
      ADD_FAILURE() << "expected IoError";
    } catch (const IoError& e) {
      for (const std::string& needle : needles) EXPECT_THAT(e.what(), HasSubstr(needle));
    }
  }

  fs::path root_;
};

TEST_F(DynamicsFileTest, RoundTripsEveryTaskExactly) {
  for (const NetworkDynamics& d : {flip_flop_dynamics(), sine_dynamics(), context_dynamics()}) {
    SCOPED_TRACE(d.task);
    const std::string file = path(d.task + ".h5");
    save_dynamics_file(file, d);
    const NetworkDynamics loaded = load_dynamics_file(file);
    expect_same(d, loaded);
    const TopologySummary topology = load_topology_summary(file);
    EXPECT_EQ(topology.network_id, d.network_id);
    EXPECT_EQ(topology.task, d.task);
    EXPECT_EQ(topology.signature, d.topology.signature);
    EXPECT_EQ(topology.label_graph, d.topology.label_graph);
  }
}

TEST_F(DynamicsFileTest, RoundTripsLimitCyclesExactly) {
  for (const NetworkDynamics& d : {curve_dynamics(), orbit_dynamics()}) {
    SCOPED_TRACE(d.network_id);
    // Every condition has its cycle: the test covers both kinds.
    for (const ConditionDynamics& c : d.conditions) {
      ASSERT_EQ(c.limit_cycles.size(), 1u);
      EXPECT_EQ(c.limit_cycles[0].kind, d.network_id == "orbit" ? AttractorKind::kPeriodicOrbit
                                                                : AttractorKind::kInvariantCurve);
    }
    const std::string file = path(d.network_id + ".h5");
    save_dynamics_file(file, d);
    expect_same(d, load_dynamics_file(file));
  }
}

/// Deletes from an existing file what the limit cycles of the transitions added (the options
/// transitions.find_limit_cycles and transitions.limit_cycles.*, and per condition n_cycles, the
/// cycle_* datasets), leaving a file as written before them.
void remove_limit_cycles(const std::string& file, int n_conditions) {
  const hid_t id = H5Fopen(file.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  ASSERT_GE(id, 0);
  const hid_t options = H5Gopen2(id, "/options", H5P_DEFAULT);
  std::vector<std::string> names;
  H5Aiterate2(
      options, H5_INDEX_NAME, H5_ITER_INC, nullptr,
      [](hid_t, const char* name, const H5A_info_t*, void* data) -> herr_t {
        static_cast<std::vector<std::string>*>(data)->emplace_back(name);
        return 0;
      },
      &names);
  int n_removed = 0;
  for (const std::string& name : names) {
    if (name.starts_with("transitions.limit_cycles.") || name == "transitions.find_limit_cycles") {
      ASSERT_GE(H5Adelete(options, name.c_str()), 0);
      ++n_removed;
    }
  }
  EXPECT_GT(n_removed, 10);
  H5Gclose(options);
  for (int k = 0; k < n_conditions; ++k) {
    const std::string group = "/conditions/" + std::to_string(k);
    const hid_t g = H5Gopen2(id, group.c_str(), H5P_DEFAULT);
    ASSERT_GE(H5Adelete(g, "n_cycles"), 0);
    for (const char* name :
         {"cycle_kind", "cycle_period", "cycle_frequency", "cycle_stability",
          "cycle_multipliers_real", "cycle_multipliers_imag", "cycle_lyapunov_exponents",
          "cycle_state", "cycle_center", "cycle_half_range", "cycle_rms_radius", "cycle_max_radius",
          "cycle_transitions"}) {
      ASSERT_GE(H5Ldelete(g, name, H5P_DEFAULT), 0) << name;
    }
    H5Gclose(g);
  }
  H5Fclose(id);
}

TEST_F(DynamicsFileTest, FilesWrittenBeforeLimitCyclesReadAsNoneSought) {
  const NetworkDynamics d = curve_dynamics();
  const std::string file = path("before.h5");
  save_dynamics_file(file, d);
  remove_limit_cycles(file, static_cast<int>(d.conditions.size()));
  const NetworkDynamics old = load_dynamics_file(file);
  EXPECT_FALSE(old.options.transitions.find_limit_cycles);
  EXPECT_FALSE(same_analysis(old.options, d.options));  // so a population run redoes it
  AnalysisOptions expected = d.options;
  expected.transitions.find_limit_cycles = false;
  EXPECT_TRUE(same_analysis(old.options, expected));
  ASSERT_EQ(old.conditions.size(), d.conditions.size());
  for (std::size_t k = 0; k < d.conditions.size(); ++k) {
    const ConditionDynamics &x = d.conditions[k], &y = old.conditions[k];
    EXPECT_TRUE(y.limit_cycles.empty());
    EXPECT_EQ(y.cycle_transitions.rows(), x.n_points());
    EXPECT_EQ(y.cycle_transitions.cols(), 0);
    EXPECT_EQ(y.states, x.states);
    EXPECT_EQ(y.transitions, x.transitions);
  }
}

TEST_F(DynamicsFileTest, RoundTripsAConditionWithoutPoints) {
  NetworkDynamics d = sine_dynamics();
  ConditionDynamics& c = d.conditions[0];
  const int n = d.architecture.n_state();
  c.states.resize(n, 0);
  c.q.resize(0);
  c.is_slow.clear();
  c.eigenvalues.resize(n, 0);
  c.n_unstable.resize(0);
  c.stability.clear();
  c.leading_frequency.resize(0);
  c.readout.resize(1, 0);
  c.transitions.resize(0, 0);
  c.cycle_transitions.resize(0, 0);
  c.attractor.resize(0);
  c.continuous_attractors.clear();
  d.topology.signature.row(0).setZero();
  const std::string file = path("empty.h5");
  save_dynamics_file(file, d);
  expect_same(d, load_dynamics_file(file));
}

TEST_F(DynamicsFileTest, SaveRejectsInconsistentShapes) {
  NetworkDynamics d = sine_dynamics();
  d.conditions[0].q.resize(5);
  EXPECT_THROW(save_dynamics_file(path("bad.h5"), d), InvalidArgument);
  EXPECT_FALSE(fs::exists(path("bad.h5")));
  NetworkDynamics with_cycle = curve_dynamics();
  with_cycle.conditions[0].limit_cycles[0].multipliers.resize(2);  // a curve has none
  EXPECT_THROW(save_dynamics_file(path("bad.h5"), with_cycle), InvalidArgument);
  with_cycle = curve_dynamics();
  with_cycle.conditions[0].cycle_transitions.resize(1, 2);
  EXPECT_THROW(save_dynamics_file(path("bad.h5"), with_cycle), InvalidArgument);
  EXPECT_FALSE(fs::exists(path("bad.h5")));
}

TEST_F(DynamicsFileTest, UnreadableFilesNameThePathAndTheProblem) {
  const std::string missing = path("missing.h5");
  expect_io_error([&] { load_dynamics_file(missing); }, {missing, "no such file"});

  const std::string garbage = path("garbage.h5");
  std::ofstream(garbage) << std::string(4096, 'x');
  expect_io_error([&] { load_dynamics_file(garbage); }, {garbage, "not a readable HDF5 file"});

  const std::string good = path("good.h5"), truncated = path("truncated.h5");
  save_dynamics_file(good, sine_dynamics());
  const auto size = fs::file_size(good);
  fs::copy_file(good, truncated);
  fs::resize_file(truncated, size / 2);
  expect_io_error([&] { load_dynamics_file(truncated); }, {truncated});
  expect_io_error([&] { load_topology_summary(truncated); }, {truncated});
}

TEST_F(DynamicsFileTest, ANetworkFileIsNotADynamicsFile) {
  NetworkRecord record;
  record.network = testing::flip_flop_network();
  const std::string file = path("network.h5");
  save_network_file(file, record);
  expect_io_error([&] { load_dynamics_file(file); },
                  {file, "not an rnnatlas dynamics file", "rnnatlas.dynamics"});
}

TEST_F(DynamicsFileTest, NewerFormatVersionIsRefused) {
  const std::string file = path("newer.h5");
  {
    h5::ImageWriter writer;
    h5::write_attribute(writer.root(), "format", "rnnatlas.dynamics");
    h5::write_attribute(writer.root(), "format_version", kDynamicsFileFormatVersion + 1);
    h5::write_file_atomically(file, writer.finish());
  }
  expect_io_error(
      [&] { load_dynamics_file(file); },
      {file, "newer rnnatlas", "format version " + std::to_string(kDynamicsFileFormatVersion + 1)});
}

/// Replaces dataset `name` of an existing file by a float64 dataset of shape `dims`.
void replace_dataset(const std::string& file, const char* name, const std::vector<hsize_t>& dims) {
  const hid_t id = H5Fopen(file.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  ASSERT_GE(id, 0);
  ASSERT_GE(H5Ldelete(id, name, H5P_DEFAULT), 0);
  const hid_t space = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
  const hid_t dataset =
      H5Dcreate2(id, name, H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  ASSERT_GE(dataset, 0);
  hsize_t n = 1;
  for (const hsize_t d : dims) n *= d;
  const std::vector<double> zeros(n, 0.0);
  ASSERT_GE(H5Dwrite(dataset, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, zeros.data()), 0);
  H5Dclose(dataset);
  H5Sclose(space);
  H5Fclose(id);
}

/// Overwrites the values of the existing int64 dataset `name` of a file with `values`.
void overwrite_ints(const std::string& file,
                    const char* name,
                    const std::vector<long long>& values) {
  const hid_t id = H5Fopen(file.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  ASSERT_GE(id, 0);
  const hid_t dataset = H5Dopen2(id, name, H5P_DEFAULT);
  ASSERT_GE(dataset, 0);
  ASSERT_GE(H5Dwrite(dataset, H5T_NATIVE_LLONG, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), 0);
  H5Dclose(dataset);
  H5Fclose(id);
}

TEST_F(DynamicsFileTest, MisShapedDatasetsAreNamed) {
  const NetworkDynamics d = flip_flop_dynamics();
  const std::string good = path("good.h5");
  save_dynamics_file(good, d);
  const hsize_t p = static_cast<hsize_t>(d.conditions[0].n_points());
  struct Case {
    const char* dataset;
    std::vector<hsize_t> dims;
  };
  for (const Case& c : std::vector<Case>{{"/conditions/0/q", {p + 1}},
                                         {"/conditions/0/states", {p, 4}},
                                         {"/trajectories/states", {4, 100}},
                                         {"/topology/signature", {2, 11}},
                                         {"/analysis/count_by_unstable", {3}}}) {
    const std::string file = path("tampered.h5");
    fs::copy_file(good, file, fs::copy_options::overwrite_existing);
    replace_dataset(file, c.dataset, c.dims);
    expect_io_error([&] { load_dynamics_file(file); }, {file, c.dataset});
  }
  // The limit cycles of a file that has one.
  const NetworkDynamics curve = curve_dynamics();
  const std::string with_cycle = path("cycle.h5");
  save_dynamics_file(with_cycle, curve);
  const hsize_t q = static_cast<hsize_t>(curve.conditions[0].n_points());
  for (const Case& c : std::vector<Case>{{"/conditions/0/cycle_state", {1, 3}},
                                         {"/conditions/0/cycle_transitions", {q, 2}},
                                         {"/conditions/0/cycle_lyapunov_exponents", {1, 5}}}) {
    const std::string file = path("tampered.h5");
    fs::copy_file(with_cycle, file, fs::copy_options::overwrite_existing);
    replace_dataset(file, c.dataset, c.dims);
    expect_io_error([&] { load_dynamics_file(file); }, {file, c.dataset});
  }
  // An unknown kind code is named with what is allowed.
  const std::string file = path("kind.h5");
  fs::copy_file(with_cycle, file, fs::copy_options::overwrite_existing);
  overwrite_ints(file, "/conditions/0/cycle_kind", {0});  // 0: a fixed point is no cycle
  expect_io_error([&] { load_dynamics_file(file); },
                  {file, "cycle_kind", "expected 1 (periodic orbit) or 2 (invariant curve)"});
}

TEST(SameAnalysis, ComparesEveryField) {
  AnalysisOptions a, b;
  EXPECT_TRUE(same_analysis(a, b));
  b.n_initial_states = 256;
  EXPECT_FALSE(same_analysis(a, b));
  b = a;
  b.fixed_points.newton.tol_q = 1e-29;
  EXPECT_FALSE(same_analysis(a, b));
  b = a;
  b.seed = 1;
  EXPECT_FALSE(same_analysis(a, b));
  b = a;
  b.transitions.limit_cycles.shooting.newton.max_iters = 3;
  EXPECT_FALSE(same_analysis(a, b));
  b = a;
  b.transitions.find_limit_cycles = false;
  EXPECT_FALSE(same_analysis(a, b));
}

}  // namespace
}  // namespace rnnatlas
