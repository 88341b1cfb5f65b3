// Distance matrices over a population. Module maintainer: rnnatlas similarity.
#include "rnnatlas/similarity/distance_matrix.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "similarity/checks.h"
#include "similarity/pair_internal.h"

namespace rnnatlas::similarity {

std::string_view to_string(Metric metric) {
  switch (metric) {
    case Metric::kCca:
      return "cca";
    case Metric::kSvcca:
      return "svcca";
    case Metric::kPwcca:
      return "pwcca";
    case Metric::kCka:
      return "cka";
    case Metric::kShape:
      return "shape";
  }
  return "unknown";
}

Metric parse_metric(std::string_view name) {
  for (Metric m : {Metric::kCca, Metric::kSvcca, Metric::kPwcca, Metric::kCka, Metric::kShape})
    if (name == to_string(m)) return m;
  throw InvalidArgument("unknown similarity metric '" + std::string(name) +
                        "'; allowed: cca, svcca, pwcca, cka, shape");
}

void DistanceMatrixOptions::validate() const {
  internal::require(n_threads >= 1, "DistanceMatrixOptions", "n_threads", n_threads, ">= 1");
  switch (metric) {
    case Metric::kCca:
    case Metric::kPwcca:
      cca.validate();
      break;
    case Metric::kSvcca:
      svcca.validate();
      break;
    case Metric::kCka:
      cka.validate();
      break;
    case Metric::kShape:
      shape.validate();
      break;
  }
}

namespace {

// Runs task(i) for i in [0, n) on n_threads threads, handing out indices through an atomic
// counter. The first exception stops the hand-out and is rethrown here.
template <typename Task>
void parallel_for(int n, int n_threads, const Task& task) {
  std::atomic<long> next{0};
  std::exception_ptr error;
  std::mutex error_mutex;
  auto worker = [&] {
    for (long i; (i = next.fetch_add(1)) < n;) {
      try {
        task(static_cast<int>(i));
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (!error) error = std::current_exception();
        next.store(n);
      }
    }
  };
  const int n_workers = std::max(1, std::min(n_threads, n));
  std::vector<std::thread> threads;
  for (int t = 1; t < n_workers; ++t) threads.emplace_back(worker);
  worker();
  for (std::thread& t : threads) t.join();
  if (error) std::rethrow_exception(error);
}

// Prepares network i with prepare(activity(i)) for every i, on n_threads threads; activity(i) is
// dropped as soon as it is prepared. Checks that every network has the same samples.
template <typename Prepared, typename Prepare>
std::vector<Prepared> prepare_all(const DistanceMatrixOptions& options,
                                  const std::vector<std::string>& names,
                                  const std::function<Eigen::MatrixXd(int)>& activity,
                                  const Prepare& prepare) {
  const int n = static_cast<int>(names.size());
  std::vector<Prepared> prepared(n);
  parallel_for(n, options.n_threads, [&](int i) {
    const Eigen::MatrixXd x = activity(i);
    try {
      prepared[i] = prepare(x);
    } catch (const InvalidArgument& e) {
      throw InvalidArgument("distance_matrix: network " + names[i] + ": " + e.what());
    }
  });
  for (int i = 1; i < n; ++i)
    RNNATLAS_CHECK_ARG(prepared[i].n_samples == prepared[0].n_samples,
                       "distance_matrix: network " << names[i] << " has " << prepared[i].n_samples
                                                   << " samples (rows) but network " << names[0]
                                                   << " has " << prepared[0].n_samples
                                                   << "; every network must see the same trials");
  return prepared;
}

// "distance_matrix: networks a and b: <what>", for an error of one pair.
InvalidArgument pair_error(const std::vector<std::string>& names,
                           int i,
                           int j,
                           const InvalidArgument& e) {
  return InvalidArgument("distance_matrix: networks " + names[i] + " and " + names[j] + ": " +
                         e.what());
}

// Fills the upper triangle with pair(prepared[i], prepared[j]), one pair at a time.
template <typename Prepared, typename Pair>
Eigen::MatrixXd pairwise(const DistanceMatrixOptions& options,
                         const std::vector<std::string>& names,
                         const std::vector<Prepared>& prepared,
                         const Pair& pair) {
  const int n = static_cast<int>(prepared.size());
  // Pair index -> (i, j), i < j, row by row; one slot per pair, so the schedule cannot matter.
  std::vector<std::pair<int, int>> pairs;
  pairs.reserve(static_cast<std::size_t>(n) * (n - 1) / 2);
  for (int i = 0; i < n; ++i)
    for (int j = i + 1; j < n; ++j) pairs.emplace_back(i, j);
  Eigen::MatrixXd d = Eigen::MatrixXd::Zero(n, n);
  parallel_for(static_cast<int>(pairs.size()), options.n_threads, [&](int p) {
    const auto [i, j] = pairs[p];
    double value = 0.0;
    try {
      value = pair(prepared[i], prepared[j]);
    } catch (const InvalidArgument& e) {
      throw pair_error(names, i, j, e);
    }
    d(i, j) = value;
    d(j, i) = value;
  });
  return d;
}

// Factor columns per tile of tiled(): big enough for GEMM efficiency, small enough that a pair of
// stacked tiles (2 x n_samples x 320 doubles, 16 MB at 3,200 samples) stays near the cache.
constexpr Eigen::Index kTileColumns = 320;

// Fills the upper triangle for a metric whose pair depends on two networks only through the cross
// product F_i^T F_j of one factor F = factor(prepared) [n_samples, c] per network (see
// similarity/pair_internal.h): finish(prepared[i], prepared[j], F_i^T F_j) is the distance.
// Computing F_i^T F_j pair by pair reads both factors for every pair, which makes small products
// (SVCCA: [k, n_samples] x [n_samples, k]) memory-bound. Here consecutive networks are grouped
// into tiles of about kTileColumns factor columns, each tile's factors are stacked into one matrix
// (and dropped from `prepared`), and each pair of tiles is one GEMM whose blocks are the pairs'
// cross products. The tiles depend only on the factor widths, so every entry, and the matrix, is
// the same for any n_threads.
template <typename Prepared, typename Factor, typename Finish>
Eigen::MatrixXd tiled(const DistanceMatrixOptions& options,
                      const std::vector<std::string>& names,
                      std::vector<Prepared>& prepared,
                      const Factor& factor,
                      const Finish& finish) {
  const int n = static_cast<int>(prepared.size());
  const Eigen::Index n_samples = factor(prepared[0]).rows();
  std::vector<Eigen::Index> width(n), offset(n);  // of each network's block in its tile
  std::vector<int> tile_begin;                    // first network of each tile, then n
  Eigen::Index filled = 0;
  for (int i = 0; i < n; ++i) {
    width[i] = factor(prepared[i]).cols();
    if (i == 0 || filled + width[i] > kTileColumns) {
      tile_begin.push_back(i);
      filled = 0;
    }
    offset[i] = filled;
    filled += width[i];
  }
  tile_begin.push_back(n);
  const int n_tiles = static_cast<int>(tile_begin.size()) - 1;

  std::vector<Eigen::MatrixXd> stacked(n_tiles);
  parallel_for(n_tiles, options.n_threads, [&](int t) {
    const int last = tile_begin[t + 1] - 1;
    stacked[t].resize(n_samples, offset[last] + width[last]);
    for (int i = tile_begin[t]; i <= last; ++i) {
      stacked[t].middleCols(offset[i], width[i]) = factor(prepared[i]);
      factor(prepared[i]) = Eigen::MatrixXd();  // held once, in its tile
    }
  });

  std::vector<std::pair<int, int>> tile_pairs;
  for (int a = 0; a < n_tiles; ++a)
    for (int b = a; b < n_tiles; ++b) tile_pairs.emplace_back(a, b);
  Eigen::MatrixXd d = Eigen::MatrixXd::Zero(n, n);
  parallel_for(static_cast<int>(tile_pairs.size()), options.n_threads, [&](int q) {
    const auto [a, b] = tile_pairs[q];
    const Eigen::MatrixXd cross = stacked[a].transpose() * stacked[b];
    for (int i = tile_begin[a]; i < tile_begin[a + 1]; ++i) {
      for (int j = std::max(tile_begin[b], i + 1); j < tile_begin[b + 1]; ++j) {
        double value = 0.0;
        try {
          value = finish(prepared[i], prepared[j],
                         Eigen::MatrixXd(cross.block(offset[i], offset[j], width[i], width[j])));
        } catch (const InvalidArgument& e) {
          throw pair_error(names, i, j, e);
        }
        d(i, j) = value;
        d(j, i) = value;
      }
    }
  });
  return d;
}

}  // namespace

Eigen::MatrixXd distance_matrix(const DistanceMatrixOptions& options,
                                const std::vector<Eigen::MatrixXd>& activities) {
  options.validate();
  const int n = static_cast<int>(activities.size());
  RNNATLAS_CHECK_ARG(n >= 2, "distance_matrix: got " << n << " activity matrices; need at least 2");
  for (int i = 1; i < n; ++i)
    RNNATLAS_CHECK_ARG(activities[i].rows() == activities[0].rows(),
                       "distance_matrix: network " << i << " has " << activities[i].rows()
                                                   << " samples (rows) but network 0 has "
                                                   << activities[0].rows()
                                                   << "; every network must see the same trials");
  std::vector<std::string> names(n);
  for (int i = 0; i < n; ++i) names[i] = std::to_string(i);
  return distance_matrix(options, names, [&](int i) { return activities[i]; });
}

Eigen::MatrixXd distance_matrix(const DistanceMatrixOptions& options,
                                const std::vector<std::string>& names,
                                const std::function<Eigen::MatrixXd(int)>& activity) {
  options.validate();
  const int n = static_cast<int>(names.size());
  RNNATLAS_CHECK_ARG(n >= 2, "distance_matrix: got " << n << " networks; need at least 2");
  using Ref = const Eigen::MatrixXd&;
  const auto basis = [](auto& p) -> Eigen::MatrixXd& { return p.basis; };
  switch (options.metric) {
    case Metric::kCca: {
      auto prepared = prepare_all<PreparedCca>(options, names, activity,
                                               [&](Ref x) { return prepare_cca(options.cca, x); });
      return tiled(options, names, prepared, basis,
                   [](const PreparedCca& a, const PreparedCca&, const Eigen::MatrixXd& cross) {
                     internal::check_cca_pair(a.n_samples, static_cast<int>(cross.rows()),
                                              static_cast<int>(cross.cols()), "cca");
                     return 1.0 - internal::principal_cosines_from_gram(cross).mean();
                   });
    }
    case Metric::kPwcca: {
      auto prepared = prepare_all<PreparedCca>(options, names, activity,
                                               [&](Ref x) { return prepare_cca(options.cca, x); });
      return tiled(options, names, prepared, basis,
                   [](const PreparedCca& a, const PreparedCca& b, const Eigen::MatrixXd& cross) {
                     internal::check_cca_pair(a.n_samples, static_cast<int>(cross.rows()),
                                              static_cast<int>(cross.cols()), "pwcca");
                     return 0.5 * (internal::pwcca_from_cross(a, cross).distance +
                                   internal::pwcca_from_cross(b, cross.transpose()).distance);
                   });
    }
    case Metric::kSvcca: {
      auto prepared = prepare_all<PreparedSvcca>(
          options, names, activity, [&](Ref x) { return prepare_svcca(options.svcca, x); });
      return tiled(options, names, prepared, basis,
                   [](const PreparedSvcca& a, const PreparedSvcca&, const Eigen::MatrixXd& cross) {
                     internal::check_cca_pair(a.n_samples, static_cast<int>(cross.rows()),
                                              static_cast<int>(cross.cols()), "svcca");
                     const double mean_rho = internal::principal_cosines_from_gram(cross).mean();
                     return std::clamp(1.0 - mean_rho, 0.0, 1.0);
                   });
    }
    case Metric::kCka: {
      auto prepared = prepare_all<PreparedCka>(options, names, activity,
                                               [&](Ref x) { return prepare_cka(options.cka, x); });
      if (options.cka.kernel != CkaKernel::kLinear) {
        return pairwise(options, names, prepared,
                        [](const PreparedCka& a, const PreparedCka& b) { return 1.0 - cka(a, b); });
      }
      return tiled(
          options, names, prepared, [](PreparedCka& p) -> Eigen::MatrixXd& { return p.centred; },
          [](const PreparedCka& a, const PreparedCka& b, const Eigen::MatrixXd& cross) {
            return 1.0 - internal::cka_linear_from_cross(a, b, cross.squaredNorm());
          });
    }
    case Metric::kShape: {
      const auto prepared = prepare_all<PreparedShape>(
          options, names, activity, [&](Ref x) { return prepare_shape(options.shape, x); });
      return pairwise(options, names, prepared,
                      [&](const PreparedShape& a, const PreparedShape& b) {
                        return shape_distance(a, b, options.shape.distance);
                      });
    }
  }
  RNNATLAS_ASSERT(false, "unhandled metric");
  return {};
}

}  // namespace rnnatlas::similarity
