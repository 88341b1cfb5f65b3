// Distance matrices over a population.
#include "rnnatlas/similarity/distance_matrix.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <exception>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "common/tracked_runner.h"
#include "rnnatlas/enum_names.h"
#include "rnnatlas/runner.h"
#include "similarity/checks.h"
#include "similarity/pair_internal.h"

namespace rnnatlas::similarity {

constexpr EnumName<Metric> kMetricNames[] = {{Metric::kCca, "cca"},     {Metric::kSvcca, "svcca"},
                                             {Metric::kPwcca, "pwcca"}, {Metric::kCka, "cka"},
                                             {Metric::kShape, "shape"}, {Metric::kDsa, "dsa"}};

std::string_view to_string(Metric metric) { return enum_to_string<Metric>(kMetricNames, metric); }

Metric parse_metric(std::string_view name) {
  return parse_enum<Metric>(kMetricNames, name, "similarity metric");
}

void DistanceMatrixOptions::validate() const {
  switch (metric) {
    case Metric::kCca:
    case Metric::kPwcca:
      rnnatlas::internal::validate_within("cca", cca);
      break;
    case Metric::kSvcca:
      rnnatlas::internal::validate_within("svcca", svcca);
      break;
    case Metric::kCka:
      rnnatlas::internal::validate_within("cka", cka);
      break;
    case Metric::kShape:
      rnnatlas::internal::validate_within("shape", shape);
      break;
    case Metric::kDsa:
      rnnatlas::internal::validate_within("dsa", dsa);
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

// Prepares network i with prepare(activity(i)) for every i, on execution.n_threads threads;
// activity(i) is dropped as soon as it is prepared. Checks that every network has the same samples.
template <typename Prepared, typename Prepare>
std::vector<Prepared> prepare_all(const Execution& execution,
                                  const std::vector<std::string>& names,
                                  const std::function<Eigen::MatrixXd(int)>& activity,
                                  const Prepare& prepare) {
  const int n = static_cast<int>(names.size());
  std::vector<Prepared> prepared(n);
  parallel_for(n, execution.n_threads, [&](int i) {
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

// The upper triangle of an [n, n] distance matrix cut into work items: item q computes
// compute(q), the distances of the pairs (i, j), i < j, that pairs_of(q) lists, in that order.
// Without a runner the items run on execution.n_threads threads; with one, on the runner's
// workers (in other processes too): work(q) returns the values as a record of raw doubles and
// done() writes them on the coordinator, most expensive items (cost(q)) first. Each entry comes
// from the same code wherever it runs, so the matrix is bit-identical either way. Processes other
// than the coordinator return an empty matrix.
template <typename PairsOf, typename Compute, typename Cost>
Eigen::MatrixXd assemble(const Execution& execution,
                         int n,
                         int n_items,
                         const PairsOf& pairs_of,
                         const Compute& compute,
                         const Cost& cost) {
  const auto write = [](Eigen::MatrixXd& d, const std::vector<std::pair<int, int>>& pairs,
                        const double* values) {
    for (std::size_t p = 0; p < pairs.size(); ++p) {
      const auto [i, j] = pairs[p];
      d(i, j) = values[p];
      d(j, i) = values[p];
    }
  };
  if (execution.runner == nullptr) {
    Eigen::MatrixXd d = Eigen::MatrixXd::Zero(n, n);
    parallel_for(n_items, execution.n_threads, [&](int q) {
      const std::vector<double> values = compute(q);
      write(d, pairs_of(q), values.data());
    });
    return d;
  }
  std::vector<int> items(n_items);
  for (int q = 0; q < n_items; ++q) items[q] = q;
  Eigen::MatrixXd d;
  if (execution.runner->is_coordinator()) d = Eigen::MatrixXd::Zero(n, n);
  execution.runner->run_with_records(
      most_expensive_first(std::move(items), cost),
      [&](int q) {
        const std::vector<double> values = compute(q);
        std::string record(values.size() * sizeof(double), '\0');
        if (!values.empty()) std::memcpy(record.data(), values.data(), record.size());
        return record;
      },
      [&](int q, const std::string& record) {
        const std::vector<std::pair<int, int>> pairs = pairs_of(q);
        RNNATLAS_ASSERT(record.size() == pairs.size() * sizeof(double),
                        "distance_matrix: item " << q << " sent " << record.size() << " bytes for "
                                                 << pairs.size() << " pairs");
        std::vector<double> values(pairs.size());
        if (!values.empty()) std::memcpy(values.data(), record.data(), record.size());
        write(d, pairs, values.data());
      });
  return d;
}

// Fills the upper triangle with pair(prepared[i], prepared[j]). Threads take one pair at a time;
// a runner takes runs of consecutive pairs (about 32 items per worker), so that pairs of a few
// microseconds do not each cost a message.
template <typename Prepared, typename Pair>
Eigen::MatrixXd pairwise(const Execution& execution,
                         const std::vector<std::string>& names,
                         const std::vector<Prepared>& prepared,
                         const Pair& pair) {
  const int n = static_cast<int>(prepared.size());
  // Pair index -> (i, j), i < j, row by row.
  std::vector<std::pair<int, int>> pairs;
  pairs.reserve(static_cast<std::size_t>(n) * (n - 1) / 2);
  for (int i = 0; i < n; ++i)
    for (int j = i + 1; j < n; ++j) pairs.emplace_back(i, j);
  const long n_pairs = static_cast<long>(pairs.size());
  const long per_item =
      execution.runner == nullptr
          ? 1
          : std::max(1L, n_pairs / (32L * std::max(1, execution.runner->n_workers())));
  const int n_items = static_cast<int>((n_pairs + per_item - 1) / per_item);
  const auto pairs_of = [&](int q) {
    const long begin = q * per_item;
    const long end = std::min(n_pairs, begin + per_item);
    return std::vector<std::pair<int, int>>(pairs.begin() + begin, pairs.begin() + end);
  };
  return assemble(
      execution, n, n_items, pairs_of,
      [&](int q) {
        std::vector<double> values;
        for (const auto& [i, j] : pairs_of(q)) {
          try {
            values.push_back(pair(prepared[i], prepared[j]));
          } catch (const InvalidArgument& e) {
            throw pair_error(names, i, j, e);
          }
        }
        return values;
      },
      [&](int q) { return static_cast<double>(pairs_of(q).size()); });
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
// cross products: one work item of assemble(). The tiles depend only on the factor widths, so
// every entry, and the matrix, is the same for any n_threads or runner.
template <typename Prepared, typename Factor, typename Finish>
Eigen::MatrixXd tiled(const Execution& execution,
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
  parallel_for(n_tiles, execution.n_threads, [&](int t) {
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
  const auto pairs_of = [&](int q) {
    const auto [a, b] = tile_pairs[q];
    std::vector<std::pair<int, int>> pairs;
    for (int i = tile_begin[a]; i < tile_begin[a + 1]; ++i)
      for (int j = std::max(tile_begin[b], i + 1); j < tile_begin[b + 1]; ++j)
        pairs.emplace_back(i, j);
    return pairs;
  };
  return assemble(
      execution, n, static_cast<int>(tile_pairs.size()), pairs_of,
      [&](int q) {
        const auto [a, b] = tile_pairs[q];
        const Eigen::MatrixXd cross = stacked[a].transpose() * stacked[b];
        std::vector<double> values;
        for (const auto& [i, j] : pairs_of(q)) {
          try {
            values.push_back(
                finish(prepared[i], prepared[j],
                       Eigen::MatrixXd(cross.block(offset[i], offset[j], width[i], width[j]))));
          } catch (const InvalidArgument& e) {
            throw pair_error(names, i, j, e);
          }
        }
        return values;
      },
      [&](int q) {
        const auto [a, b] = tile_pairs[q];
        return static_cast<double>(stacked[a].cols()) * static_cast<double>(stacked[b].cols());
      });
}

// Samples per side of the square blocks of sample space that linear_cka_by_gram() visits: a
// block's products fill M [64^2, N] (2 MB per 64 networks), which keeps them efficient.
constexpr Eigen::Index kGramBlock = 64;
// Work items of linear_cka_by_gram(): groups of consecutive blocks. A fixed number (not one per
// thread or rank), so that the sum over groups, and the matrix, never depend on who computes.
constexpr int kGramGroups = 256;

// Linear CKA (biased or debiased) of every pair through ||X_c^T Y_c||_F^2 = <K_x, K_y>_F, with
// K = F F^T the [n, n] Gram matrix of a network's factor F [n, c] (its centred activity). A pair
// then costs about n^2 flops instead of the 2 n c_x c_y of F_x^T F_y: 2.5x fewer for 12,800
// samples of 128 units, 10x fewer for 3,200. K is never held: the upper triangle of sample space
// is cut into blocks of kGramBlock x kGramBlock samples; for block (r, s) the products
// F_i[r] F_i[s]^T of all N networks are the columns of M [b^2, N], and the symmetric rank update
// P += M^T M adds that block's share of every pair (an off-diagonal block stands for its mirror
// image too, so its products are scaled by sqrt 2). The blocks are split into kGramGroups groups
// of consecutive blocks, each a work item of the threads or runner giving its P_g [N, N]; the sum
// over the groups is made in group order, so the matrix is bit-identical for any thread count or
// rank count. Memory per worker: M and P_g (N = 1000: 33 MB and 8 MB).
Eigen::MatrixXd linear_cka_by_gram(const Execution& execution,
                                   const std::vector<std::string>& names,
                                   std::vector<PreparedCka>& prepared) {
  const int n = static_cast<int>(prepared.size());
  const Eigen::Index n_samples = prepared[0].centred.rows();
  // F^T [c, n_samples] per network: a block of samples is then a block of contiguous columns.
  std::vector<Eigen::MatrixXd> factor_t(n);
  parallel_for(n, execution.n_threads, [&](int i) {
    factor_t[i] = prepared[i].centred.transpose();
    prepared[i].centred = Eigen::MatrixXd();  // held once, transposed
  });

  const Eigen::Index n_blocks_1d = (n_samples + kGramBlock - 1) / kGramBlock;
  std::vector<std::pair<Eigen::Index, Eigen::Index>> blocks;  // (r, s), r <= s
  for (Eigen::Index r = 0; r < n_blocks_1d; ++r)
    for (Eigen::Index s = r; s < n_blocks_1d; ++s) blocks.emplace_back(r, s);
  const int n_groups = static_cast<int>(std::min<std::size_t>(blocks.size(), kGramGroups));
  const auto group_begin = [&](int g) {
    return static_cast<std::size_t>(g) * blocks.size() / static_cast<std::size_t>(n_groups);
  };

  // Group g's share of ||F_i^T F_j||^2 for every i <= j: the upper triangle of P_g [n, n].
  const auto group_sum = [&](int g) {
    Eigen::MatrixXd m(kGramBlock * kGramBlock, n);
    Eigen::MatrixXd p = Eigen::MatrixXd::Zero(n, n);
    for (std::size_t k = group_begin(g); k < group_begin(g + 1); ++k) {
      const auto [r, s] = blocks[k];
      const Eigen::Index r0 = r * kGramBlock, s0 = s * kGramBlock;
      const Eigen::Index rows = std::min(kGramBlock, n_samples - r0);
      const Eigen::Index cols = std::min(kGramBlock, n_samples - s0);
      const double weight = r == s ? 1.0 : std::sqrt(2.0);
      for (int i = 0; i < n; ++i) {
        Eigen::Map<Eigen::MatrixXd> block(m.col(i).data(), rows, cols);
        block.noalias() = weight * (factor_t[i].middleCols(r0, rows).transpose() *
                                    factor_t[i].middleCols(s0, cols));
      }
      p.selfadjointView<Eigen::Upper>().rankUpdate(m.topRows(rows * cols).transpose());
    }
    return p;
  };

  // The sum of the P_g in group order, whatever order they arrive in.
  Eigen::MatrixXd cross_sq = Eigen::MatrixXd::Zero(n, n);
  std::map<int, Eigen::MatrixXd> waiting;
  int next = 0;
  std::mutex mutex;
  const auto add_in_order = [&](int g, Eigen::MatrixXd p) {
    const std::lock_guard<std::mutex> lock(mutex);
    waiting.emplace(g, std::move(p));
    for (auto it = waiting.find(next); it != waiting.end(); it = waiting.find(next)) {
      cross_sq.triangularView<Eigen::Upper>() += it->second;
      waiting.erase(it);
      ++next;
    }
  };
  if (execution.runner == nullptr) {
    parallel_for(n_groups, execution.n_threads, [&](int g) { add_in_order(g, group_sum(g)); });
  } else {
    std::vector<int> items(n_groups);
    for (int g = 0; g < n_groups; ++g) items[g] = g;
    execution.runner->run_with_records(
        items,
        [&](int g) {
          const Eigen::MatrixXd p = group_sum(g);
          std::string record;  // the upper triangle, column by column
          for (int j = 0; j < n; ++j)
            record.append(reinterpret_cast<const char*>(p.col(j).data()),
                          static_cast<std::size_t>(j + 1) * sizeof(double));
          return record;
        },
        [&](int g, const std::string& record) {
          RNNATLAS_ASSERT(
              record.size() == static_cast<std::size_t>(n) * (n + 1) / 2 * sizeof(double),
              "distance_matrix: group " << g << " sent " << record.size() << " bytes");
          Eigen::MatrixXd p = Eigen::MatrixXd::Zero(n, n);
          std::size_t offset = 0;
          for (int j = 0; j < n; ++j) {
            std::memcpy(p.col(j).data(), record.data() + offset,
                        static_cast<std::size_t>(j + 1) * sizeof(double));
            offset += static_cast<std::size_t>(j + 1) * sizeof(double);
          }
          add_in_order(g, std::move(p));
        });
    if (!execution.runner->is_coordinator()) return Eigen::MatrixXd();
  }
  RNNATLAS_ASSERT(next == n_groups, "distance_matrix: " << n_groups - next << " groups missing");

  Eigen::MatrixXd d = Eigen::MatrixXd::Zero(n, n);
  for (int j = 1; j < n; ++j) {
    for (int i = 0; i < j; ++i) {
      try {
        d(i, j) = 1.0 - internal::cka_linear_from_cross(prepared[i], prepared[j], cross_sq(i, j));
      } catch (const InvalidArgument& e) {
        throw pair_error(names, i, j, e);
      }
      d(j, i) = d(i, j);
    }
  }
  return d;
}

// distance_matrix(options, activities) once its runner, if any, is tracked: checks the sizes and
// names the networks by their indices.
Eigen::MatrixXd checked_matrix(const DistanceMatrixOptions& options,
                               const Execution& execution,
                               const std::vector<Eigen::MatrixXd>& activities) {
  options.validate();
  execution.validate();
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
  return distance_matrix(
      options, names, [&](int i) { return activities[i]; }, execution);
}

}  // namespace

bool internal::cka_by_gram_is_cheaper(Eigen::Index n_samples,
                                      const std::vector<Eigen::Index>& widths) {
  // Flops of each way, over the rates Eigen reaches on them on the test machine (AMD EPYC, AVX2):
  // factor tiles n (sum c)^2 at 31 GFLOP/s; the Gram way n^2 N^2 / 2 in symmetric rank updates at
  // 25 and n^2 sum c in small block products at 16.
  const double n = static_cast<double>(n_samples);
  const double n_networks = static_cast<double>(widths.size());
  double sum = 0.0;
  for (Eigen::Index c : widths) sum += static_cast<double>(c);
  const double by_factors = n * sum * sum / 31.0;
  const double by_gram = n * n * (n_networks * n_networks / 2.0 / 25.0 + sum / 16.0);
  return by_gram < by_factors;
}

namespace {

// distance_matrix(options, names, activity) once its runner, if any, is tracked (with_runner()).
Eigen::MatrixXd compute_matrix(const DistanceMatrixOptions& options,
                               const Execution& execution,
                               const std::vector<std::string>& names,
                               const std::function<Eigen::MatrixXd(int)>& activity) {
  options.validate();
  execution.validate();
  const int n = static_cast<int>(names.size());
  RNNATLAS_CHECK_ARG(n >= 2, "distance_matrix: got " << n << " networks; need at least 2");
  using Ref = const Eigen::MatrixXd&;
  const auto basis = [](auto& p) -> Eigen::MatrixXd& { return p.basis; };
  switch (options.metric) {
    case Metric::kCca: {
      auto prepared = prepare_all<PreparedCca>(execution, names, activity,
                                               [&](Ref x) { return prepare_cca(options.cca, x); });
      return tiled(execution, names, prepared, basis,
                   [](const PreparedCca& a, const PreparedCca&, const Eigen::MatrixXd& cross) {
                     internal::check_cca_pair(a.n_samples, static_cast<int>(cross.rows()),
                                              static_cast<int>(cross.cols()), "cca");
                     return 1.0 - internal::principal_cosines_from_gram(cross).mean();
                   });
    }
    case Metric::kPwcca: {
      auto prepared = prepare_all<PreparedCca>(execution, names, activity,
                                               [&](Ref x) { return prepare_cca(options.cca, x); });
      return tiled(execution, names, prepared, basis,
                   [](const PreparedCca& a, const PreparedCca& b, const Eigen::MatrixXd& cross) {
                     internal::check_cca_pair(a.n_samples, static_cast<int>(cross.rows()),
                                              static_cast<int>(cross.cols()), "pwcca");
                     return 0.5 * (internal::pwcca_from_cross(a, cross).distance +
                                   internal::pwcca_from_cross(b, cross.transpose()).distance);
                   });
    }
    case Metric::kSvcca: {
      auto prepared = prepare_all<PreparedSvcca>(
          execution, names, activity, [&](Ref x) { return prepare_svcca(options.svcca, x); });
      return tiled(execution, names, prepared, basis,
                   [](const PreparedSvcca& a, const PreparedSvcca&, const Eigen::MatrixXd& cross) {
                     internal::check_cca_pair(a.n_samples, static_cast<int>(cross.rows()),
                                              static_cast<int>(cross.cols()), "svcca");
                     const double mean_rho = internal::principal_cosines_from_gram(cross).mean();
                     return std::clamp(1.0 - mean_rho, 0.0, 1.0);
                   });
    }
    case Metric::kCka: {
      auto prepared = prepare_all<PreparedCka>(execution, names, activity,
                                               [&](Ref x) { return prepare_cka(options.cka, x); });
      if (options.cka.kernel != CkaKernel::kLinear) {
        return pairwise(execution, names, prepared,
                        [](const PreparedCka& a, const PreparedCka& b) { return 1.0 - cka(a, b); });
      }
      std::vector<Eigen::Index> widths;
      widths.reserve(prepared.size());
      for (const PreparedCka& p : prepared) widths.push_back(p.centred.cols());
      if (internal::cka_by_gram_is_cheaper(prepared[0].centred.rows(), widths)) {
        return linear_cka_by_gram(execution, names, prepared);
      }
      return tiled(
          execution, names, prepared, [](PreparedCka& p) -> Eigen::MatrixXd& { return p.centred; },
          [](const PreparedCka& a, const PreparedCka& b, const Eigen::MatrixXd& cross) {
            return 1.0 - internal::cka_linear_from_cross(a, b, cross.squaredNorm());
          });
    }
    case Metric::kShape: {
      const auto prepared = prepare_all<PreparedShape>(
          execution, names, activity, [&](Ref x) { return prepare_shape(options.shape, x); });
      return pairwise(execution, names, prepared,
                      [&](const PreparedShape& a, const PreparedShape& b) {
                        return shape_distance(a, b, options.shape.distance);
                      });
    }
    case Metric::kDsa: {
      const auto prepared = prepare_all<PreparedDsa>(
          execution, names, activity, [&](Ref x) { return prepare_dsa(options.dsa, x); });
      return pairwise(execution, names, prepared, [&](const PreparedDsa& a, const PreparedDsa& b) {
        return dsa(options.dsa, a, b).distance;
      });
    }
  }
  RNNATLAS_ASSERT(false, "unhandled metric");
  return {};
}

}  // namespace

Eigen::MatrixXd distance_matrix(const DistanceMatrixOptions& options,
                                const std::vector<Eigen::MatrixXd>& activities,
                                const Execution& execution) {
  return rnnatlas::internal::with_runner(execution.runner, [&](Runner* runner) {
    Execution tracked = execution;
    tracked.runner = runner;
    return checked_matrix(options, tracked, activities);
  });
}

Eigen::MatrixXd distance_matrix(const DistanceMatrixOptions& options,
                                const std::vector<std::string>& names,
                                const std::function<Eigen::MatrixXd(int)>& activity,
                                const Execution& execution) {
  return rnnatlas::internal::with_runner(execution.runner, [&](Runner* runner) {
    Execution tracked = execution;
    tracked.runner = runner;
    return compute_matrix(options, tracked, names, activity);
  });
}

}  // namespace rnnatlas::similarity
