// Distance matrices over a population. Module maintainer: rnnatlas similarity.
#include "rnnatlas/similarity/distance_matrix.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <string>
#include <thread>

#include "similarity/checks.h"

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

// Prepares every network with `prepare`, then fills the upper triangle with `pair(a, b)`.
template <typename Prepared, typename Prepare, typename Pair>
Eigen::MatrixXd pairwise(const DistanceMatrixOptions& options,
                         const std::vector<Eigen::MatrixXd>& activities,
                         const Prepare& prepare,
                         const Pair& pair) {
  const int n = static_cast<int>(activities.size());
  std::vector<Prepared> prepared(n);
  parallel_for(n, options.n_threads, [&](int i) {
    try {
      prepared[i] = prepare(activities[i]);
    } catch (const InvalidArgument& e) {
      throw InvalidArgument("distance_matrix: network " + std::to_string(i) + ": " + e.what());
    }
  });
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
      throw InvalidArgument("distance_matrix: networks " + std::to_string(i) + " and " +
                            std::to_string(j) + ": " + e.what());
    }
    d(i, j) = value;
    d(j, i) = value;
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
  using Ref = const Eigen::MatrixXd&;
  switch (options.metric) {
    case Metric::kCca:
      return pairwise<PreparedCca>(
          options, activities, [&](Ref x) { return prepare_cca(options.cca, x); },
          [](const PreparedCca& a, const PreparedCca& b) { return 1.0 - cca(a, b).mean(); });
    case Metric::kPwcca:
      return pairwise<PreparedCca>(
          options, activities, [&](Ref x) { return prepare_cca(options.cca, x); },
          [](const PreparedCca& a, const PreparedCca& b) {
            return 0.5 * (pwcca(a, b).distance + pwcca(b, a).distance);
          });
    case Metric::kSvcca:
      return pairwise<PreparedSvcca>(
          options, activities, [&](Ref x) { return prepare_svcca(options.svcca, x); },
          [](const PreparedSvcca& a, const PreparedSvcca& b) { return svcca(a, b).distance; });
    case Metric::kCka:
      return pairwise<PreparedCka>(
          options, activities, [&](Ref x) { return prepare_cka(options.cka, x); },
          [](const PreparedCka& a, const PreparedCka& b) { return 1.0 - cka(a, b); });
    case Metric::kShape:
      return pairwise<PreparedShape>(
          options, activities, [&](Ref x) { return prepare_shape(options.shape, x); },
          [&](const PreparedShape& a, const PreparedShape& b) {
            return shape_distance(a, b, options.shape.distance);
          });
  }
  RNNATLAS_ASSERT(false, "unhandled metric");
  return {};
}

}  // namespace rnnatlas::similarity
