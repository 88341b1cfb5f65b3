// DSA against known answers: the operator of a noise-free linear system, trial boundaries, exact
// minima of the alignment (hidden orthogonal similarity, symmetric operators), provable lower
// bounds, invariances, symmetry, the gradient against finite differences, and input checks.
#include "rnnatlas/similarity/dsa.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <vector>

#include "rnnatlas/error.h"
#include "rnnatlas/similarity/distance_matrix.h"
#include "similarity/dsa_internal.h"
#include "testing/random_matrix.h"

namespace rnnatlas::similarity {
namespace {

using Eigen::MatrixXd;
using Eigen::VectorXd;
using ::testing::HasSubstr;
using Rng = ::rnnatlas::internal::Rng;

MatrixXd random_orthogonal(int n, Rng& rng) {
  return Eigen::HouseholderQR<MatrixXd>(testing::random_normal(n, n, 1.0, rng)).householderQ();
}

double spectral_radius(const MatrixXd& a) {
  return Eigen::EigenSolver<MatrixXd>(a, false).eigenvalues().cwiseAbs().maxCoeff();
}

// A random (non-normal) operator with spectral radius `radius`.
MatrixXd random_operator(int n, double radius, Rng& rng) {
  const MatrixXd g = testing::random_normal(n, n, 1.0, rng);
  return radius / spectral_radius(g) * g;
}

// n_trials trials of x_{s+1} = A x_s + drive from independent random x_0, in the row order of
// activity.h: row s * n_trials + b is step s of trial b.
MatrixXd linear_trajectories(
    const MatrixXd& a, const VectorXd& drive, int n_trials, int n_steps, Rng& rng) {
  const int p = static_cast<int>(a.rows());
  MatrixXd x(n_trials * n_steps, p);
  MatrixXd state = testing::random_normal(p, n_trials, 1.0, rng);
  for (int s = 0; s < n_steps; ++s) {
    for (int b = 0; b < n_trials; ++b) x.row(s * n_trials + b) = state.col(b).transpose();
    state = (a * state).colwise() + drive;
  }
  return x;
}

// Trials of a small driven tanh network h_{s+1} = tanh(W h_s + u_s), u_s random pulses: nonlinear
// activity whose fitted operator is an approximation.
MatrixXd network_trajectories(int p, int n_trials, int n_steps, std::uint64_t seed) {
  Rng rng(seed);
  const MatrixXd w = random_operator(p, 1.1, rng);
  MatrixXd x(n_trials * n_steps, p);
  MatrixXd state = MatrixXd::Zero(p, n_trials);
  for (int s = 0; s < n_steps; ++s) {
    const MatrixXd input =
        s % 7 == 0 ? testing::random_normal(p, n_trials, 1.0, rng) : MatrixXd::Zero(p, n_trials);
    state = (w * state + input).array().tanh().matrix();
    for (int b = 0; b < n_trials; ++b) x.row(s * n_trials + b) = state.col(b).transpose();
  }
  return x;
}

DsaOptions options_for(int n_steps, int rank, int n_delays = 1, int delay_interval = 1) {
  DsaOptions o;
  o.n_steps = n_steps;
  o.rank = rank;
  o.n_delays = n_delays;
  o.delay_interval = delay_interval;
  return o;
}

// ---- the fitted operator ---------------------------------------------------------------------

TEST(PrepareDsa, RecoversTheOperatorOfANoiseFreeLinearSystem) {
  Rng rng(1);
  const MatrixXd a = random_operator(6, 0.97, rng);
  const VectorXd drive = testing::random_vector(6, 0.5, rng);  // affine: absorbed by the intercept
  MatrixXd x = linear_trajectories(a, drive, 12, 25, rng);
  x.rowwise() += testing::random_normal(1, 6, 5.0, rng).row(0);
  const PreparedDsa p = prepare_dsa(options_for(25, 6), x);
  EXPECT_EQ(p.rank(), 6);
  EXPECT_LT(p.fit_residual, 1e-10);
  EXPECT_LT((p.embedding_dynamics() - a).norm(), 1e-8 * a.norm()) << p.embedding_dynamics() << "\n"
                                                                  << a;
  // A itself is the operator in whitened coordinates: similar to the true one, so same spectrum.
  EXPECT_NEAR(p.dynamics.trace(), a.trace(), 1e-9);
  for (int i = 1; i < 6; ++i) EXPECT_GE(p.singular_values(i - 1), p.singular_values(i));
}

TEST(PrepareDsa, DelayEmbeddingNeverJoinsTrials) {
  // Every trial starts from an unrelated random state, so a single pair (z_s, z_{s+1}) taken
  // across two trials would break the exact linear fit.
  Rng rng(2);
  const int p = 4, n_trials = 15, n_steps = 20;
  const MatrixXd a = random_operator(p, 0.95, rng);
  const MatrixXd x = linear_trajectories(a, VectorXd::Zero(p), n_trials, n_steps, rng);
  // z_s = [x_s; x_{s-2}; x_{s-4}] spans only p dimensions (x_{s-2} = A^-2 x_s), so rank p.
  const DsaOptions o = options_for(n_steps, p, 3, 2);
  const PreparedDsa prepared = prepare_dsa(o, x);
  EXPECT_LT(prepared.fit_residual, 1e-9);
  // The embedding operator maps the difference of two delay vectors to that of their successors.
  const auto delay_vector = [&](int s, int b) {
    VectorXd z(3 * p);
    for (int k = 0; k < 3; ++k) z.segment(k * p, p) = x.row((s - 2 * k) * n_trials + b).transpose();
    return z;
  };
  const MatrixXd e = prepared.embedding_dynamics();
  const VectorXd dz = delay_vector(9, 3) - delay_vector(6, 11);
  const VectorXd dz_next = delay_vector(10, 3) - delay_vector(7, 11);
  EXPECT_LT((e * dz - dz_next).norm(), 1e-8 * dz_next.norm());

  // Controls: reading the same rows as one long trajectory, or as trial-major, joins trials, and
  // the fit is no longer exact.
  DsaOptions one_trial = o;
  one_trial.n_steps = n_trials * n_steps;
  EXPECT_GT(prepare_dsa(one_trial, x).fit_residual, 0.05);
  MatrixXd trial_major(x.rows(), p);
  for (int b = 0; b < n_trials; ++b)
    for (int s = 0; s < n_steps; ++s) trial_major.row(b * n_steps + s) = x.row(s * n_trials + b);
  EXPECT_GT(prepare_dsa(o, trial_major).fit_residual, 0.05);
}

TEST(PrepareDsa, IsInvariantToOrthogonalMapsScalingAndTranslationUpToSigns) {
  Rng rng(3);
  const MatrixXd x = network_trajectories(8, 10, 40, 4);
  MatrixXd y = 3.0 * x * random_orthogonal(8, rng);
  y.rowwise() += testing::random_normal(1, 8, 2.0, rng).row(0);
  const DsaOptions o = options_for(40, 5, 2, 1);
  const PreparedDsa px = prepare_dsa(o, x), py = prepare_dsa(o, y);
  EXPECT_NEAR(px.fit_residual, py.fit_residual, 1e-9);
  EXPECT_LT((px.singular_values * 3.0 - py.singular_values).norm(),
            1e-9 * py.singular_values.norm());
  // Same operator up to the signs of the principal coordinates: |entries| agree.
  EXPECT_LT((px.dynamics.cwiseAbs() - py.dynamics.cwiseAbs()).norm(), 1e-7);
  EXPECT_GT(px.fit_residual, 1e-3);  // nonlinear: A is an approximation
}

// ---- the alignment ---------------------------------------------------------------------------

TEST(DsaAlignment, GradientMatchesFiniteDifferencesAndCayleyStaysOrthogonal) {
  Rng rng(5);
  const int n = 7;
  const MatrixXd a = testing::random_normal(n, n, 1.0, rng);
  const MatrixXd b = testing::random_normal(n, n, 1.0, rng);
  const MatrixXd c = random_orthogonal(n, rng);
  const MatrixXd omega = internal::alignment_gradient(a, c * b * c.transpose());
  EXPECT_LT((omega + omega.transpose()).norm(), 1e-12);
  for (int trial = 0; trial < 3; ++trial) {
    const MatrixXd g = testing::random_normal(n, n, 1.0, rng);
    const MatrixXd k = 0.5 * (g - g.transpose());
    const double h = 1e-5;
    const double fd = (internal::alignment_value(a, b, internal::cayley(k, h) * c) -
                       internal::alignment_value(a, b, internal::cayley(k, -h) * c)) /
                      (2.0 * h);
    EXPECT_NEAR(fd, omega.cwiseProduct(k).sum(), 1e-7 * std::max(1.0, std::abs(fd)));
    const MatrixXd r = internal::cayley(k, 0.7);
    EXPECT_LT((r.transpose() * r - MatrixXd::Identity(n, n)).norm(), 1e-13);
    EXPECT_LT(((internal::cayley(k, 1e-6) - MatrixXd::Identity(n, n)) / 1e-6 - k).norm(), 1e-5);
  }
  // The value is <A, C B C^T> by definition.
  EXPECT_NEAR(internal::alignment_value(a, b, c), (a.transpose() * c * b * c.transpose()).trace(),
              1e-12);
}

TEST(DsaAlignment, ConvergesToAStationaryPointFromAnyStart) {
  Rng rng(6);
  const int n = 12;
  MatrixXd a = testing::random_normal(n, n, 1.0, rng), b = testing::random_normal(n, n, 1.0, rng);
  a /= a.norm();
  b /= b.norm();
  const DsaAlignmentOptions o;
  for (const MatrixXd& start : internal::alignment_starts(a, b, o)) {
    EXPECT_LT((start.transpose() * start - MatrixXd::Identity(n, n)).norm(), 1e-12);
    const internal::AlignmentRun run = internal::maximise_alignment(a, b, start, o);
    EXPECT_TRUE(run.converged) << run.n_iterations << " iterations, |grad| " << run.gradient_norm;
    EXPECT_LE(run.gradient_norm, o.tolerance);
    EXPECT_GE(run.value, internal::alignment_value(a, b, start) - 1e-12);  // never worse
    EXPECT_LT((run.c.transpose() * run.c - MatrixXd::Identity(n, n)).norm(), 1e-13);
  }
  EXPECT_EQ(internal::alignment_starts(a, b, o).size(), 4u + o.n_random_starts);
}

TEST(DsaAlignment, GreedySignsReachALocalMaximum) {
  Rng rng(7);
  const int n = 9;
  const MatrixXd a = testing::random_normal(n, n, 1.0, rng);
  VectorXd hidden(n);
  for (int i = 0; i < n; ++i) hidden(i) = i % 3 == 0 ? -1.0 : 1.0;
  const MatrixXd b = hidden.asDiagonal() * a * hidden.asDiagonal();  // a sign-flipped copy
  const VectorXd d = internal::greedy_signs(a, b);
  EXPECT_TRUE(d == hidden || d == -hidden) << d.transpose();
}

TEST(OperatorDistance, FindsAHiddenOrthogonalSimilarity) {
  for (int n : {3, 10, 20}) {
    Rng rng(100 + n);
    const MatrixXd a = random_operator(n, 0.9, rng);
    const MatrixXd q = random_orthogonal(n, rng);
    const DsaResult exact = operator_distance(DsaOptions{}, a, q.transpose() * a * q);
    EXPECT_LT(exact.angular, 1e-7) << "n = " << n;
    EXPECT_LT(exact.euclidean, 1e-7 * a.norm()) << "n = " << n;
    // With a perturbation E, C = Q gives ||E||_F: the optimum can only be lower.
    const MatrixXd e = testing::random_normal(n, n, 0.02 / n, rng);
    const DsaResult near = operator_distance(DsaOptions{}, a, q.transpose() * (a + e) * q);
    EXPECT_LE(near.euclidean, e.norm() + 1e-9) << "n = " << n;
    EXPECT_GT(near.euclidean, 0.0);
    const MatrixXd c = near.alignment;
    EXPECT_LT((c.transpose() * c - MatrixXd::Identity(n, n)).norm(), 1e-12);
    EXPECT_NEAR(near.euclidean, (a - c * q.transpose() * (a + e) * q * c.transpose()).norm(),
                1e-12);
  }
}

TEST(OperatorDistance, SymmetricOperatorsMatchTheirSortedEigenvalues) {
  // Hoffman-Wielandt: for symmetric A, B, min over orthogonal C of ||A - C B C^T||_F is the
  // distance between the sorted eigenvalue vectors.
  Rng rng(8);
  const int n = 8;
  VectorXd ea = testing::random_vector(n, 1.0, rng), eb = testing::random_vector(n, 1.0, rng);
  const MatrixXd a = [&] {
    const MatrixXd p = random_orthogonal(n, rng);
    return MatrixXd(p * ea.asDiagonal() * p.transpose());
  }();
  const MatrixXd b = [&] {
    const MatrixXd p = random_orthogonal(n, rng);
    return MatrixXd(p * eb.asDiagonal() * p.transpose());
  }();
  std::sort(ea.data(), ea.data() + n);
  std::sort(eb.data(), eb.data() + n);
  DsaOptions o;
  o.distance = ShapeDistance::kEuclidean;
  const DsaResult r = operator_distance(o, a, b);
  EXPECT_NEAR(r.distance, (ea - eb).norm(), 1e-9);
  EXPECT_EQ(r.distance, r.euclidean);
  const double cosine = ea.dot(eb) / (ea.norm() * eb.norm());
  EXPECT_NEAR(r.angular, std::acos(cosine), 1e-8);
}

TEST(OperatorDistance, ZeroPadsTheSmallerOperatorAndHandlesZero) {
  Rng rng(9);
  const MatrixXd a = random_operator(3, 0.8, rng);
  MatrixXd padded = MatrixXd::Zero(4, 4);
  padded.topLeftCorner(3, 3) = a;
  const DsaResult r = operator_distance(DsaOptions{}, a, padded);
  EXPECT_LT(r.angular, 1e-9);
  EXPECT_EQ(r.alignment.rows(), 4);
  const DsaResult zero = operator_distance(DsaOptions{}, a, MatrixXd::Zero(3, 3));
  EXPECT_NEAR(zero.angular, 0.5 * M_PI, 1e-15);
  EXPECT_NEAR(zero.euclidean, a.norm(), 1e-15);
}

// ---- DSA between activities ------------------------------------------------------------------

TEST(Dsa, IsZeroForAnOrthogonalMapOfTheActivity) {
  Rng rng(10);
  const MatrixXd x = network_trajectories(10, 12, 50, 11);
  MatrixXd y = 0.5 * x * random_orthogonal(10, rng);
  y.rowwise() += testing::random_normal(1, 10, 1.0, rng).row(0);
  for (int n_delays : {1, 3}) {
    const DsaOptions o = options_for(50, 8, n_delays, 2);
    const DsaResult r = dsa(o, x, y);
    EXPECT_LT(r.angular, 1e-6) << "n_delays " << n_delays;
    EXPECT_LT(r.euclidean, 1e-6) << "n_delays " << n_delays;
    EXPECT_TRUE(r.converged);
  }
}

TEST(Dsa, AtFullRankIsInvariantToInvertibleMaps) {
  Rng rng(12);
  const MatrixXd x = network_trajectories(6, 10, 40, 13);
  const MatrixXd m = testing::random_normal(6, 6, 1.0, rng) + 3.0 * MatrixXd::Identity(6, 6);
  const DsaOptions o = options_for(40, 6);
  EXPECT_LT(dsa(o, x, x * m).angular, 1e-6);
  DsaOptions truncated = o;
  truncated.rank = 3;  // the top principal subspace now depends on the map
  EXPECT_GT(dsa(truncated, x, x * m).angular, 1e-4);
}

TEST(Dsa, IsSymmetricAndZeroOnItself) {
  const MatrixXd x = network_trajectories(8, 10, 30, 14);
  const MatrixXd y = network_trajectories(9, 10, 30, 15);
  const DsaOptions o = options_for(30, 6, 2, 1);
  const DsaResult xy = dsa(o, x, y), yx = dsa(o, y, x);
  EXPECT_EQ(xy.angular, yx.angular);
  EXPECT_EQ(xy.euclidean, yx.euclidean);
  EXPECT_GT(xy.angular, 0.05);
  EXPECT_LT((xy.alignment - yx.alignment.transpose()).norm(), 1e-15);
  const DsaResult xx = dsa(o, x, x);
  EXPECT_EQ(xx.angular, 0.0);
  EXPECT_EQ(xx.euclidean, 0.0);
  EXPECT_EQ(xx.n_starts, 1);  // the identity start is exact: no other start is run
}

TEST(Dsa, SeparatesSystemsWithDifferentSpectraAboveProvableBounds) {
  // Two linear systems of 5 units, A with slow modes, B with fast ones: the fitted operators are
  // similar to A and B (same traces), and for any orthogonal C
  //   ||A_x - C A_y C^T||_F >= |tr A_x - tr A_y| / sqrt(n)   (|tr M| <= sqrt(n) ||M||_F)
  //   ||A_x - C A_y C^T||_F >= | ||A_x||_F - ||A_y||_F |      (triangle inequality)
  // and the angle is at least the chord between the normalised operators.
  Rng rng(16);
  const int n = 5;
  const MatrixXd q = random_orthogonal(n, rng);
  VectorXd slow(n), fast(n);
  slow << 0.98, 0.95, 0.9, 0.85, 0.8;
  fast << 0.5, 0.3, 0.2, -0.1, -0.4;
  const MatrixXd a = q * slow.asDiagonal() * q.transpose();
  const MatrixXd rotation = random_orthogonal(n, rng);
  const MatrixXd b = rotation * fast.asDiagonal() * rotation.transpose();
  const MatrixXd x = linear_trajectories(a, VectorXd::Zero(n), 20, 30, rng);
  const MatrixXd y = linear_trajectories(b, VectorXd::Zero(n), 20, 30, rng);
  const DsaOptions o = options_for(30, n);
  const PreparedDsa px = prepare_dsa(o, x), py = prepare_dsa(o, y);
  EXPECT_NEAR(px.dynamics.trace(), slow.sum(), 1e-9);
  EXPECT_NEAR(py.dynamics.trace(), fast.sum(), 1e-9);
  const DsaResult r = dsa(o, px, py);
  const double trace_bound = std::abs(slow.sum() - fast.sum()) / std::sqrt(n);
  EXPECT_GE(r.euclidean, trace_bound);
  EXPECT_GE(r.euclidean, std::abs(px.dynamics.norm() - py.dynamics.norm()));
  const MatrixXd ux = px.dynamics / px.dynamics.norm(), uy = py.dynamics / py.dynamics.norm();
  EXPECT_GE(r.angular, std::abs(ux.trace() - uy.trace()) / std::sqrt(n));
  EXPECT_GT(r.angular, 0.1);
}

TEST(Dsa, DistanceMatrixMatchesThePairsForAnyThreadCount) {
  std::vector<MatrixXd> xs;
  xs.reserve(5);
  for (int i = 0; i < 5; ++i) xs.push_back(network_trajectories(6 + i % 2, 8, 30, 20 + i));
  DistanceMatrixOptions o{.metric = Metric::kDsa};
  o.dsa = options_for(30, 4, 2, 1);
  const MatrixXd d1 = distance_matrix(o, xs);
  const MatrixXd d3 = distance_matrix(o, xs, Execution{3});
  EXPECT_TRUE(d1 == d3) << "results depend on n_threads";
  EXPECT_TRUE(d1 == d1.transpose());
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(d1(i, i), 0.0);
    for (int j = i + 1; j < 5; ++j) {
      EXPECT_EQ(d1(i, j), dsa(o.dsa, xs[i], xs[j]).distance);
      EXPECT_GT(d1(i, j), 1e-3);
    }
  }
  EXPECT_EQ(parse_metric("dsa"), Metric::kDsa);
  EXPECT_EQ(to_string(Metric::kDsa), "dsa");
}

// ---- input checks ----------------------------------------------------------------------------

template <typename F>
std::string error_of(F f) {
  try {
    f();
  } catch (const InvalidArgument& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(DsaInputs, BadInputFailsWithClearMessages) {
  const MatrixXd x = network_trajectories(4, 5, 20, 30);
  DsaOptions o = options_for(20, 3);
  EXPECT_THAT(error_of([&] { prepare_dsa(options_for(0, 3), x); }),
              HasSubstr("n_steps = 0: unset"));
  EXPECT_THAT(error_of([&] { prepare_dsa(options_for(30, 3), x); }),
              HasSubstr("n_steps = 30 does not divide the 100 samples"));
  EXPECT_THAT(error_of([&] { prepare_dsa(options_for(20, 3, 11, 2), x); }),
              HasSubstr("need n_steps >= window + 2"));
  EXPECT_THAT(error_of([&] { prepare_dsa(options_for(20, 5), x); }),
              HasSubstr("rank = 5 exceeds the 1 x 4 dimensions"));
  EXPECT_THAT(error_of([&] { prepare_dsa(options_for(2, 4), x.topRows(10)); }),
              HasSubstr("fewer than rank + 2"));
  MatrixXd low_rank = x;
  low_rank.col(3) = low_rank.col(0) - low_rank.col(1);
  EXPECT_THAT(error_of([&] { prepare_dsa(options_for(20, 4), low_rank); }),
              HasSubstr("exceeds the numerical rank 3"));
  MatrixXd bad = x;
  bad(7, 2) = NAN;
  EXPECT_THAT(error_of([&] { prepare_dsa(o, bad); }), HasSubstr("non-finite entry"));

  const auto field_error = [&](auto set) {
    DsaOptions copy = o;
    set(copy);
    return error_of([&] { copy.validate(); });
  };
  EXPECT_THAT(field_error([](DsaOptions& c) { c.n_delays = 0; }),
              HasSubstr("n_delays = 0: must be >= 1"));
  EXPECT_THAT(field_error([](DsaOptions& c) { c.delay_interval = 0; }),
              HasSubstr("delay_interval = 0"));
  EXPECT_THAT(field_error([](DsaOptions& c) { c.rank = 0; }), HasSubstr("rank = 0"));
  EXPECT_THAT(field_error([](DsaOptions& c) { c.n_steps = -1; }), HasSubstr("n_steps = -1"));
  EXPECT_THAT(field_error([](DsaOptions& c) { c.rank_tolerance = 1e-9; }),
              HasSubstr("rank_tolerance = 1e-09: must be in [1e-7, 1)"));
  EXPECT_THAT(field_error([](DsaOptions& c) { c.alignment.max_iterations = 0; }),
              HasSubstr("alignment.max_iterations = 0"));
  EXPECT_THAT(field_error([](DsaOptions& c) { c.alignment.tolerance = 0.0; }),
              HasSubstr("alignment.tolerance = 0"));
  EXPECT_THAT(field_error([](DsaOptions& c) { c.alignment.n_random_starts = -1; }),
              HasSubstr("alignment.n_random_starts = -1"));
  EXPECT_THAT(error_of([&] { operator_distance(o, MatrixXd::Ones(2, 3), MatrixXd::Ones(2, 2)); }),
              HasSubstr("A[2, 3] must be a non-empty square matrix"));
  EXPECT_THAT(error_of([&] { operator_distance(o, MatrixXd::Ones(2, 2), bad); }),
              HasSubstr("B[100, 4]"));
}

}  // namespace
}  // namespace rnnatlas::similarity
