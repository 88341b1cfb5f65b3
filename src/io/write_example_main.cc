// Writes example network files for tests/io/read_with_h5py.py, which checks them against
// docs/network-file.md with h5py and PyTorch. Built only with BUILD_TESTING.
//
// Usage: rnnatlas_write_example_networks DIR
// For each cell kind writes DIR/<cell>.h5 (a small network briefly trained on flip_flop) and
// DIR/<cell>.reference.txt: one line per time step of a fixed input sequence, holding the
// n_input inputs and then the n_output outputs of Network::run, printed with 17 digits.
#include <cmath>
#include <cstdio>
#include <exception>
#include <string>

#include "rnnatlas/error.h"
#include "rnnatlas/io/network_file.h"
#include "rnnatlas/tasks/task.h"
#include "rnnatlas/training/train.h"

namespace {

using namespace rnnatlas;

void write_example(const std::string& dir, CellKind cell) {
  const std::string name(to_string(cell));
  NetworkRecord record;
  record.task_name = "flip_flop";
  record.task_params = {{"n_bits", 2}, {"n_time", 20}};
  const auto task = make_task(record.task_name, record.task_params);
  record.task_params = task->params();  // with defaults, as the CLI stores them
  record.init_seed = 7;
  record.network =
      Network(Architecture{cell, Activation::kTanh, task->n_input(), 6, task->n_output()},
              record.init_seed);
  record.train_options.n_iterations = 4;
  record.train_options.n_batch = 8;
  record.train_options.n_eval_batch = 16;
  record.summary = train(record.train_options, *task, record.network);
  save_network_file(dir + "/" + name + ".h5", record);

  const int n_time = 12;
  const int n_input = record.network.architecture().n_input;
  Eigen::MatrixXd inputs(n_input, n_time);
  for (int t = 0; t < n_time; ++t) {
    for (int i = 0; i < n_input; ++i) inputs(i, t) = std::sin(0.7 * t + 1.3 * i);
  }
  const Network::Trajectory trajectory = record.network.run(inputs, /*n_batch=*/1);
  const std::string reference = dir + "/" + name + ".reference.txt";
  std::FILE* out = std::fopen(reference.c_str(), "w");
  if (out == nullptr) throw IoError("cannot write " + reference);
  for (int t = 0; t < n_time; ++t) {
    for (int i = 0; i < n_input; ++i) std::fprintf(out, "%.17g ", inputs(i, t));
    for (int o = 0; o < trajectory.outputs.rows(); ++o) {
      std::fprintf(out, "%.17g ", trajectory.outputs(o, t));
    }
    std::fprintf(out, "\n");
  }
  if (std::fclose(out) != 0) throw IoError("cannot write " + reference);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  try {
    for (CellKind cell : {CellKind::kVanilla, CellKind::kGru, CellKind::kLstm, CellKind::kUgrnn}) {
      write_example(argv[1], cell);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
