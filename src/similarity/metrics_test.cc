// Each metric against its defining formula, written here independently, plus invariances, golden
// values and input checks.
#include "rnnatlas/similarity/metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "rnnatlas/error.h"
#include "testing/random_matrix.h"

namespace rnnatlas::similarity {
namespace {

using Eigen::MatrixXd;
using Eigen::VectorXd;
using ::testing::HasSubstr;

MatrixXd centred(const MatrixXd& x) { return x.rowwise() - x.colwise().mean(); }

// Symmetric inverse square root of an SPD matrix.
MatrixXd inv_sqrt(const MatrixXd& s) {
  Eigen::SelfAdjointEigenSolver<MatrixXd> eig(s);
  return eig.eigenvectors() * eig.eigenvalues().cwiseInverse().cwiseSqrt().asDiagonal() *
         eig.eigenvectors().transpose();
}

// Canonical correlations as the square roots of the eigenvalues of Sxx^-1 Sxy Syy^-1 Syx,
// descending, min(p_x, p_y) of them.
VectorXd cca_by_covariance(const MatrixXd& x, const MatrixXd& y) {
  const MatrixXd xc = centred(x), yc = centred(y);
  const MatrixXd sxx = xc.transpose() * xc, syy = yc.transpose() * yc, sxy = xc.transpose() * yc;
  const MatrixXd m = sxx.inverse() * sxy * syy.inverse() * sxy.transpose();
  Eigen::EigenSolver<MatrixXd> eig(m);
  std::vector<double> values;
  for (Eigen::Index i = 0; i < m.rows(); ++i) values.push_back(eig.eigenvalues()(i).real());
  std::sort(values.rbegin(), values.rend());
  const auto count = std::min(x.cols(), y.cols());
  VectorXd rho(count);
  for (Eigen::Index i = 0; i < count; ++i) rho(i) = std::sqrt(std::max(0.0, values[i]));
  return rho;
}

// A pair with shared structure: Y mixes some of X's columns with noise.
struct Pair {
  MatrixXd x, y;
};
Pair correlated_pair(int n, int n_x, int n_y, std::uint64_t seed) {
  internal::Rng rng(seed);
  Pair p;
  p.x = testing::random_normal(n, n_x, 1.0, rng);
  const MatrixXd mix = testing::random_normal(n_x, n_y, 1.0, rng);
  p.y = p.x * mix + testing::random_normal(n, n_y, 2.0, rng);
  p.x.rowwise() += testing::random_normal(1, n_x, 3.0, rng).row(0);  // offsets must not matter
  return p;
}

MatrixXd random_orthogonal(int n, internal::Rng& rng) {
  return Eigen::HouseholderQR<MatrixXd>(testing::random_normal(n, n, 1.0, rng)).householderQ();
}

// ---- CCA -------------------------------------------------------------------------------------

TEST(Cca, MatchesEigenvaluesOfCovarianceProduct) {
  const Pair p = correlated_pair(200, 6, 4, 1);
  const VectorXd rho = cca(CcaOptions{}, p.x, p.y);
  const VectorXd expected = cca_by_covariance(p.x, p.y);
  ASSERT_EQ(rho.size(), 4);
  EXPECT_LT((rho - expected).cwiseAbs().maxCoeff(), 1e-10) << rho.transpose() << "\n"
                                                           << expected.transpose();
  EXPECT_GT(rho(0), 0.5);
  for (Eigen::Index i = 1; i < rho.size(); ++i) EXPECT_GE(rho(i - 1), rho(i));
}

TEST(Cca, IsInvariantToInvertibleLinearMapsAndTranslation) {
  const Pair p = correlated_pair(150, 5, 5, 2);
  internal::Rng rng(3);
  const MatrixXd a = testing::random_normal(5, 5, 1.0, rng) + 3.0 * MatrixXd::Identity(5, 5);
  const MatrixXd b = testing::random_normal(5, 5, 1.0, rng) + 3.0 * MatrixXd::Identity(5, 5);
  MatrixXd y2 = p.y * b;
  y2.rowwise() += testing::random_normal(1, 5, 10.0, rng).row(0);
  const VectorXd rho = cca(CcaOptions{}, p.x, p.y);
  const VectorXd rho2 = cca(CcaOptions{}, p.x * a, y2);
  EXPECT_LT((rho - rho2).cwiseAbs().maxCoeff(), 1e-9);
}

TEST(Cca, OfDataWithItselfIsAllOnes) {
  const Pair p = correlated_pair(100, 7, 3, 4);
  const VectorXd rho = cca(CcaOptions{}, p.x, p.x);
  EXPECT_LT((rho - VectorXd::Ones(7)).cwiseAbs().maxCoeff(), 1e-12);
}

TEST(Cca, DropsRankDeficientDirections) {
  Pair p = correlated_pair(100, 4, 3, 5);
  MatrixXd x(100, 5);
  x << p.x, p.x.col(0) + 2.0 * p.x.col(1);  // rank 4
  EXPECT_EQ(prepare_cca(CcaOptions{}, x).rank(), 4);
  EXPECT_LT((cca(CcaOptions{}, x, p.y) - cca(CcaOptions{}, p.x, p.y)).cwiseAbs().maxCoeff(), 1e-10);
}

// ---- SVCCA -----------------------------------------------------------------------------------

// Projection onto the top-k principal directions (eigenvectors of the covariance), then CCA.
double svcca_distance_by_definition(const MatrixXd& x, const MatrixXd& y, int k) {
  auto reduce = [k](const MatrixXd& m) {
    const MatrixXd c = centred(m);
    Eigen::SelfAdjointEigenSolver<MatrixXd> eig(c.transpose() * c);
    return MatrixXd(c * eig.eigenvectors().rightCols(k));  // eigenvalues ascending
  };
  return 1.0 - cca_by_covariance(reduce(x), reduce(y)).mean();
}

TEST(Svcca, MatchesPcaThenCca) {
  const Pair p = correlated_pair(300, 12, 9, 6);
  const SvccaResult r = svcca(SvccaOptions{.k = 5}, p.x, p.y);
  EXPECT_EQ(r.rho.size(), 5);
  EXPECT_NEAR(r.distance, svcca_distance_by_definition(p.x, p.y, 5), 1e-10);
  EXPECT_NEAR(r.distance, 1.0 - r.mean_rho, 1e-15);
  EXPECT_GT(r.distance, 0.01);
}

TEST(Svcca, IsInvariantToOrthogonalMapsAndScalingAndZeroOnItself) {
  const Pair p = correlated_pair(200, 8, 8, 7);
  internal::Rng rng(8);
  const MatrixXd q = random_orthogonal(8, rng);
  const double d = svcca(SvccaOptions{.k = 4}, p.x, p.y).distance;
  EXPECT_NEAR(svcca(SvccaOptions{.k = 4}, 3.0 * p.x * q, p.y).distance, d, 1e-10);
  EXPECT_NEAR(svcca(SvccaOptions{.k = 4}, p.x, p.x * q).distance, 0.0, 1e-12);
}

TEST(Svcca, VarianceFractionKeepsTheFewestDirectionsReachingIt) {
  internal::Rng rng(9);
  MatrixXd x = testing::random_normal(500, 6, 1.0, rng);
  const VectorXd scales = (VectorXd(6) << 10, 5, 2, 0.1, 0.1, 0.1).finished();
  x = x * scales.asDiagonal();
  const PreparedSvcca p = prepare_svcca(SvccaOptions{.variance_fraction = 0.99}, x);
  const VectorXd var = p.singular_values.array().square();
  const int k = p.k();
  EXPECT_GE(var.head(k).sum() / var.sum(), 0.99);
  EXPECT_LT(var.head(k - 1).sum() / var.sum(), 0.99);
  EXPECT_EQ(k, 3);
}

TEST(Svcca, RejectsKLargerThanRank) {
  Pair p = correlated_pair(100, 3, 3, 10);
  MatrixXd x(100, 4);
  x << p.x, p.x.col(0) - p.x.col(2);  // rank 3
  try {
    prepare_svcca(SvccaOptions{.k = 4}, x);
    FAIL() << "expected InvalidArgument";
  } catch (const InvalidArgument& e) {
    EXPECT_THAT(e.what(), HasSubstr("k = 4: must be <= 3, the numerical rank"));
  }
}

// ---- PWCCA -----------------------------------------------------------------------------------

// Canonical directions of X by the covariance route: the left singular vectors u_i of
// Sxx^-1/2 Sxy Syy^-1/2 give a_i = Sxx^-1/2 u_i and variates h_i = X_c a_i / ||X_c a_i||;
// alpha_i = sum_j |<h_i, x_j>|, normalised.
double pwcca_distance_by_definition(const MatrixXd& x, const MatrixXd& y) {
  const MatrixXd xc = centred(x), yc = centred(y);
  const MatrixXd sxx = xc.transpose() * xc, syy = yc.transpose() * yc, sxy = xc.transpose() * yc;
  Eigen::JacobiSVD<MatrixXd> svd(inv_sqrt(sxx) * sxy * inv_sqrt(syy), Eigen::ComputeFullU);
  const Eigen::Index m = std::min(x.cols(), y.cols());
  double weighted = 0.0, total = 0.0;
  for (Eigen::Index i = 0; i < m; ++i) {
    VectorXd h = xc * inv_sqrt(sxx) * svd.matrixU().col(i);
    h.normalize();
    const double alpha = (xc.transpose() * h).cwiseAbs().sum();
    weighted += alpha * svd.singularValues()(i);
    total += alpha;
  }
  return 1.0 - weighted / total;
}

TEST(Pwcca, MatchesProjectionWeightedDefinitionWithWeightsFromX) {
  const Pair p = correlated_pair(300, 7, 4, 11);
  const PwccaResult r = pwcca(CcaOptions{}, p.x, p.y);
  EXPECT_NEAR(r.distance, pwcca_distance_by_definition(p.x, p.y), 1e-10);
  EXPECT_NEAR(r.weights.sum(), 1.0, 1e-14);
  EXPECT_LT((r.rho - cca(CcaOptions{}, p.x, p.y)).cwiseAbs().maxCoeff(), 1e-12);
  // Asymmetric: weights come from the first argument.
  const PwccaResult reversed = pwcca(CcaOptions{}, p.y, p.x);
  EXPECT_NEAR(reversed.distance, pwcca_distance_by_definition(p.y, p.x), 1e-10);
  EXPECT_GT(std::abs(reversed.distance - r.distance), 1e-4);
  // Differs from the unweighted mean.
  EXPECT_GT(std::abs(r.distance - (1.0 - r.rho.mean())), 1e-4);
}

TEST(Pwcca, IsZeroOnItselfAndInvariantToInvertibleMapsOfY) {
  const Pair p = correlated_pair(200, 5, 6, 12);
  EXPECT_NEAR(pwcca(CcaOptions{}, p.x, p.x).distance, 0.0, 1e-12);
  internal::Rng rng(13);
  const MatrixXd b = testing::random_normal(6, 6, 1.0, rng) + 3.0 * MatrixXd::Identity(6, 6);
  EXPECT_NEAR(pwcca(CcaOptions{}, p.x, p.y * b).distance, pwcca(CcaOptions{}, p.x, p.y).distance,
              1e-10);
}

// ---- CKA -------------------------------------------------------------------------------------

// Kornblith et al.'s golden data: X = randn(100, 10), Y = X + randn(100, 10), RandomState(1337).
Pair kornblith_pair() {
  const std::string path = std::string(RNNATLAS_SIMILARITY_TESTDATA) + "/kornblith_cka_xy.csv";
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  Pair p{MatrixXd(100, 10), MatrixXd(100, 10)};
  std::string line;
  int row = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::stringstream ss(line);
    std::string cell;
    for (int c = 0; c < 20 && std::getline(ss, cell, ','); ++c)
      (c < 10 ? p.x(row, c) : p.y(row, c - 10)) = std::stod(cell);
    ++row;
  }
  EXPECT_EQ(row, 100);
  return p;
}

TEST(Cka, ReproducesKornblithGoldenValues) {
  const Pair p = kornblith_pair();
  EXPECT_NEAR(cka(CkaOptions{}, p.x, p.y), 0.55761, 5e-6);
  EXPECT_NEAR(cka(CkaOptions{.kernel = CkaKernel::kRbf, .threshold = 0.5}, p.x, p.y), 0.65483,
              5e-6);
  EXPECT_NEAR(cka(CkaOptions{.debiased = true}, p.x, p.y), 0.51346, 5e-6);
}

double hsic_biased(const MatrixXd& k, const MatrixXd& l) {
  const auto n = k.rows();
  const MatrixXd h = MatrixXd::Identity(n, n) - MatrixXd::Constant(n, n, 1.0 / n);
  return (k * h * l * h).trace();
}

// Song et al. 2012, eq. (5), on raw Gram matrices.
double hsic_unbiased(MatrixXd k, MatrixXd l) {
  const double n = static_cast<double>(k.rows());
  k.diagonal().setZero();
  l.diagonal().setZero();
  const VectorXd one = VectorXd::Ones(k.rows());
  return ((k * l).trace() + one.dot(k * one) * one.dot(l * one) / ((n - 1) * (n - 2)) -
          2.0 / (n - 2) * one.dot(k * l * one)) /
         (n * (n - 3));
}

MatrixXd rbf_gram(const MatrixXd& x, double threshold) {
  const auto n = x.rows();
  MatrixXd d2(n, n);
  for (Eigen::Index i = 0; i < n; ++i)
    for (Eigen::Index j = 0; j < n; ++j) d2(i, j) = (x.row(i) - x.row(j)).squaredNorm();
  std::vector<double> v(d2.data(), d2.data() + d2.size());
  std::sort(v.begin(), v.end());
  const double median = 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);  // n^2 is even here
  return (-d2 / (2.0 * threshold * threshold * median)).array().exp();
}

TEST(Cka, MatchesHsicOfGramMatrices) {
  const Pair p = correlated_pair(60, 5, 8, 14);
  const MatrixXd k = p.x * p.x.transpose(), l = p.y * p.y.transpose();
  EXPECT_NEAR(cka(CkaOptions{}, p.x, p.y),
              hsic_biased(k, l) / std::sqrt(hsic_biased(k, k) * hsic_biased(l, l)), 1e-12);
  const MatrixXd kc = centred(p.x) * centred(p.x).transpose();
  const MatrixXd lc = centred(p.y) * centred(p.y).transpose();
  EXPECT_NEAR(cka(CkaOptions{.debiased = true}, p.x, p.y),
              hsic_unbiased(kc, lc) / std::sqrt(hsic_unbiased(kc, kc) * hsic_unbiased(lc, lc)),
              1e-12);
  const MatrixXd kr = rbf_gram(p.x, 0.8), lr = rbf_gram(p.y, 0.8);
  EXPECT_NEAR(cka(CkaOptions{.kernel = CkaKernel::kRbf, .threshold = 0.8}, p.x, p.y),
              hsic_biased(kr, lr) / std::sqrt(hsic_biased(kr, kr) * hsic_biased(lr, lr)), 1e-12);
  EXPECT_NEAR(
      cka(CkaOptions{.kernel = CkaKernel::kRbf, .threshold = 0.8, .debiased = true}, p.x, p.y),
      hsic_unbiased(kr, lr) / std::sqrt(hsic_unbiased(kr, kr) * hsic_unbiased(lr, lr)), 1e-12);
}

TEST(Cka, LinearKeepsOnlyTheRankOfARankDeficientSide) {
  // 5 informative units, 2 dead (constant) ones and a copy of unit 0: rank 5 of 8 units.
  const Pair p = correlated_pair(60, 5, 8, 21);
  MatrixXd x(60, 8);
  x << p.x, MatrixXd::Constant(60, 2, 0.7), p.x.col(0);
  const PreparedCka prepared = prepare_cka(CkaOptions{}, x);
  EXPECT_EQ(prepared.centred.cols(), 5);
  EXPECT_EQ(prepare_cka(CkaOptions{}, p.x).centred.cols(), 5);
  EXPECT_EQ(prepare_cka(CkaOptions{}, p.y).centred.cols(), 8);  // full rank: kept as is
  // The values are those of the Gram-matrix definition, which sees all 8 units.
  const MatrixXd k = x * x.transpose(), l = p.y * p.y.transpose();
  EXPECT_NEAR(cka(CkaOptions{}, x, p.y),
              hsic_biased(k, l) / std::sqrt(hsic_biased(k, k) * hsic_biased(l, l)), 1e-12);
  const MatrixXd kc = centred(x) * centred(x).transpose();
  const MatrixXd lc = centred(p.y) * centred(p.y).transpose();
  EXPECT_NEAR(cka(CkaOptions{.debiased = true}, x, p.y),
              hsic_unbiased(kc, lc) / std::sqrt(hsic_unbiased(kc, kc) * hsic_unbiased(lc, lc)),
              1e-12);
  // More units than samples: at most n_samples - 1 columns (centring removes one dimension).
  internal::Rng rng(22);
  const MatrixXd wide = testing::random_normal(12, 30, 1.0, rng);
  EXPECT_EQ(prepare_cka(CkaOptions{}, wide).centred.cols(), 11);
}

TEST(Cka, IsInvariantToOrthogonalMapsAndIsotropicScalingAndOneOnItself) {
  const Pair p = correlated_pair(80, 6, 6, 15);
  internal::Rng rng(16);
  const MatrixXd q = random_orthogonal(6, rng);
  for (const CkaOptions& o :
       {CkaOptions{}, CkaOptions{.debiased = true}, CkaOptions{.kernel = CkaKernel::kRbf},
        CkaOptions{.kernel = CkaKernel::kRbf, .debiased = true}}) {
    SCOPED_TRACE(std::string(to_string(o.kernel)) + (o.debiased ? " debiased" : ""));
    const double s = cka(o, p.x, p.y);
    EXPECT_NEAR(cka(o, 0.3 * p.x * q, 5.0 * p.y), s, 1e-10);
    EXPECT_NEAR(cka(o, p.x, p.x * q), 1.0, 1e-12);
    EXPECT_LT(s, 0.99);
  }
  // Not invariant to a general invertible map.
  const MatrixXd a = (VectorXd(6) << 10, 1, 1, 1, 1, 0.1).finished().asDiagonal();
  EXPECT_GT(std::abs(cka(CkaOptions{}, p.x * a, p.y) - cka(CkaOptions{}, p.x, p.y)), 1e-3);
}

// ---- Shape metrics ---------------------------------------------------------------------------

// Orthogonal Procrustes written out: Q = U V^T from the SVD of Y^T X aligns Y Q to X.
double procrustes_by_definition(const MatrixXd& x, const MatrixXd& y, bool angular) {
  const MatrixXd xc = centred(x), yc = centred(y);
  Eigen::JacobiSVD<MatrixXd> svd(yc.transpose() * xc, Eigen::ComputeFullU | Eigen::ComputeFullV);
  const MatrixXd q = svd.matrixU() * svd.matrixV().transpose();
  if (angular) return std::acos((xc.cwiseProduct(yc * q)).sum() / (xc.norm() * yc.norm()));
  return (xc - yc * q).norm();
}

TEST(ShapeDistance, AlphaOneIsProcrustes) {
  const Pair p = correlated_pair(120, 5, 5, 17);
  EXPECT_NEAR(shape_distance(ShapeOptions{}, p.x, p.y), procrustes_by_definition(p.x, p.y, true),
              1e-10);
  EXPECT_NEAR(shape_distance(ShapeOptions{.distance = ShapeDistance::kEuclidean}, p.x, p.y),
              procrustes_by_definition(p.x, p.y, false), 1e-8);
}

TEST(ShapeDistance, AlphaZeroIsCcaAngle) {
  const Pair p = correlated_pair(120, 5, 5, 18);
  const double mean_rho = cca_by_covariance(p.x, p.y).mean();
  EXPECT_NEAR(shape_distance(ShapeOptions{.alpha = 0.0}, p.x, p.y), std::acos(mean_rho), 1e-9);
}

TEST(ShapeDistance, PartialWhiteningMatchesDefinition) {
  const Pair p = correlated_pair(120, 4, 6, 19);
  const double alpha = 0.4;
  auto phi = [alpha](const MatrixXd& m) {
    const MatrixXd c = centred(m);
    const MatrixXd cov = c.transpose() * c / static_cast<double>(m.rows());
    return MatrixXd(c *
                    (alpha * MatrixXd::Identity(m.cols(), m.cols()) + (1 - alpha) * inv_sqrt(cov)));
  };
  // Unequal unit counts: zero-pad X to 6 units, then Procrustes.
  MatrixXd px = MatrixXd::Zero(120, 6);
  px.leftCols(4) = phi(p.x);
  EXPECT_NEAR(shape_distance(ShapeOptions{.alpha = alpha}, p.x, p.y),
              procrustes_by_definition(px, phi(p.y), true), 1e-9);
}

TEST(ShapeDistance, SatisfiesMetricAxiomsAndRotationInvariance) {
  internal::Rng rng(20);
  std::vector<MatrixXd> xs;
  for (int i = 0; i < 6; ++i) {
    xs.push_back(testing::random_normal(50, 4, 1.0, rng));
    if (i > 0) xs.back() += 0.7 * xs[0];
  }
  const MatrixXd q = random_orthogonal(4, rng);
  for (double alpha : {0.0, 0.5, 1.0}) {
    for (ShapeDistance kind : {ShapeDistance::kAngular, ShapeDistance::kEuclidean}) {
      SCOPED_TRACE(std::string(to_string(kind)) + " alpha " + std::to_string(alpha));
      const ShapeOptions o{.alpha = alpha, .distance = kind};
      std::vector<PreparedShape> p;
      p.reserve(xs.size());
      for (const MatrixXd& x : xs) p.push_back(prepare_shape(o, x));
      for (std::size_t i = 0; i < xs.size(); ++i) {
        EXPECT_NEAR(shape_distance(o, xs[i], xs[i] * q), 0.0, 1e-6);
        for (std::size_t j = 0; j < xs.size(); ++j) {
          const double dij = shape_distance(p[i], p[j], kind);
          EXPECT_NEAR(dij, shape_distance(p[j], p[i], kind), 1e-12);
          if (i != j) {
            EXPECT_GT(dij, 1e-3);
          }
          for (std::size_t k = 0; k < xs.size(); ++k)
            EXPECT_LE(dij,
                      shape_distance(p[i], p[k], kind) + shape_distance(p[k], p[j], kind) + 1e-9);
        }
      }
    }
  }
}

// ---- Input checks ----------------------------------------------------------------------------

template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const InvalidArgument& e) {
    return e.what();
  }
  return "no InvalidArgument thrown";
}

TEST(SimilarityInputs, BadInputFailsWithClearMessages) {
  const Pair p = correlated_pair(40, 3, 3, 21);
  const MatrixXd short_y = p.y.topRows(30);
  EXPECT_THAT(error_of([&] { cca(CcaOptions{}, p.x, short_y); }),
              HasSubstr("X has 40 samples (rows) but Y has 30"));
  EXPECT_THAT(error_of([&] { cka(CkaOptions{}, p.x, short_y); }), HasSubstr("but Y has 30"));
  EXPECT_THAT(error_of([&] { shape_distance(ShapeOptions{}, p.x, short_y); }),
              HasSubstr("but Y has 30"));
  MatrixXd bad = p.x;
  bad(3, 1) = std::nan("");
  EXPECT_THAT(error_of([&] { svcca(SvccaOptions{.k = 2}, bad, p.y); }),
              HasSubstr("non-finite entry nan at (3, 1)"));
  EXPECT_THAT(error_of([&] { pwcca(CcaOptions{}, p.x, bad); }), HasSubstr("non-finite"));
  // CCA with too few samples: rank 6 + 6 >= 10.
  internal::Rng rng(22);
  const MatrixXd a = testing::random_normal(10, 6, 1.0, rng),
                 b = testing::random_normal(10, 6, 1.0, rng);
  EXPECT_THAT(error_of([&] { cca(CcaOptions{}, a, b); }),
              HasSubstr("rank(X) + rank(Y) = 6 + 6 must be < n_samples = 10"));
  EXPECT_THAT(error_of([&] { cka(CkaOptions{}, a.topRows(3), b.topRows(3)); }),
              HasSubstr("needs at least 4"));
  EXPECT_THAT(error_of([&] { cca(CcaOptions{}, MatrixXd::Ones(10, 2), b); }),
              HasSubstr("numerical rank 0"));
}

TEST(SimilarityInputs, OptionsNameFieldValueAndRule) {
  EXPECT_THAT(error_of([] { SvccaOptions{.k = 0}.validate(); }), HasSubstr("k = 0: must be >= 1"));
  EXPECT_THAT(error_of([] { SvccaOptions{.variance_fraction = 1.5}.validate(); }),
              HasSubstr("variance_fraction = 1.5: must be in [0, 1]"));
  EXPECT_THAT(error_of([] { CkaOptions{.threshold = -1}.validate(); }),
              HasSubstr("threshold = -1: must be > 0"));
  EXPECT_THAT(error_of([] { ShapeOptions{.alpha = 2}.validate(); }),
              HasSubstr("alpha = 2: must be in [0, 1]"));
  EXPECT_THAT(error_of([] { CcaOptions{.rank_tolerance = 1}.validate(); }),
              HasSubstr("rank_tolerance = 1: must be in [0, 1)"));
  EXPECT_EQ(parse_cka_kernel("rbf"), CkaKernel::kRbf);
  EXPECT_THAT(error_of([] { parse_shape_distance("cosine"); }),
              HasSubstr("allowed: angular, euclidean"));
}

}  // namespace
}  // namespace rnnatlas::similarity
