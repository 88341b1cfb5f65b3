// Clustering statistics and the Mantel test.
#include "rnnatlas/embedding/cluster_stats.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <exception>
#include <limits>
#include <map>
#include <mutex>
#include <numeric>
#include <thread>

#include "common/random.h"
#include "embedding/checks.h"

namespace rnnatlas::embedding {
namespace {

// Domain tags keeping permutation streams apart from every other use of a seed.
constexpr std::uint64_t kLabelPermutationDomain = 0x6c706572;  // "lper"
constexpr std::uint64_t kMantelDomain = 0x6d616e74;            // "mant"

// Labels relabelled to 0..n_classes-1 in order of first appearance.
std::vector<int> dense_labels(const std::vector<int>& labels, int* n_classes) {
  std::map<int, int> ids;
  std::vector<int> out(labels.size());
  for (std::size_t i = 0; i < labels.size(); ++i)
    out[i] = ids.emplace(labels[i], static_cast<int>(ids.size())).first->second;
  *n_classes = static_cast<int>(ids.size());
  return out;
}

void check_labels(const Eigen::Ref<const Eigen::MatrixXd>& d,
                  const std::vector<int>& labels,
                  const char* what) {
  internal::check_distance_matrix(d, what, 2);
  RNNATLAS_CHECK_ARG(static_cast<Eigen::Index>(labels.size()) == d.rows(),
                     what << ": " << labels.size() << " labels for a distance matrix of "
                          << d.rows() << " points; need one label per point");
}

double silhouette_dense(const Eigen::Ref<const Eigen::MatrixXd>& d,
                        const std::vector<int>& label,
                        int n_classes) {
  const Eigen::Index n = d.rows();
  std::vector<int> size(n_classes, 0);
  for (int l : label) ++size[l];
  std::vector<double> sums(n_classes);
  double total = 0.0;
  for (Eigen::Index i = 0; i < n; ++i) {
    const int own = label[i];
    if (size[own] == 1) continue;  // s_i = 0
    std::fill(sums.begin(), sums.end(), 0.0);
    for (Eigen::Index j = 0; j < n; ++j) sums[label[j]] += d(j, i);
    const double a = sums[own] / (size[own] - 1);
    double b = std::numeric_limits<double>::infinity();
    for (int c = 0; c < n_classes; ++c)
      if (c != own) b = std::min(b, sums[c] / size[c]);
    const double m = std::max(a, b);
    if (m > 0.0) total += (b - a) / m;
  }
  return total / static_cast<double>(n);
}

// For each point, its other points sorted by (distance, index).
std::vector<std::vector<int>> neighbour_order(const Eigen::Ref<const Eigen::MatrixXd>& d, int k) {
  const int n = static_cast<int>(d.rows());
  std::vector<std::vector<int>> order(n);
  for (int i = 0; i < n; ++i) {
    std::vector<int>& o = order[i];
    for (int j = 0; j < n; ++j)
      if (j != i) o.push_back(j);
    auto closer = [&](int a, int b) { return d(a, i) < d(b, i) || (d(a, i) == d(b, i) && a < b); };
    std::partial_sort(o.begin(), o.begin() + k, o.end(), closer);
    o.resize(k);
  }
  return order;
}

double knn_dense(const std::vector<std::vector<int>>& order,
                 const std::vector<int>& label,
                 int n_classes) {
  std::vector<int> votes(n_classes);
  int correct = 0;
  for (std::size_t i = 0; i < order.size(); ++i) {
    std::fill(votes.begin(), votes.end(), 0);
    for (int j : order[i]) ++votes[label[j]];
    // Neighbours are sorted, so the first one whose label has the top count breaks ties by
    // closeness.
    const int top = *std::max_element(votes.begin(), votes.end());
    int predicted = -1;
    for (int j : order[i])
      if (votes[label[j]] == top) {
        predicted = label[j];
        break;
      }
    correct += predicted == label[i];
  }
  return static_cast<double>(correct) / static_cast<double>(order.size());
}

void shuffle(std::vector<int>& v, ::rnnatlas::internal::Rng& rng) {
  for (std::size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[rng.uniform_int(i)]);
}

// Runs task(t) for t in [0, n) over n_threads threads; the first exception is rethrown.
template <typename Task>
void parallel_for(int n, int n_threads, const Task& task) {
  std::atomic<int> next{0};
  std::exception_ptr error;
  std::atomic<bool> failed{false};
  std::mutex mutex;
  auto worker = [&] {
    for (int t; !failed && (t = next.fetch_add(1)) < n;) {
      try {
        task(t);
      } catch (...) {
        std::lock_guard<std::mutex> lock(mutex);
        if (!error) error = std::current_exception();
        failed = true;
      }
    }
  };
  std::vector<std::thread> threads;
  for (int i = 1; i < std::min(n_threads, std::max(n, 1)); ++i) threads.emplace_back(worker);
  worker();
  for (std::thread& t : threads) t.join();
  if (error) std::rethrow_exception(error);
}

double p_value(int count, int n_permutations) { return (count + 1.0) / (n_permutations + 1.0); }

}  // namespace

double silhouette_score(const Eigen::Ref<const Eigen::MatrixXd>& distances,
                        const std::vector<int>& labels) {
  check_labels(distances, labels, "silhouette_score");
  int n_classes = 0;
  const std::vector<int> dense = dense_labels(labels, &n_classes);
  RNNATLAS_CHECK_ARG(n_classes >= 2 && n_classes < distances.rows(),
                     "silhouette_score: " << n_classes << " distinct labels for "
                                          << distances.rows() << " points; must be in [2, n - 1]");
  return silhouette_dense(distances, dense, n_classes);
}

double knn_accuracy(const Eigen::Ref<const Eigen::MatrixXd>& distances,
                    const std::vector<int>& labels,
                    int k) {
  check_labels(distances, labels, "knn_accuracy");
  RNNATLAS_CHECK_ARG(
      k >= 1 && k < distances.rows(),
      "knn_accuracy: k = " << k << ": must be in [1, " << distances.rows() - 1 << "] (n - 1)");
  int n_classes = 0;
  const std::vector<int> dense = dense_labels(labels, &n_classes);
  return knn_dense(neighbour_order(distances, k), dense, n_classes);
}

void ClusterStatsOptions::validate() const {
  RNNATLAS_CHECK_FIELD(k, k >= 1, ">= 1");
  RNNATLAS_CHECK_FIELD(n_permutations, n_permutations >= 0, ">= 0");
}

ClusterStats cluster_stats(const ClusterStatsOptions& options,
                           const Eigen::Ref<const Eigen::MatrixXd>& distances,
                           const std::vector<int>& labels,
                           const Execution& execution) {
  options.validate();
  execution.validate();
  ClusterStats stats;
  stats.silhouette = silhouette_score(distances, labels);  // checks distances and labels
  if (options.k >= distances.rows()) {
    throw InvalidArgument("k", std::to_string(options.k),
                          "<= n - 1 = " + std::to_string(distances.rows() - 1));
  }
  int n_classes = 0;
  const std::vector<int> dense = dense_labels(labels, &n_classes);
  const auto order = neighbour_order(distances, options.k);
  stats.knn_accuracy = knn_dense(order, dense, n_classes);
  std::vector<int> counts(n_classes, 0);
  for (int l : dense) ++counts[l];
  stats.majority_accuracy =
      *std::max_element(counts.begin(), counts.end()) / static_cast<double>(dense.size());

  const int n_perm = options.n_permutations;
  std::vector<char> sil_ge(n_perm, 0), knn_ge(n_perm, 0);
  parallel_for(n_perm, execution.n_threads, [&](int t) {
    ::rnnatlas::internal::Rng rng(
        ::rnnatlas::internal::derive_seed(options.seed, 0, kLabelPermutationDomain), t);
    std::vector<int> permuted = dense;
    shuffle(permuted, rng);
    sil_ge[t] = silhouette_dense(distances, permuted, n_classes) >= stats.silhouette;
    knn_ge[t] = knn_dense(order, permuted, n_classes) >= stats.knn_accuracy;
  });
  stats.n_permutations = n_perm;
  stats.silhouette_p_value = p_value(std::accumulate(sil_ge.begin(), sil_ge.end(), 0), n_perm);
  stats.knn_p_value = p_value(std::accumulate(knn_ge.begin(), knn_ge.end(), 0), n_perm);
  return stats;
}

void MantelOptions::validate() const {
  RNNATLAS_CHECK_FIELD(n_permutations, n_permutations >= 0, ">= 0");
}

MantelResult mantel_test(const MantelOptions& options,
                         const Eigen::Ref<const Eigen::MatrixXd>& a,
                         const Eigen::Ref<const Eigen::MatrixXd>& b) {
  options.validate();
  internal::check_distance_matrix(a, "mantel_test (a)", 3);
  internal::check_distance_matrix(b, "mantel_test (b)", 3);
  RNNATLAS_CHECK_ARG(a.rows() == b.rows(), "mantel_test: a has " << a.rows() << " points but b has "
                                                                 << b.rows()
                                                                 << "; they must match");
  const int n = static_cast<int>(a.rows());
  const std::size_t m = static_cast<std::size_t>(n) * (n - 1) / 2;
  // Upper triangle of a, standardised; r is then a dot product with b's permuted entries.
  Eigen::VectorXd za(m), vb(m);
  std::size_t e = 0;
  for (int j = 1; j < n; ++j)
    for (int i = 0; i < j; ++i, ++e) {
      za(e) = a(i, j);
      vb(e) = b(i, j);
    }
  // Constant up to rounding: after centring, what is left of entries of size |mean| is rounding
  // noise of order eps * |mean| * sqrt(m), and the "correlation" of noise means nothing.
  auto standardise = [m](Eigen::VectorXd& v, const char* name) {
    const double scale = v.cwiseAbs().maxCoeff();
    v.array() -= v.mean();
    const double norm = v.norm();
    const double noise =
        64.0 * std::numeric_limits<double>::epsilon() * scale * std::sqrt(static_cast<double>(m));
    RNNATLAS_CHECK_ARG(norm > noise, "mantel_test: " << name
                                                     << " is constant off the diagonal; "
                                                        "the correlation is undefined");
    v /= norm;
  };
  standardise(za, "a");
  standardise(vb, "b");
  MantelResult result;
  result.r = za.dot(vb);
  const double b_mean = [&] {
    double s = 0.0;
    for (int j = 1; j < n; ++j)
      for (int i = 0; i < j; ++i) s += b(i, j);
    return s / static_cast<double>(m);
  }();
  // Permuting points keeps the multiset of b's entries, so its mean and norm are unchanged and
  // r_perm = <za, b_perm - mean> / ||b - mean||.
  double b_norm = 0.0;
  for (int j = 1; j < n; ++j)
    for (int i = 0; i < j; ++i) b_norm += (b(i, j) - b_mean) * (b(i, j) - b_mean);
  b_norm = std::sqrt(b_norm);
  std::vector<int> perm(n);
  int count = 0;
  for (int t = 0; t < options.n_permutations; ++t) {
    std::iota(perm.begin(), perm.end(), 0);
    ::rnnatlas::internal::Rng rng(::rnnatlas::internal::derive_seed(options.seed, 0, kMantelDomain),
                                  t);
    shuffle(perm, rng);
    double dot = 0.0;
    e = 0;
    for (int j = 1; j < n; ++j)
      for (int i = 0; i < j; ++i, ++e) dot += za(e) * b(perm[i], perm[j]);
    // za sums to 0, so subtracting b's mean changes nothing.
    const double r_perm = dot / b_norm;
    count += r_perm >= result.r - 1e-12;
  }
  result.n_permutations = options.n_permutations;
  result.p_value = p_value(count, options.n_permutations);
  return result;
}

}  // namespace rnnatlas::embedding
