// Writes example dynamics files for tests/dynamics/read_with_h5py.py, which checks them against
// docs/pipeline.md with h5py: one per task (hand-built networks with known scaffolds), an LSTM
// flip-flop (state [h; c]) and a sine-wave network whose transitions reach a limit cycle. Usage:
// rnnatlas_write_example_dynamics DIR

#include <exception>
#include <iostream>
#include <string>

#include "dynamics/analysis_testing.h"
#include "dynamics/dynamics_testing.h"
#include "rnnatlas/pipeline/dynamics_file.h"
#include "rnnatlas/tasks/tasks.h"

namespace {

using namespace rnnatlas;

AnalysisOptions quick() {
  AnalysisOptions options;
  options.n_initial_states = 128;
  options.n_trials = 3;
  options.fixed_points.max_iters = 300;
  options.transitions.max_steps = 500;
  options.frequency_measure_steps = 200;
  return options;
}

void write(const std::string& dir,
           const std::string& name,
           const Network& network,
           const Task& task,
           const AnalysisOptions& options) {
  NetworkDynamics d = analyze_network(network, task, options);
  d.network_id = name;
  d.network_file = "networks/" + name + ".h5";
  save_dynamics_file(dir + "/" + name + ".h5", d);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: " << argv[0] << " DIR\n";
    return 2;
  }
  const std::string dir = argv[1];
  try {
    AnalysisOptions flip_flop = quick();
    flip_flop.n_initial_states = 512;
    flip_flop.noise_scale = 1.0;
    flip_flop.fixed_points.lr_initial = 1.0;
    write(dir, "flip_flop", testing::flip_flop_network(), *make_flip_flop(), flip_flop);

    SineWaveOptions sine;
    sine.n_time = 40;
    AnalysisOptions strided = quick();
    strided.input_stride = 10;
    write(dir, "sine_wave", testing::rotation_network(1.05, 0.3), *make_sine_wave(sine), strided);

    ContextIntegrationOptions cdi;
    cdi.n_time = 20;
    write(dir, "context_integration", testing::line_attractor_network(),
          *make_context_integration(cdi), quick());

    Architecture lstm;
    lstm.cell = CellKind::kLstm;
    lstm.n_input = lstm.n_output = 3;
    lstm.n_hidden = 5;
    FlipFlopOptions short_trials;
    short_trials.n_time = 15;
    write(dir, "lstm_flip_flop", Network(lstm, /*seed=*/3), *make_flip_flop(short_trials), quick());

    SineWaveOptions two_inputs;
    two_inputs.n_frequencies = 2;
    two_inputs.n_time = 20;
    AnalysisOptions few = quick();
    few.n_initial_states = 16;
    write(dir, "limit_cycles",
          testing::autonomous_tanh_network(testing::rotation_scaling(1.05, 0.3)),
          *make_sine_wave(two_inputs), few);
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
