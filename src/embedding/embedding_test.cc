// Classical MDS and SMACOF recover known configurations; SMACOF's stress never increases.
#include "rnnatlas/embedding/embedding.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <Eigen/Dense>

#include "rnnatlas/error.h"
#include "testing/random_matrix.h"

namespace rnnatlas::embedding {
namespace {

using Eigen::MatrixXd;
using testing::distances_of;

TEST(ClassicalMds, RecoversAConfigurationUpToRotationAndReflection) {
  internal::Rng rng(1);
  // 3-d points placed in a 6-d space by an orthogonal map and a shift.
  const MatrixXd points = testing::random_normal(20, 3, 2.0, rng);
  const MatrixXd q =
      Eigen::HouseholderQR<MatrixXd>(testing::random_normal(6, 6, 1.0, rng)).householderQ();
  MatrixXd lifted = MatrixXd::Zero(20, 6);
  lifted.leftCols(3) = points;
  lifted = (lifted * q).rowwise() + testing::random_normal(1, 6, 5.0, rng).row(0);
  const MatrixXd d = distances_of(lifted);
  const ClassicalMdsResult r = classical_mds(d, 3);
  ASSERT_EQ(r.coordinates.rows(), 20);
  ASSERT_EQ(r.coordinates.cols(), 3);
  EXPECT_LT((distances_of(r.coordinates) - d).cwiseAbs().maxCoeff(), 1e-9);
  // B's spectrum: 3 positive eigenvalues (those of the centred Gram matrix), the rest zero.
  const MatrixXd c = points.rowwise() - points.colwise().mean();
  Eigen::SelfAdjointEigenSolver<MatrixXd> gram(c.transpose() * c);
  EXPECT_NEAR(r.eigenvalues(0), gram.eigenvalues()(2), 1e-9);
  EXPECT_NEAR(r.eigenvalues(2), gram.eigenvalues()(0), 1e-9);
  EXPECT_LT(r.eigenvalues.tail(17).cwiseAbs().maxCoeff(), 1e-9);
  // Coordinates are centred and axes are orthogonal (principal axes).
  EXPECT_LT(r.coordinates.colwise().sum().cwiseAbs().maxCoeff(), 1e-9);
  const MatrixXd g = r.coordinates.transpose() * r.coordinates;
  EXPECT_LT(std::abs(g(0, 1)) + std::abs(g(0, 2)) + std::abs(g(1, 2)), 1e-8);
}

TEST(ClassicalMds, IsDeterministicWithASignConvention) {
  internal::Rng rng(2);
  const MatrixXd d = distances_of(testing::random_normal(10, 2, 1.0, rng));
  const ClassicalMdsResult a = classical_mds(d, 2), b = classical_mds(d, 2);
  EXPECT_TRUE(a.coordinates == b.coordinates);
  for (int k = 0; k < 2; ++k) {
    Eigen::Index at;
    a.coordinates.col(k).cwiseAbs().maxCoeff(&at);
    EXPECT_GT(a.coordinates(at, k), 0.0);
  }
}

TEST(ClassicalMds, ShowsNegativeEigenvaluesForNonEuclideanDistances) {
  // Four points with d(0, 3) longer than the path through 1 and 2 allows in a plane: the
  // "distances" of a 4-cycle graph with a long chord violate Euclidean embeddability.
  MatrixXd d(4, 4);
  d << 0, 1, 2, 1,  //
      1, 0, 1, 2,   //
      2, 1, 0, 1,   //
      1, 2, 1, 0;
  const ClassicalMdsResult r = classical_mds(d, 2);
  EXPECT_LT(r.eigenvalues(3), -1e-3);
}

TEST(Smacof, StressNeverIncreasesAndReachesZeroForEuclideanInput) {
  internal::Rng rng(3);
  const MatrixXd d = distances_of(testing::random_normal(15, 2, 1.0, rng));
  const SmacofSummary s = smacof(
      SmacofOptions{.n_starts = 4, .classical_start = false, .max_iterations = 2000, .seed = 7}, d);
  EXPECT_EQ(s.termination, Termination::kCompleted);
  ASSERT_GE(s.stress_history.size(), 2u);
  for (std::size_t i = 1; i < s.stress_history.size(); ++i)
    EXPECT_LE(s.stress_history[i],
              s.stress_history[i - 1] * (1 + 1e-12) + 1e-20 * s.stress_history[0]);
  EXPECT_LT(s.stress_history.back(), 1e-3 * s.stress_history.front());
  EXPECT_LT(s.normalized_stress, 1e-4);
  EXPECT_NEAR(s.stress, 0.5 * (distances_of(s.coordinates) - d).squaredNorm(), 1e-12);
  EXPECT_EQ(s.start_stress.size(), 4u);
  EXPECT_EQ(s.stress, *std::min_element(s.start_stress.begin(), s.start_stress.end()));
}

TEST(Smacof, IsSeededAndImprovesOnClassicalMdsForNonEuclideanInput) {
  internal::Rng rng(4);
  MatrixXd d = distances_of(testing::random_normal(12, 4, 1.0, rng));
  d = d.array().sqrt();  // still a metric, but not a 2-d Euclidean one
  const SmacofOptions o{.n_starts = 3, .seed = 11};
  const SmacofSummary a = smacof(o, d), b = smacof(o, d);
  EXPECT_TRUE(a.coordinates == b.coordinates);
  const SmacofSummary c = smacof(SmacofOptions{.n_starts = 3, .seed = 12}, d);
  EXPECT_NE(a.start_stress[1], c.start_stress[1]);
  const double classical = 0.5 * (distances_of(classical_mds(d, 2).coordinates) - d).squaredNorm();
  EXPECT_LE(a.stress, classical);
  EXPECT_GT(a.normalized_stress, 1e-3);
  EXPECT_LT(a.normalized_stress, 1.0);
}

TEST(Embedding, RejectsInvalidDistanceMatrices) {
  MatrixXd d = MatrixXd::Zero(3, 3);
  d(0, 1) = d(1, 0) = 1;
  d(0, 2) = d(2, 0) = 2;
  d(1, 2) = d(2, 1) = 1.5;
  MatrixXd bad = d;
  bad(0, 1) = 3;
  EXPECT_THAT([&] { classical_mds(bad); },
              ::testing::ThrowsMessage<InvalidArgument>(::testing::HasSubstr("not symmetric")));
  bad = d;
  bad(2, 2) = 1;
  EXPECT_THAT(
      [&] { smacof(SmacofOptions{}, bad); },
      ::testing::ThrowsMessage<InvalidArgument>(::testing::HasSubstr("diagonal must be 0")));
  bad = d;
  bad(1, 2) = bad(2, 1) = std::nan("");
  EXPECT_THROW(classical_mds(bad), InvalidArgument);
  EXPECT_THAT([&] { classical_mds(d, 4); },
              ::testing::ThrowsMessage<InvalidArgument>(::testing::HasSubstr("n_components = 4")));
  EXPECT_THAT([&] { smacof(SmacofOptions{.n_starts = 0}, d); },
              ::testing::ThrowsMessage<InvalidArgument>(
                  ::testing::HasSubstr("n_starts = 0: must be >= 1")));
}

}  // namespace
}  // namespace rnnatlas::embedding
