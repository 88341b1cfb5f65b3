// distance_matrix() over a population, one thread: per-network preparation and per-pair cost of
// SVCCA (k = 10) and linear CKA, on synthetic activity shaped like RNN activity (tanh of a shared
// 8-dimensional latent mixed into 64, 128 or 256 units, plus noise), n_samples = 3,200 (32 trials
// of 100 steps, `rnnatlas compare`'s default on the flip-flop). The counter `pairs` is pairs per
// CPU second over the whole call, preparation included.
#include <benchmark/benchmark.h>

#include <Eigen/Core>
#include <random>
#include <vector>

#include "rnnatlas/similarity/distance_matrix.h"

namespace {

using rnnatlas::similarity::DistanceMatrixOptions;
using rnnatlas::similarity::Metric;

std::vector<Eigen::MatrixXd> population(int n_networks, int n_samples, double dead_fraction) {
  std::mt19937_64 rng(1);
  std::normal_distribution<double> normal;
  const auto fill = [&](Eigen::MatrixXd& m, double scale) {
    for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = scale * normal(rng);
  };
  Eigen::MatrixXd latent(n_samples, 8);
  fill(latent, 1.0);
  std::vector<Eigen::MatrixXd> out;
  for (int i = 0; i < n_networks; ++i) {
    const int n_units = 64 << (i % 3);
    Eigen::MatrixXd mix(8, n_units), noise(n_samples, n_units);
    fill(mix, 1.0);
    fill(noise, 0.3);
    Eigen::MatrixXd x = (latent * mix + noise).array().tanh().matrix();
    x.rightCols(static_cast<Eigen::Index>(dead_fraction * n_units)).setZero();  // dead units
    out.push_back(std::move(x));
  }
  return out;
}

// Args: N networks, dead units in percent.
void run(benchmark::State& state, Metric metric) {
  const int n_networks = static_cast<int>(state.range(0));
  const std::vector<Eigen::MatrixXd> xs = population(n_networks, 3200, state.range(1) / 100.0);
  DistanceMatrixOptions options;
  options.metric = metric;
  for (auto _ : state) benchmark::DoNotOptimize(rnnatlas::similarity::distance_matrix(options, xs));
  const double n_pairs = 0.5 * n_networks * (n_networks - 1);
  state.counters["pairs"] =
      benchmark::Counter(n_pairs, benchmark::Counter::kIsIterationInvariantRate);
}

void BM_SvccaDistanceMatrix(benchmark::State& state) { run(state, Metric::kSvcca); }
void BM_LinearCkaDistanceMatrix(benchmark::State& state) { run(state, Metric::kCka); }

BENCHMARK(BM_SvccaDistanceMatrix)->Args({60, 0})->Args({150, 0})->Unit(benchmark::kSecond);
BENCHMARK(BM_LinearCkaDistanceMatrix)->Args({12, 0})->Args({12, 30})->Unit(benchmark::kSecond);

}  // namespace

BENCHMARK_MAIN();
