// The rnnatlas side of bench/run_similarity_bench.py: distance_matrix() over a synthetic
// population of networks, timed, on request.
//
// At start it generates every network's activity once (float32, [n_trials * n_steps, n_units],
// rows time-major as in activity.h: row t * n_trials + b is step t of trial b), then answers
// one command per stdin line with one JSON line on stdout:
//
//   info                           sizes, generation time, Eigen's SIMD
//   dump PATH I,J,...              writes networks I, J, ... to PATH (.npy, float32 [m, n, p])
//   prepare METRIC N K             times the preparation alone of networks 0..N-1
//   matrix METRIC N K I,J,...      times distance_matrix() of networks 0..N-1; replies the
//                                  distances among networks I, J, ... and the matrix's spread
//   quit
//
// METRIC is svcca (K = directions kept) or cka (linear; K ignored). Both commands run on the
// --threads given at start and convert each network to double inside the timed call (rnnatlas
// takes double activity), as the numpy reference does inside its timed preparation.
//
// The activity imitates a trained RNN's: a shared 8-dimensional latent trajectory (4 oscillations
// of random phase per trial, 4 integrators of random pulses; the same trials for every network),
// mixed into the units with per-network weights and gains, plus 2 private latent dimensions per
// network, a bias, i.i.d. noise, and tanh. Its spectrum is a few large components over a noise
// floor, and every network has full rank.
#include <Eigen/Core>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "rnnatlas/similarity/distance_matrix.h"
#include "rnnatlas/similarity/metrics.h"

namespace {

namespace sim = rnnatlas::similarity;

struct Config {
  int n_networks = 50;
  int n_trials = 128;
  int n_steps = 100;
  int n_units = 128;
  std::uint64_t seed = 1;
  int n_threads = 2;
  int n_samples() const { return n_trials * n_steps; }
};

#ifdef __FMA__
constexpr bool kFma = true;  // Eigen's products use fused multiply-adds
#else
constexpr bool kFma = false;
#endif
constexpr int kSharedLatent = 8;
constexpr int kPrivateLatent = 2;

// Runs body(i) for i in [0, n) on n_threads threads.
template <typename Body>
void parallel_for(int n, int n_threads, const Body& body) {
  std::atomic<int> next{0};
  auto worker = [&] {
    for (int i; (i = next.fetch_add(1)) < n;) body(i);
  };
  std::vector<std::thread> threads;
  for (int t = 1; t < n_threads; ++t) threads.emplace_back(worker);
  worker();
  for (std::thread& t : threads) t.join();
}

// Latent trajectories [n_samples, n_dims]: the first half oscillations sin(omega_l t + phase),
// omega and phase per trial; the second half integrators of sparse random pulses, scaled to unit
// variance. `rng` fixes everything.
Eigen::MatrixXd latent(const Config& c, int n_dims, std::mt19937_64& rng) {
  std::normal_distribution<double> normal;
  std::uniform_real_distribution<double> uniform;
  Eigen::MatrixXd z(c.n_samples(), n_dims);
  const int n_osc = n_dims / 2;
  for (int b = 0; b < c.n_trials; ++b) {
    for (int l = 0; l < n_dims; ++l) {
      const double omega = 2.0 * M_PI / (15.0 + 50.0 * uniform(rng));
      const double phase = 2.0 * M_PI * uniform(rng);
      double integral = 0.0;
      for (int t = 0; t < c.n_steps; ++t) {
        double value;
        if (l < n_osc) {
          value = std::sin(omega * t + phase);
        } else {
          if (uniform(rng) < 0.1) integral += normal(rng);
          value = 0.4 * integral;
        }
        z(static_cast<Eigen::Index>(t) * c.n_trials + b, l) = value;
      }
    }
  }
  return z;
}

// Network i's activity [n_samples, n_units], float32.
Eigen::MatrixXf network(const Config& c, const Eigen::MatrixXd& shared, int i) {
  std::seed_seq seq{c.seed, std::uint64_t{1000003}, static_cast<std::uint64_t>(i)};
  std::mt19937_64 rng(seq);
  std::normal_distribution<double> normal;
  std::uniform_real_distribution<double> uniform;
  const Eigen::MatrixXd own = latent(c, kPrivateLatent, rng);
  Eigen::MatrixXd mix(kSharedLatent + kPrivateLatent, c.n_units);
  for (int l = 0; l < mix.rows(); ++l) {
    const double gain = l < kSharedLatent ? 0.2 + 1.3 * uniform(rng) : 0.5 * uniform(rng);
    for (int u = 0; u < c.n_units; ++u) mix(l, u) = gain * normal(rng) / std::sqrt(4.0);
  }
  Eigen::RowVectorXd bias(c.n_units);
  for (int u = 0; u < c.n_units; ++u) bias(u) = 0.3 * normal(rng);
  const double noise = 0.1 + 0.2 * uniform(rng);
  Eigen::MatrixXd pre = shared * mix.topRows(kSharedLatent) + own * mix.bottomRows(kPrivateLatent);
  Eigen::MatrixXf x(c.n_samples(), c.n_units);
  for (Eigen::Index u = 0; u < x.cols(); ++u)
    for (Eigen::Index s = 0; s < x.rows(); ++s)
      x(s, u) = static_cast<float>(std::tanh(pre(s, u) + bias(u) + noise * normal(rng)));
  return x;
}

double wall_now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
double cpu_now() { return static_cast<double>(std::clock()) / CLOCKS_PER_SEC; }

std::vector<int> parse_indices(const std::string& text) {
  std::vector<int> out;
  std::stringstream ss(text);
  for (std::string item; std::getline(ss, item, ',');)
    if (!item.empty()) out.push_back(std::stoi(item));
  return out;
}

std::string number(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", x);
  return buf;
}

// Networks `which` as one .npy array [m, n_samples, n_units] float32 (C order).
void write_npy(const std::string& path,
               const std::vector<Eigen::MatrixXf>& xs,
               const std::vector<int>& which) {
  const Eigen::MatrixXf& first = xs.at(which.at(0));
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" +
                       std::to_string(which.size()) + ", " + std::to_string(first.rows()) + ", " +
                       std::to_string(first.cols()) + "), }";
  const std::size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::ofstream out(path, std::ios::binary);
  out.write("\x93NUMPY\x01\x00", 8);
  const std::uint16_t length = static_cast<std::uint16_t>(header.size());
  out.put(static_cast<char>(length & 0xff));
  out.put(static_cast<char>(length >> 8));
  out << header;
  for (int i : which) {
    using RowMajor = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    const RowMajor x = xs.at(i);
    out.write(reinterpret_cast<const char*>(x.data()),
              static_cast<std::streamsize>(x.size() * sizeof(float)));
  }
  if (!out) throw std::runtime_error("cannot write " + path);
}

sim::DistanceMatrixOptions matrix_options(const std::string& metric, int k) {
  sim::DistanceMatrixOptions o;
  o.metric = sim::parse_metric(metric);
  o.svcca.k = k;
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  Config c;
  for (int a = 1; a + 1 < argc; a += 2) {
    const std::string flag = argv[a];
    const std::string value = argv[a + 1];
    if (flag == "--networks")
      c.n_networks = std::stoi(value);
    else if (flag == "--trials")
      c.n_trials = std::stoi(value);
    else if (flag == "--steps")
      c.n_steps = std::stoi(value);
    else if (flag == "--units")
      c.n_units = std::stoi(value);
    else if (flag == "--seed")
      c.seed = std::stoull(value);
    else if (flag == "--threads")
      c.n_threads = std::stoi(value);
    else {
      std::cerr << "unknown flag " << flag << "\n";
      return 2;
    }
  }

  const double t0 = wall_now();
  std::mt19937_64 rng(c.seed);
  const Eigen::MatrixXd shared = latent(c, kSharedLatent, rng);
  std::vector<Eigen::MatrixXf> xs(c.n_networks);
  parallel_for(c.n_networks, c.n_threads, [&](int i) { xs[i] = network(c, shared, i); });
  const double generate_s = wall_now() - t0;
  const auto activity = [&](int i) -> Eigen::MatrixXd { return xs[i].cast<double>(); };

  for (std::string line; std::getline(std::cin, line);) {
    std::stringstream in(line);
    std::string cmd;
    in >> cmd;
    std::ostringstream reply;
    try {
      if (cmd == "quit") {
        std::cout << "{\"ok\": true}" << std::endl;
        return 0;
      } else if (cmd == "info") {
        reply << "{\"n_networks\": " << c.n_networks << ", \"n_samples\": " << c.n_samples()
              << ", \"n_units\": " << c.n_units << ", \"n_threads\": " << c.n_threads
              << ", \"generate_s\": " << number(generate_s) << ", \"eigen_simd\": \""
              << Eigen::SimdInstructionSetsInUse() << "\", \"fma\": " << (kFma ? "true" : "false")
              << "}";
      } else if (cmd == "dump") {
        std::string path, which;
        in >> path >> which;
        write_npy(path, xs, parse_indices(which));
        reply << "{\"ok\": true}";
      } else if (cmd == "prepare" || cmd == "matrix") {
        std::string metric, which;
        int n = 0, k = 10;
        in >> metric >> n >> k >> which;
        if (n < 2 || n > c.n_networks) throw std::runtime_error("bad network count");
        const sim::DistanceMatrixOptions o = matrix_options(metric, k);
        const double w0 = wall_now(), c0 = cpu_now();
        Eigen::MatrixXd d;
        if (cmd == "prepare") {
          // What distance_matrix() does before its pairs: every network made double and
          // prepared, on n_threads threads (the prepared forms are dropped here).
          parallel_for(n, c.n_threads, [&](int i) {
            const Eigen::MatrixXd x = activity(i);
            if (o.metric == sim::Metric::kSvcca) {
              static_cast<void>(sim::prepare_svcca(o.svcca, x));
            } else {
              static_cast<void>(sim::prepare_cka(o.cka, x));
            }
          });
        } else {
          std::vector<std::string> names(n);
          for (int i = 0; i < n; ++i) names[i] = std::to_string(i);
          d = sim::distance_matrix(o, names, activity, rnnatlas::Execution{c.n_threads});
        }
        const double wall = wall_now() - w0, cpu = cpu_now() - c0;
        reply << "{\"cmd\": \"" << cmd << "\", \"metric\": \"" << metric
              << "\", \"n_networks\": " << n << ", \"wall_s\": " << number(wall)
              << ", \"cpu_s\": " << number(cpu);
        if (cmd == "matrix") {
          const std::vector<int> sample = parse_indices(which);
          reply << ", \"sample\": [";
          for (std::size_t a = 0; a < sample.size(); ++a) {
            reply << (a ? ", [" : "[");
            for (std::size_t b = 0; b < sample.size(); ++b)
              reply << (b ? ", " : "") << number(d(sample[a], sample[b]));
            reply << "]";
          }
          const Eigen::MatrixXd upper = d.triangularView<Eigen::StrictlyUpper>();
          const double n_pairs = 0.5 * n * (n - 1);
          double lo = 1e300;
          for (int j = 1; j < n; ++j) lo = std::min(lo, d.col(j).head(j).minCoeff());
          reply << "], \"min\": " << number(lo) << ", \"mean\": " << number(upper.sum() / n_pairs)
                << ", \"max\": " << number(upper.maxCoeff());
        }
        reply << "}";
      } else {
        throw std::runtime_error("unknown command '" + cmd + "'");
      }
    } catch (const std::exception& e) {
      std::string message = e.what();
      std::replace(message.begin(), message.end(), '"', '\'');
      reply.str("");
      reply << "{\"error\": \"" << message << "\"}";
    }
    std::cout << reply.str() << std::endl;
  }
  return 0;
}
