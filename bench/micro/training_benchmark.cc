// Training throughput: one full BPTT iteration (trial generation, forward, backward, Adam) of a
// network on the 3-bit flip-flop, in float32 on one thread. bench/run_training_bench.py runs this
// beside the same configuration in PyTorch and prints the ratios.
#include <benchmark/benchmark.h>

#include "rnnatlas/tasks/tasks.h"
#include "rnnatlas/training/train.h"

namespace rnnatlas {
namespace {

// args: cell kind, n_hidden, n_batch, n_time
void BM_TrainIteration(benchmark::State& state) {
  const auto kind = static_cast<CellKind>(state.range(0));
  const int n_hidden = static_cast<int>(state.range(1));
  FlipFlopOptions task_options;
  task_options.n_time = static_cast<int>(state.range(3));
  const auto task = make_flip_flop(task_options);
  Network net(Architecture{kind, Activation::kTanh, 3, n_hidden, 3}, 1);
  TrainOptions options;
  options.n_batch = static_cast<int>(state.range(2));
  options.n_iterations = 10;
  options.n_eval_batch = 1;
  options.learning_rate = 1e-4;
  for (auto _ : state) {
    const TrainSummary s = train(options, *task, net);
    benchmark::DoNotOptimize(s.loss_history.data());
  }
  state.SetLabel(std::string(to_string(kind)));
  // Report per training iteration: each benchmark iteration runs options.n_iterations of them.
  state.counters["ms_per_iteration"] = benchmark::Counter(
      1e3 * options.n_iterations, benchmark::Counter::kIsIterationInvariantRate |
                                      benchmark::Counter::kInvert);
}

BENCHMARK(BM_TrainIteration)
    ->ArgNames({"cell", "n_hidden", "n_batch", "n_time"})
    ->Args({static_cast<int>(CellKind::kVanilla), 128, 64, 100})
    ->Args({static_cast<int>(CellKind::kUgrnn), 128, 64, 100})
    ->Args({static_cast<int>(CellKind::kGru), 128, 64, 100})
    ->Args({static_cast<int>(CellKind::kLstm), 128, 64, 100})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace rnnatlas

BENCHMARK_MAIN();
