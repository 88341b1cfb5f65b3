// Classical MDS and SMACOF.
#include "rnnatlas/embedding/embedding.h"

#include <Eigen/Eigenvalues>
#include <cmath>
#include <limits>
#include <sstream>

#include "common/random.h"
#include "embedding/checks.h"

namespace rnnatlas::embedding {
namespace {

// Domain tag keeping SMACOF's random starts apart from every other use of a seed.
constexpr std::uint64_t kSmacofDomain = 0x736d6163;  // "smac"

void check_components(int n_components, Eigen::Index n, const char* what) {
  RNNATLAS_CHECK_ARG(n_components >= 1 && n_components <= n,
                     what << ": n_components = " << n_components << ": must be in [1, " << n
                          << "] (the number of points)");
}

// Pairwise Euclidean distances between the rows of x.
Eigen::MatrixXd row_distances(const Eigen::MatrixXd& x) {
  const Eigen::Index n = x.rows();
  Eigen::MatrixXd d(n, n);
  for (Eigen::Index j = 0; j < n; ++j) {
    d(j, j) = 0.0;
    for (Eigen::Index i = j + 1; i < n; ++i) d(i, j) = d(j, i) = (x.row(i) - x.row(j)).norm();
  }
  return d;
}

// sum_{i<j} (d_ij - delta_ij)^2.
double raw_stress(const Eigen::Ref<const Eigen::MatrixXd>& d, const Eigen::MatrixXd& delta) {
  return 0.5 * (d - delta).squaredNorm();
}

struct StartResult {
  Eigen::MatrixXd x;
  double stress = 0.0;
  int n_iterations = 0;
  std::vector<double> history;
};

StartResult run_smacof(const SmacofOptions& options,
                       const Eigen::Ref<const Eigen::MatrixXd>& d,
                       Eigen::MatrixXd x) {
  const Eigen::Index n = d.rows();
  StartResult r;
  Eigen::MatrixXd delta = row_distances(x);
  double stress = raw_stress(d, delta);
  Eigen::MatrixXd b(n, n);
  r.history.push_back(stress);
  for (int it = 0; it < options.max_iterations && stress > 0.0; ++it) {
    // Guttman transform: X <- B(X) X / n.
    for (Eigen::Index j = 0; j < n; ++j) {
      double diagonal = 0.0;
      for (Eigen::Index i = 0; i < n; ++i) {
        if (i == j) continue;
        b(i, j) = delta(i, j) > 0.0 ? -d(i, j) / delta(i, j) : 0.0;
        diagonal -= b(i, j);
      }
      b(j, j) = diagonal;
    }
    x = b * x / static_cast<double>(n);
    delta = row_distances(x);
    const double next = raw_stress(d, delta);
    ++r.n_iterations;
    r.history.push_back(next);
    const bool converged = stress - next <= options.tolerance * stress;
    stress = next;
    if (converged) break;
  }
  r.x = std::move(x);
  r.stress = stress;
  return r;
}

}  // namespace

ClassicalMdsResult classical_mds(const Eigen::Ref<const Eigen::MatrixXd>& distances,
                                 int n_components) {
  internal::check_distance_matrix(distances, "classical_mds", 1);
  const Eigen::Index n = distances.rows();
  check_components(n_components, n, "classical_mds");
  // B = -1/2 J D^(2) J, written as double centring of the squared distances.
  Eigen::MatrixXd b = -0.5 * distances.array().square().matrix();
  const Eigen::VectorXd means = b.colwise().mean().transpose();
  const double grand = means.mean();
  b.colwise() -= means;
  b.rowwise() -= means.transpose();
  b.array() += grand;
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(b);  // ascending
  ClassicalMdsResult result;
  result.eigenvalues = eig.eigenvalues().reverse();
  result.coordinates.resize(n, n_components);
  for (int k = 0; k < n_components; ++k) {
    Eigen::VectorXd v = eig.eigenvectors().col(n - 1 - k);
    Eigen::Index at;
    v.cwiseAbs().maxCoeff(&at);
    if (v(at) < 0.0) v = -v;
    result.coordinates.col(k) = v * std::sqrt(std::max(result.eigenvalues(k), 0.0));
  }
  return result;
}

namespace {

using S = SmacofOptions;
constexpr OptionField<S> kSmacofFields[] = {
    {"n_components", &S::n_components, Rule::at_least(1), "embedding dimension (at most n)"},
    {"n_starts", &S::n_starts, Rule::at_least(1),
     "random starts (plus the classical MDS start when enabled)"},
    {"classical_start", &S::classical_start, Rule::none(), "also start from classical MDS"},
    {"max_iterations", &S::max_iterations, Rule::at_least(1), "Guttman transforms per start"},
    {"tolerance", &S::tolerance, Rule::at_least(0).and_finite(),
     "a start stops when the relative decrease of stress is below this"},
    {"seed", &S::seed, Rule::none(), "start s draws from stream (seed, s)"},
};

}  // namespace

const Schema<SmacofOptions>& SmacofOptions::schema() {
  static constexpr Schema<SmacofOptions> kSchema{kSmacofFields};
  return kSchema;
}

void SmacofOptions::validate() const { schema().validate(*this); }

SmacofSummary smacof(const SmacofOptions& options,
                     const Eigen::Ref<const Eigen::MatrixXd>& distances) {
  options.validate();
  internal::check_distance_matrix(distances, "smacof", 2);
  const Eigen::Index n = distances.rows();
  check_components(options.n_components, n, "smacof");
  const double total = 0.5 * distances.squaredNorm();  // sum_{i<j} d_ij^2
  const double rms = std::sqrt(total / (0.5 * static_cast<double>(n * (n - 1))));
  const double scale = rms / std::sqrt(2.0 * options.n_components);

  SmacofSummary summary;
  StartResult best;
  best.stress = std::numeric_limits<double>::infinity();
  const int n_total = options.n_starts + (options.classical_start ? 1 : 0);
  for (int s = 0; s < n_total; ++s) {
    Eigen::MatrixXd x0;
    if (options.classical_start && s == 0) {
      x0 = classical_mds(distances, options.n_components).coordinates;
    } else {
      ::rnnatlas::internal::Rng rng(
          ::rnnatlas::internal::derive_seed(options.seed, 0, kSmacofDomain), s);
      x0.resize(n, options.n_components);
      for (Eigen::Index j = 0; j < x0.cols(); ++j)
        for (Eigen::Index i = 0; i < n; ++i) x0(i, j) = scale * rng.normal();
    }
    StartResult r = run_smacof(options, distances, std::move(x0));
    summary.start_stress.push_back(r.stress);
    if (r.stress < best.stress) {
      best = std::move(r);
      summary.best_start = s;
    }
  }
  summary.coordinates = std::move(best.x);
  summary.stress = best.stress;
  summary.normalized_stress = total > 0.0 ? std::sqrt(best.stress / total) : 0.0;
  summary.n_iterations = best.n_iterations;
  summary.stress_history = std::move(best.history);
  summary.termination = Termination::kCompleted;
  std::ostringstream ss;
  ss << "best of " << n_total << " starts: start " << summary.best_start << ", stress "
     << summary.stress << ", normalized stress " << summary.normalized_stress << " after "
     << summary.n_iterations << " iterations";
  summary.message = ss.str();
  return summary;
}

}  // namespace rnnatlas::embedding
