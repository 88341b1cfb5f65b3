// Representational similarity metrics.
#include "rnnatlas/similarity/metrics.h"

#include <Eigen/Eigenvalues>
#include <Eigen/SVD>
#include <algorithm>
#include <cmath>
#include <string>

#include "rnnatlas/enum_names.h"
#include "similarity/checks.h"
#include "similarity/pair_internal.h"

namespace rnnatlas::similarity {
namespace {

using internal::centre_columns;
using internal::check_activity;
using internal::check_cca_pair;
using internal::check_same_samples;

// Thin SVD of the centred activity; singular values come back descending.
Eigen::BDCSVD<Eigen::MatrixXd> thin_svd(const Eigen::MatrixXd& centred) {
  return Eigen::BDCSVD<Eigen::MatrixXd>(centred, Eigen::ComputeThinU | Eigen::ComputeThinV);
}

// Numerical rank: singular values above tolerance * s_max.
int numerical_rank(const Eigen::VectorXd& s, double tolerance) {
  if (s.size() == 0 || s(0) <= 0.0) return 0;
  int r = 0;
  while (r < s.size() && s(r) > tolerance * s(0)) ++r;
  return r;
}

// Singular values of a small matrix, clamped to [0, 1] (cosines of principal angles).
Eigen::VectorXd principal_cosines(const Eigen::MatrixXd& m) {
  Eigen::VectorXd s = Eigen::BDCSVD<Eigen::MatrixXd>(m).singularValues();
  return s.cwiseMax(0.0).cwiseMin(1.0);
}

}  // namespace

namespace internal {

void check_cca_pair(int n_samples, int rank_x, int rank_y, const char* what) {
  RNNATLAS_CHECK_ARG(rank_x + rank_y < n_samples,
                     what << ": rank(X) + rank(Y) = " << rank_x << " + " << rank_y
                          << " must be < n_samples = " << n_samples
                          << " (otherwise canonical correlations of 1 arise trivially); use more "
                             "samples or fewer directions");
}

Eigen::VectorXd principal_cosines_from_gram(const Eigen::MatrixXd& m) {
  const Eigen::MatrixXd gram = m.rows() <= m.cols() ? Eigen::MatrixXd(m * m.transpose())
                                                    : Eigen::MatrixXd(m.transpose() * m);
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(gram, Eigen::EigenvaluesOnly);
  return eig.eigenvalues().reverse().cwiseMax(0.0).cwiseSqrt().cwiseMin(1.0);
}

}  // namespace internal

// ---- CCA -------------------------------------------------------------------------------------

namespace {

constexpr OptionField<CcaOptions> kCcaFields[] = {
    {"rank_tolerance", &CcaOptions::rank_tolerance, Rule::in_closed_open(0, 1),
     "singular values below this x the largest are dropped from each side's basis"},
};

constexpr OptionField<SvccaOptions> kSvccaFields[] = {
    {"k", &SvccaOptions::k, Rule::at_least(1), "principal directions kept per network"},
    {"variance_fraction", &SvccaOptions::variance_fraction,
     Rule::bounded(Rule::End::kClosed, 0, Rule::End::kClosed, 1).noting("0 = use k"),
     "keep the directions that explain this fraction of the variance instead of k"},
    {"rank_tolerance", &SvccaOptions::rank_tolerance,
     Rule::in_closed_open(1e-7, 1).noting("directions come from X^T X, which resolves ~sqrt(eps)"),
     "singular values below this x the largest count as zero"},
};

constexpr OptionField<CkaOptions> kCkaFields[] = {
    {"threshold", &CkaOptions::threshold, Rule::greater_than(0).and_finite(),
     "RBF bandwidth as a multiple of the median distance"},
    {"debiased", &CkaOptions::debiased, Rule::none(), "unbiased HSIC estimator (Song et al. 2012)"},
};

constexpr OptionField<ShapeOptions> kShapeFields[] = {
    {"alpha", &ShapeOptions::alpha,
     Rule::bounded(Rule::End::kClosed, 0, Rule::End::kClosed, 1)
         .noting("1 = Procrustes, 0 = full whitening"),
     "partial whitening"},
    {"rank_tolerance", &ShapeOptions::rank_tolerance, Rule::in_closed_open(0, 1),
     "covariance eigenvalues below this x the largest count as zero"},
};

}  // namespace

const Schema<CcaOptions>& CcaOptions::schema() {
  static constexpr Schema<CcaOptions> kSchema{kCcaFields};
  return kSchema;
}

void CcaOptions::validate() const { schema().validate(*this); }

const Schema<SvccaOptions>& SvccaOptions::schema() {
  static constexpr Schema<SvccaOptions> kSchema{kSvccaFields};
  return kSchema;
}

const Schema<CkaOptions>& CkaOptions::schema() {
  static constexpr Schema<CkaOptions> kSchema{kCkaFields};
  return kSchema;
}

const Schema<ShapeOptions>& ShapeOptions::schema() {
  static constexpr Schema<ShapeOptions> kSchema{kShapeFields};
  return kSchema;
}

PreparedCca prepare_cca(const CcaOptions& options, const Eigen::Ref<const Eigen::MatrixXd>& x) {
  options.validate();
  check_activity(x, "cca", "X", 2);
  const Eigen::MatrixXd centred = centre_columns(x);
  const auto svd = thin_svd(centred);
  const Eigen::VectorXd& s = svd.singularValues();
  const int r = numerical_rank(s, options.rank_tolerance);
  RNNATLAS_CHECK_ARG(r >= 1, "cca: X" << internal::shape_of(x)
                                      << " is constant in every column (numerical rank 0)");
  PreparedCca p;
  p.n_samples = static_cast<int>(x.rows());
  p.n_units = static_cast<int>(x.cols());
  p.basis = svd.matrixU().leftCols(r);
  p.loadings = svd.matrixV().leftCols(r) * s.head(r).asDiagonal();
  return p;
}

Eigen::VectorXd cca(const PreparedCca& x, const PreparedCca& y) {
  check_same_samples(x.n_samples, y.n_samples, "cca");
  check_cca_pair(x.n_samples, x.rank(), y.rank(), "cca");
  return principal_cosines(x.basis.transpose() * y.basis);
}

Eigen::VectorXd cca(const CcaOptions& options,
                    const Eigen::Ref<const Eigen::MatrixXd>& x,
                    const Eigen::Ref<const Eigen::MatrixXd>& y) {
  check_same_samples(static_cast<int>(x.rows()), static_cast<int>(y.rows()), "cca");
  return cca(prepare_cca(options, x), prepare_cca(options, y));
}

// ---- SVCCA -----------------------------------------------------------------------------------

void SvccaOptions::validate() const { schema().validate(*this); }

PreparedSvcca prepare_svcca(const SvccaOptions& options,
                            const Eigen::Ref<const Eigen::MatrixXd>& x) {
  options.validate();
  check_activity(x, "svcca", "X", 2);
  // Principal directions from the eigen-decomposition of X_c^T X_c: one GEMM plus a [p, p]
  // eigenproblem, about 20x faster than an SVD of a tall [n, p] matrix. It resolves singular
  // values down to about sqrt(eps) s_max, hence the floor on rank_tolerance.
  const Eigen::MatrixXd centred = centre_columns(x);
  Eigen::MatrixXd gram(centred.cols(), centred.cols());
  gram.setZero();
  gram.selfadjointView<Eigen::Lower>().rankUpdate(centred.transpose());
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(gram);  // ascending
  const Eigen::VectorXd s = eig.eigenvalues().reverse().cwiseMax(0.0).cwiseSqrt();
  const Eigen::MatrixXd v = eig.eigenvectors().rowwise().reverse();
  const int r = numerical_rank(s, options.rank_tolerance);
  RNNATLAS_CHECK_ARG(r >= 1, "svcca: X" << internal::shape_of(x)
                                        << " is constant in every column (numerical rank 0)");
  int k = options.k;
  if (options.variance_fraction > 0.0) {
    const Eigen::ArrayXd variance = s.head(r).array().square();
    const double target = options.variance_fraction * variance.sum();
    double cumulative = 0.0;
    k = 0;
    while (k < r && cumulative < target * (1.0 - 1e-12)) cumulative += variance(k++);
    k = std::max(k, 1);
  } else {
    if (k > r) {
      throw InvalidArgument("k", std::to_string(k),
                            "<= " + std::to_string(r) + ", the numerical rank of X" +
                                internal::shape_of(x) + " (or set variance_fraction)");
    }
  }
  PreparedSvcca p;
  p.n_samples = static_cast<int>(x.rows());
  p.n_units = static_cast<int>(x.cols());
  p.basis = centred * (v.leftCols(k) * s.head(k).cwiseInverse().asDiagonal());
  p.singular_values = s.head(r);
  return p;
}

SvccaResult svcca(const PreparedSvcca& x, const PreparedSvcca& y) {
  check_same_samples(x.n_samples, y.n_samples, "svcca");
  check_cca_pair(x.n_samples, x.k(), y.k(), "svcca");
  SvccaResult result;
  result.rho = principal_cosines(x.basis.transpose() * y.basis);
  result.mean_rho = result.rho.mean();
  result.distance = std::clamp(1.0 - result.mean_rho, 0.0, 1.0);
  return result;
}

SvccaResult svcca(const SvccaOptions& options,
                  const Eigen::Ref<const Eigen::MatrixXd>& x,
                  const Eigen::Ref<const Eigen::MatrixXd>& y) {
  check_same_samples(static_cast<int>(x.rows()), static_cast<int>(y.rows()), "svcca");
  return svcca(prepare_svcca(options, x), prepare_svcca(options, y));
}

// ---- PWCCA -----------------------------------------------------------------------------------

PwccaResult pwcca(const PreparedCca& x, const PreparedCca& y) {
  check_same_samples(x.n_samples, y.n_samples, "pwcca");
  check_cca_pair(x.n_samples, x.rank(), y.rank(), "pwcca");
  return internal::pwcca_from_cross(x, x.basis.transpose() * y.basis);
}

PwccaResult internal::pwcca_from_cross(const PreparedCca& x, const Eigen::MatrixXd& cross) {
  // Q_x^T Q_y = A diag(rho) B^T; X's canonical variates are H_x = Q_x A, and
  // X_c^T H_x = (X_c^T Q_x) A = loadings A: entry (j, i) = <x_j, h_i>.
  const Eigen::BDCSVD<Eigen::MatrixXd> svd(cross, Eigen::ComputeThinU);
  const Eigen::Index m = svd.singularValues().size();
  PwccaResult result;
  result.rho = svd.singularValues().cwiseMax(0.0).cwiseMin(1.0);
  const Eigen::MatrixXd projections = x.loadings * svd.matrixU().leftCols(m);  // [p_x, m]
  result.weights = projections.cwiseAbs().colwise().sum().transpose();
  result.weights /= result.weights.sum();
  result.weighted_rho = result.weights.dot(result.rho);
  result.distance = std::clamp(1.0 - result.weighted_rho, 0.0, 1.0);
  return result;
}

PwccaResult pwcca(const CcaOptions& options,
                  const Eigen::Ref<const Eigen::MatrixXd>& x,
                  const Eigen::Ref<const Eigen::MatrixXd>& y) {
  check_same_samples(static_cast<int>(x.rows()), static_cast<int>(y.rows()), "pwcca");
  return pwcca(prepare_cca(options, x), prepare_cca(options, y));
}

// ---- CKA -------------------------------------------------------------------------------------

constexpr EnumName<CkaKernel> kCkaKernelNames[] = {{CkaKernel::kLinear, "linear"},
                                                   {CkaKernel::kRbf, "rbf"}};

std::string_view to_string(CkaKernel kernel) {
  return enum_to_string<CkaKernel>(kCkaKernelNames, kernel);
}

CkaKernel parse_cka_kernel(std::string_view name) {
  return parse_enum<CkaKernel>(kCkaKernelNames, name, "CKA kernel");
}

std::vector<std::string> cka_kernel_names() { return enum_names<CkaKernel>(kCkaKernelNames); }

void CkaOptions::validate() const { schema().validate(*this); }

namespace {

// Unbiased HSIC (Song et al. 2012), up to the common factor 1/(n(n-3)), of two linear kernels on
// centred features, from ||X^T Y||_F^2, the row norms and the total norms:
// tr(K~L~) - 2/(n-2) 1^T K~ L~ 1 + 1^T K~ 1 1^T L~ 1 / ((n-1)(n-2)), where, for centred data,
// K~ 1 = -diag(K) and 1^T K~ 1 = -tr(K).
double debiased_linear_hsic(double xty_sq,
                            const Eigen::VectorXd& rows_x,
                            const Eigen::VectorXd& rows_y,
                            int n) {
  const double dn = n;
  return xty_sq - dn / (dn - 2.0) * rows_x.dot(rows_y) +
         rows_x.sum() * rows_y.sum() / ((dn - 1.0) * (dn - 2.0));
}

// Double-centres a Gram matrix (H K H), or U-centres it (Szekely & Rizzo 2014) so that
// <K_u, L_u> / (n(n-3)) is the unbiased HSIC estimator.
void centre_gram(Eigen::MatrixXd& k, bool unbiased) {
  const Eigen::Index n = k.rows();
  if (!unbiased) {
    const Eigen::VectorXd means = k.colwise().mean().transpose();
    const double grand = means.mean();
    k.colwise() -= means;
    k.rowwise() -= means.transpose();
    k.array() += grand;
    return;
  }
  k.diagonal().setZero();
  const Eigen::VectorXd sums = k.colwise().sum().transpose();
  const double total = sums.sum();
  const double dn = static_cast<double>(n);
  k.colwise() -= sums / (dn - 2.0);
  k.rowwise() -= sums.transpose() / (dn - 2.0);
  k.array() += total / ((dn - 1.0) * (dn - 2.0));
  k.diagonal().setZero();
}

}  // namespace

PreparedCka prepare_cka(const CkaOptions& options, const Eigen::Ref<const Eigen::MatrixXd>& x) {
  options.validate();
  check_activity(x, "cka", "X", 4);
  PreparedCka p;
  p.kernel = options.kernel;
  p.debiased = options.debiased;
  p.n_samples = static_cast<int>(x.rows());
  p.n_units = static_cast<int>(x.cols());
  Eigen::MatrixXd centred = centre_columns(x);
  const int n = p.n_samples;
  if (options.kernel == CkaKernel::kLinear) {
    const Eigen::MatrixXd gram = centred.transpose() * centred;  // [p, p]
    const double xtx_sq = gram.squaredNorm();
    if (options.debiased) {
      p.row_sq_norms = centred.rowwise().squaredNorm();
      p.self_similarity = debiased_linear_hsic(xtx_sq, p.row_sq_norms, p.row_sq_norms, n);
    } else {
      p.self_similarity = xtx_sq;
    }
    // ||X_c^T Y_c||_F is unchanged when X_c is replaced by X_c V_r, V_r the right singular vectors
    // of its r nonzero singular values, so a rank-deficient side (dead units, more units than
    // samples) keeps only r columns and its pairs cost O(n r_x r_y). Directions below 1e-6 s_max
    // would change CKA by less than 1e-12 relative.
    const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(gram);  // ascending
    const Eigen::VectorXd& lambda = eig.eigenvalues();
    const double floor = 1e-12 * std::max(lambda(lambda.size() - 1), 0.0);
    Eigen::Index r = 0;
    while (r < lambda.size() && lambda(lambda.size() - 1 - r) > floor) ++r;
    if (r < centred.cols()) {
      p.centred = centred * eig.eigenvectors().rightCols(r);
    } else {
      p.centred = std::move(centred);
    }
  } else {
    // Squared distances from the Gram matrix of the centred data (translation does not matter).
    Eigen::MatrixXd gram = centred * centred.transpose();
    const Eigen::VectorXd sq = gram.diagonal();
    Eigen::MatrixXd d2 = (-2.0 * gram).colwise() + sq;
    d2.rowwise() += sq.transpose();
    d2 = d2.cwiseMax(0.0);
    d2.diagonal().setZero();
    // Median over all n^2 entries, diagonal included (Kornblith et al.'s convention); for an even
    // count, the mean of the two middle values.
    std::vector<double> values(d2.data(), d2.data() + d2.size());
    const std::size_t half = values.size() / 2;
    std::nth_element(values.begin(), values.begin() + half, values.end());
    double median = values[half];
    if (values.size() % 2 == 0)
      median = 0.5 * (median + *std::max_element(values.begin(), values.begin() + half));
    RNNATLAS_CHECK_ARG(median > 0.0,
                       "cka (rbf): the median squared distance between samples of X"
                           << internal::shape_of(x)
                           << " is 0 (most samples coincide); the bandwidth is undefined");
    const double sigma2 = options.threshold * options.threshold * median;
    gram = (-d2 / (2.0 * sigma2)).array().exp();
    centre_gram(gram, options.debiased);
    p.self_similarity = gram.squaredNorm();
    p.gram = std::move(gram);
  }
  RNNATLAS_CHECK_ARG(
      p.self_similarity > 0.0,
      "cka: X" << internal::shape_of(x) << " has HSIC(X, X) = " << p.self_similarity
               << " <= 0 (constant activity"
               << (options.debiased ? ", or too few samples for the debiased estimator" : "")
               << "); CKA is undefined");
  return p;
}

double cka(const PreparedCka& x, const PreparedCka& y) {
  RNNATLAS_CHECK_ARG(x.kernel == y.kernel && x.debiased == y.debiased,
                     "cka: the two sides were prepared with different options (kernel "
                         << to_string(x.kernel) << " vs " << to_string(y.kernel) << ", debiased "
                         << x.debiased << " vs " << y.debiased << ")");
  check_same_samples(x.n_samples, y.n_samples, "cka");
  if (x.kernel == CkaKernel::kLinear)
    return internal::cka_linear_from_cross(x, y, (x.centred.transpose() * y.centred).squaredNorm());
  const double hsic = x.gram.cwiseProduct(y.gram).sum();
  return hsic / std::sqrt(x.self_similarity * y.self_similarity);
}

double internal::cka_linear_from_cross(const PreparedCka& x,
                                       const PreparedCka& y,
                                       double cross_sq) {
  const double hsic =
      x.debiased ? debiased_linear_hsic(cross_sq, x.row_sq_norms, y.row_sq_norms, x.n_samples)
                 : cross_sq;
  return hsic / std::sqrt(x.self_similarity * y.self_similarity);
}

double cka(const CkaOptions& options,
           const Eigen::Ref<const Eigen::MatrixXd>& x,
           const Eigen::Ref<const Eigen::MatrixXd>& y) {
  check_same_samples(static_cast<int>(x.rows()), static_cast<int>(y.rows()), "cka");
  return cka(prepare_cka(options, x), prepare_cka(options, y));
}

// ---- Shape metrics ---------------------------------------------------------------------------

constexpr EnumName<ShapeDistance> kShapeDistanceNames[] = {
    {ShapeDistance::kAngular, "angular"}, {ShapeDistance::kEuclidean, "euclidean"}};

std::string_view to_string(ShapeDistance distance) {
  return enum_to_string<ShapeDistance>(kShapeDistanceNames, distance);
}

ShapeDistance parse_shape_distance(std::string_view name) {
  return parse_enum<ShapeDistance>(kShapeDistanceNames, name, "shape distance");
}

std::vector<std::string> shape_distance_names() {
  return enum_names<ShapeDistance>(kShapeDistanceNames);
}

void ShapeOptions::validate() const { schema().validate(*this); }

PreparedShape prepare_shape(const ShapeOptions& options,
                            const Eigen::Ref<const Eigen::MatrixXd>& x) {
  options.validate();
  check_activity(x, "shape_distance", "X", 2);
  PreparedShape p;
  p.alpha = options.alpha;
  p.n_samples = static_cast<int>(x.rows());
  p.n_units = static_cast<int>(x.cols());
  Eigen::MatrixXd centred = centre_columns(x);
  if (options.alpha < 1.0) {
    const Eigen::MatrixXd covariance =
        (centred.transpose() * centred) / static_cast<double>(p.n_samples);
    const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(covariance);
    const Eigen::VectorXd& lambda = eig.eigenvalues();  // ascending
    const double floor = options.rank_tolerance * std::max(lambda.maxCoeff(), 0.0);
    Eigen::VectorXd d(lambda.size());
    for (Eigen::Index i = 0; i < lambda.size(); ++i)
      d(i) = options.alpha + (lambda(i) > floor && lambda(i) > 0.0
                                  ? (1.0 - options.alpha) / std::sqrt(lambda(i))
                                  : 0.0);
    const Eigen::MatrixXd& v = eig.eigenvectors();
    p.whitened = centred * (v * d.asDiagonal() * v.transpose());
  } else {
    p.whitened = std::move(centred);
  }
  p.norm = p.whitened.norm();
  RNNATLAS_CHECK_ARG(
      p.norm > 0.0, "shape_distance: X" << internal::shape_of(x) << " is constant in every column");
  return p;
}

double shape_distance(const PreparedShape& x, const PreparedShape& y, ShapeDistance distance) {
  RNNATLAS_CHECK_ARG(x.alpha == y.alpha,
                     "shape_distance: the two sides were prepared with "
                     "different alpha ("
                         << x.alpha << " vs " << y.alpha << ")");
  check_same_samples(x.n_samples, y.n_samples, "shape_distance");
  const double nuclear =
      Eigen::BDCSVD<Eigen::MatrixXd>(x.whitened.transpose() * y.whitened).singularValues().sum();
  if (distance == ShapeDistance::kAngular)
    return std::acos(std::clamp(nuclear / (x.norm * y.norm), 0.0, 1.0));
  return std::sqrt(std::max(0.0, x.norm * x.norm + y.norm * y.norm - 2.0 * nuclear));
}

double shape_distance(const ShapeOptions& options,
                      const Eigen::Ref<const Eigen::MatrixXd>& x,
                      const Eigen::Ref<const Eigen::MatrixXd>& y) {
  check_same_samples(static_cast<int>(x.rows()), static_cast<int>(y.rows()), "shape_distance");
  return shape_distance(prepare_shape(options, x), prepare_shape(options, y), options.distance);
}

}  // namespace rnnatlas::similarity
