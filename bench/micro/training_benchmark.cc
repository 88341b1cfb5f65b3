// Training throughput: whole training iterations (trial generation, forward, BPTT, global-norm
// clipping, Adam) of a network on the 3-bit flip-flop, float32, on the calling thread only.
// bench/run_training_bench.py runs this beside the same configuration in PyTorch and prints the
// ratios; bench/README.md explains the numbers.
//
// One benchmark iteration is one call of train() with kTrainIterations minibatch updates, so the
// per-call set-up (cell, buffers, the final one-trial evaluation) is amortised as it is in real
// training. Times are CPU time (the benchmark is single-threaded; CPU time is the robust measure
// on a shared machine); real_time is reported beside it. Counters, per training iteration:
//   ms_per_iteration  CPU milliseconds per minibatch update
//   gemm_flops        FLOP/s of the dominant matrix products (formula in gemm_flops_per_iteration)
#include <benchmark/benchmark.h>

#include <string>

#include "rnnatlas/models/cell.h"
#include "rnnatlas/tasks/tasks.h"
#include "rnnatlas/training/train.h"

namespace rnnatlas {
namespace {

constexpr int kTrainIterations = 40;  // minibatch updates per benchmark iteration

// FLOPs of the matrix products of one training iteration, with G = n_gates * N rows of W_hh:
// forward W_hh h, backward W_hh^T dq and dW_hh = dQ H^T (2 G N B T each), plus the input
// projection and the readout, each once forward and twice backward (data and weight gradients).
double gemm_flops_per_iteration(
    int n_gates, int n_input, int n_hidden, int n_output, int n_batch, int n_time) {
  const double G = double(n_gates) * n_hidden, N = n_hidden, BT = double(n_batch) * n_time;
  return 3 * 2 * G * N * BT + 3 * 2 * G * n_input * BT + 3 * 2 * n_output * N * BT;
}

// args: n_hidden, n_batch, n_time
void BM_Train(benchmark::State& state, CellKind kind) {
  const int n_hidden = static_cast<int>(state.range(0));
  const int n_batch = static_cast<int>(state.range(1));
  const int n_time = static_cast<int>(state.range(2));
  FlipFlopOptions task_options;  // 3 bits: n_input = n_output = 3
  task_options.n_time = n_time;
  const auto task = make_flip_flop(task_options);
  const int n_io = task_options.n_bits;
  Network net(Architecture{kind, Activation::kTanh, n_io, n_hidden, n_io}, /*seed=*/1);
  TrainOptions options;
  options.n_batch = n_batch;
  options.n_iterations = kTrainIterations;
  options.n_eval_batch = 1;
  options.learning_rate = 1e-4;  // small, so that the weights stay in range however long it runs
  for (auto _ : state) {
    const TrainSummary s = train(options, *task, net);
    benchmark::DoNotOptimize(s.loss_history.data());
  }
  state.SetLabel(std::string(to_string(kind)));
  // Rate counters are divided by the measured (CPU) time; kInvert turns them into time per unit.
  // value / seconds, times the benchmark iterations, inverted: seconds / (value * iterations),
  // which is milliseconds per training iteration for value = kTrainIterations / 1000. (The console
  // reporter appends "s" to every inverted counter: read "15.9s" there as 15.9 ms.)
  state.counters["ms_per_iteration"] =
      benchmark::Counter(kTrainIterations * 1e-3, benchmark::Counter::kIsIterationInvariantRate |
                                                      benchmark::Counter::kInvert);
  state.counters["gemm_flops"] = benchmark::Counter(
      kTrainIterations * gemm_flops_per_iteration(
                             make_cell<float>(kind, Activation::kTanh, n_io, n_hidden)->n_gates(),
                             n_io, n_hidden, n_io, n_batch, n_time),
      benchmark::Counter::kIsIterationInvariantRate, benchmark::Counter::kIs1000);
}

// The configuration of the PyTorch comparison (bench/README.md).
void TrainArgs(benchmark::internal::Benchmark* b) {
  b->ArgNames({"n_hidden", "n_batch", "n_time"})
      ->Args({128, 64, 100})
      ->Unit(benchmark::kMillisecond);
}

// Names: BM_Train/<cell>/n_hidden:128/n_batch:64/n_time:100.
BENCHMARK_CAPTURE(BM_Train, vanilla, CellKind::kVanilla)->Apply(TrainArgs);
BENCHMARK_CAPTURE(BM_Train, ugrnn, CellKind::kUgrnn)->Apply(TrainArgs);
BENCHMARK_CAPTURE(BM_Train, gru, CellKind::kGru)->Apply(TrainArgs);
BENCHMARK_CAPTURE(BM_Train, lstm, CellKind::kLstm)->Apply(TrainArgs);

}  // namespace
}  // namespace rnnatlas

BENCHMARK_MAIN();
