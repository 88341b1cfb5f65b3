// Single-precision matrix products on one thread: the machine's sgemm peak (a large square
// product), and the products that dominate training, at the shapes and storage orders the cells
// use (src/models/*_cell.cc). The counter `flops` is FLOP/s (2 M N K per product).
// bench/README.md uses the peak for the roofline bound of the training benchmark.
//
// Each product runs with Eigen (what rnnatlas uses) and, when CMake found a BLAS, with the
// system's cblas_sgemm (Debian: libblas.so.3, i.e. OpenBLAS when libopenblas0 is installed; the
// library actually loaded is printed in the context as blas_library). Run pinned to one core
// (taskset -c 1 ...) or with OMP_NUM_THREADS=1 so that OpenBLAS uses one thread.
//
// Shapes, with G = n_gates * n_hidden rows of W_hh [G, N] (row-major, a view of the parameter
// vector), B = n_batch, T = n_time, per training iteration:
//   step forward    Q = W_hh H_t,            [G, N] x [N, B],    T times
//   step backward   dH += W_hh^T dQ_t,       [N, G] x [G, B],    T times
//   weight gradient dW_hh += dQ H^T,         [G, TB] x [TB, N],  once
#include <benchmark/benchmark.h>

#include <Eigen/Core>

#if RNNATLAS_BENCH_WITH_BLAS
#include <cblas.h>
#include <dlfcn.h>

#include <climits>
#include <cstdlib>
#endif

namespace {

using MatF = Eigen::MatrixXf;
using RowMatF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

enum class Backend { kEigen, kBlas };

void set_flops(benchmark::State& state, double m, double n, double k) {
  state.counters["flops"] = benchmark::Counter(
      2 * m * n * k, benchmark::Counter::kIsIterationInvariantRate, benchmark::Counter::kIs1000);
}

// C = beta C + op(A) op(B) for Eigen operands of any storage order (BLAS backend only).
template <typename A, typename B, typename C>
void blas_gemm(bool trans_a, const A& a, bool trans_b, const B& b, float beta, C& c) {
#if RNNATLAS_BENCH_WITH_BLAS
  // In C's storage order, a matrix stored in the other order is its transpose.
  constexpr bool kRowMajor = C::IsRowMajor;
  const bool ta = trans_a != (A::IsRowMajor != kRowMajor);
  const bool tb = trans_b != (B::IsRowMajor != kRowMajor);
  cblas_sgemm(kRowMajor ? CblasRowMajor : CblasColMajor, ta ? CblasTrans : CblasNoTrans,
              tb ? CblasTrans : CblasNoTrans, int(c.rows()), int(c.cols()),
              int(trans_a ? a.rows() : a.cols()), 1.0f, a.data(), int(a.outerStride()), b.data(),
              int(b.outerStride()), beta, c.data(), int(c.outerStride()));
#else
  (void)trans_a, (void)a, (void)trans_b, (void)b, (void)beta, (void)c;
#endif
}

// args: M, N, K. C [M, N] = A [M, K] B [K, N], all column-major.
void BM_Sgemm(benchmark::State& state, Backend backend) {
  const auto m = state.range(0), n = state.range(1), k = state.range(2);
  const MatF a = MatF::Random(m, k), b = MatF::Random(k, n);
  MatF c = MatF::Zero(m, n);
  for (auto _ : state) {
    if (backend == Backend::kEigen) {
      c.noalias() = a * b;
    } else {
      blas_gemm(false, a, false, b, 0.0f, c);
    }
    benchmark::DoNotOptimize(c.data());
    benchmark::ClobberMemory();
  }
  set_flops(state, m, n, k);
}

// args: G, N, B. Q [G, B] = W_hh [G, N] (row-major) H [N, B].
void BM_StepForward(benchmark::State& state, Backend backend) {
  const auto g = state.range(0), n = state.range(1), b = state.range(2);
  const RowMatF w = RowMatF::Random(g, n);
  const MatF h = MatF::Random(n, b);
  MatF q = MatF::Zero(g, b);
  for (auto _ : state) {
    if (backend == Backend::kEigen) {
      q.noalias() = w * h;
    } else {
      blas_gemm(false, w, false, h, 0.0f, q);
    }
    benchmark::DoNotOptimize(q.data());
    benchmark::ClobberMemory();
  }
  set_flops(state, g, b, n);
}

// args: G, N, B. dH [N, B] += W_hh^T [N, G] dQ [G, B].
void BM_StepBackward(benchmark::State& state, Backend backend) {
  const auto g = state.range(0), n = state.range(1), b = state.range(2);
  const RowMatF w = RowMatF::Random(g, n);
  const MatF dq = MatF::Random(g, b);
  MatF dh = MatF::Zero(n, b);
  for (auto _ : state) {
    if (backend == Backend::kEigen) {
      dh.noalias() += w.transpose() * dq;
    } else {
      blas_gemm(true, w, false, dq, 1.0f, dh);
    }
    benchmark::DoNotOptimize(dh.data());
    benchmark::ClobberMemory();
  }
  set_flops(state, n, b, g);
}

// args: G, N, TB. dW_hh [G, N] (row-major) += dQ [G, TB] H^T [TB, N].
void BM_WeightGradient(benchmark::State& state, Backend backend) {
  const auto g = state.range(0), n = state.range(1), tb = state.range(2);
  const MatF dq = MatF::Random(g, tb), h = MatF::Random(n, tb);
  RowMatF dw = RowMatF::Zero(g, n);
  for (auto _ : state) {
    if (backend == Backend::kEigen) {
      dw.noalias() += dq * h.transpose();
    } else {
      blas_gemm(false, dq, true, h, 1.0f, dw);
    }
    benchmark::DoNotOptimize(dw.data());
    benchmark::ClobberMemory();
  }
  set_flops(state, g, n, tb);
}

void PeakArgs(benchmark::internal::Benchmark* b) {
  b->ArgNames({"M", "N", "K"})->Args({2048, 2048, 2048})->Unit(benchmark::kMillisecond);
}
// G = n_gates * 128 for vanilla, UGRNN, GRU, LSTM; N = 128; B = 64; T = 100.
void StepArgs(benchmark::internal::Benchmark* b) {
  b->ArgNames({"G", "N", "B"})->Unit(benchmark::kMicrosecond);
  for (int gates = 1; gates <= 4; ++gates) b->Args({gates * 128, 128, 64});
}
void WeightGradientArgs(benchmark::internal::Benchmark* b) {
  b->ArgNames({"G", "N", "TB"})->Unit(benchmark::kMicrosecond);
  for (int gates = 1; gates <= 4; ++gates) b->Args({gates * 128, 128, 64 * 100});
}

// Names: BM_<product>/<backend>/<args>, e.g. BM_Sgemm/eigen/M:2048/N:2048/K:2048.
BENCHMARK_CAPTURE(BM_Sgemm, eigen, Backend::kEigen)->Apply(PeakArgs);
BENCHMARK_CAPTURE(BM_StepForward, eigen, Backend::kEigen)->Apply(StepArgs);
BENCHMARK_CAPTURE(BM_StepBackward, eigen, Backend::kEigen)->Apply(StepArgs);
BENCHMARK_CAPTURE(BM_WeightGradient, eigen, Backend::kEigen)->Apply(WeightGradientArgs);
#if RNNATLAS_BENCH_WITH_BLAS
BENCHMARK_CAPTURE(BM_Sgemm, blas, Backend::kBlas)->Apply(PeakArgs);
BENCHMARK_CAPTURE(BM_StepForward, blas, Backend::kBlas)->Apply(StepArgs);
BENCHMARK_CAPTURE(BM_StepBackward, blas, Backend::kBlas)->Apply(StepArgs);
BENCHMARK_CAPTURE(BM_WeightGradient, blas, Backend::kBlas)->Apply(WeightGradientArgs);
#endif

}  // namespace

int main(int argc, char** argv) {
#if RNNATLAS_BENCH_WITH_BLAS
  // The library the loader chose for libblas.so.3 (Debian: an alternatives symlink).
  Dl_info info;
  char path[PATH_MAX];
  if (dladdr(reinterpret_cast<void*>(&cblas_sgemm), &info) && info.dli_fname)
    benchmark::AddCustomContext("blas_library",
                                realpath(info.dli_fname, path) ? path : info.dli_fname);
#endif
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
