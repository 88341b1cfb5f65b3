// Distance matrices: entries equal the pairwise metric, symmetric, zero diagonal, and identical for
// any number of threads.
#include "rnnatlas/similarity/distance_matrix.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "rnnatlas/error.h"
#include "testing/random_matrix.h"

namespace rnnatlas::similarity {
namespace {

using Eigen::MatrixXd;

std::vector<MatrixXd> population(int n_networks, int n_samples) {
  internal::Rng rng(42);
  const MatrixXd shared = testing::random_normal(n_samples, 4, 1.0, rng);
  std::vector<MatrixXd> xs;
  for (int i = 0; i < n_networks; ++i) {
    const int n_units = 5 + i % 3;  // units differ between networks
    xs.push_back(shared * testing::random_normal(4, n_units, 1.0, rng) +
                 testing::random_normal(n_samples, n_units, 0.5 + 0.2 * i, rng));
  }
  return xs;
}

double pair_distance(const DistanceMatrixOptions& o, const MatrixXd& a, const MatrixXd& b) {
  switch (o.metric) {
    case Metric::kCca:
      return 1.0 - cca(o.cca, a, b).mean();
    case Metric::kSvcca:
      return svcca(o.svcca, a, b).distance;
    case Metric::kPwcca:
      return 0.5 * (pwcca(o.cca, a, b).distance + pwcca(o.cca, b, a).distance);
    case Metric::kCka:
      return 1.0 - cka(o.cka, a, b);
    case Metric::kShape:
      return shape_distance(o.shape, a, b);
  }
  return -1.0;
}

class DistanceMatrixTest : public ::testing::TestWithParam<Metric> {};

TEST_P(DistanceMatrixTest, MatchesPairwiseMetricAndIsThreadCountIndependent) {
  const std::vector<MatrixXd> xs = population(7, 60);
  DistanceMatrixOptions o{.metric = GetParam()};
  o.svcca.k = 3;
  o.shape.alpha = 0.5;
  const MatrixXd d1 = distance_matrix(o, xs);
  o.n_threads = 3;
  const MatrixXd d3 = distance_matrix(o, xs);
  EXPECT_TRUE(d1 == d3) << "results depend on n_threads";
  EXPECT_TRUE(d1 == d1.transpose());
  EXPECT_TRUE((d1.diagonal().array() == 0.0).all());
  for (int i = 0; i < 7; ++i)
    for (int j = i + 1; j < 7; ++j) {
      EXPECT_NEAR(d1(i, j), pair_distance(o, xs[i], xs[j]), 1e-12) << i << ", " << j;
      EXPECT_GT(d1(i, j), 1e-3);
    }
}

INSTANTIATE_TEST_SUITE_P(
    AllMetrics,
    DistanceMatrixTest,
    ::testing::Values(Metric::kCca, Metric::kSvcca, Metric::kPwcca, Metric::kCka, Metric::kShape),
    [](const auto& info) { return std::string(to_string(info.param)); });

TEST_P(DistanceMatrixTest, ManyTilesMatchThePairwiseMetric) {
  // 9 networks of 70 to 90 units: the factored metrics cut them into several tiles of stacked
  // factors (distance_matrix.cc); every tile pair, diagonal ones included, must give the pairwise
  // values.
  internal::Rng rng(7);
  const MatrixXd shared = testing::random_normal(200, 6, 1.0, rng);
  std::vector<MatrixXd> xs;
  for (int i = 0; i < 9; ++i) {
    const int n_units = 70 + 10 * (i % 3);
    xs.push_back(shared * testing::random_normal(6, n_units, 1.0, rng) +
                 testing::random_normal(200, n_units, 1.0, rng));
  }
  DistanceMatrixOptions o{.metric = GetParam()};
  o.svcca.k = 60;  // 5 networks per tile
  const MatrixXd d1 = distance_matrix(o, xs);
  o.n_threads = 2;
  EXPECT_TRUE(distance_matrix(o, xs) == d1) << "results depend on n_threads";
  for (int i = 0; i < 9; ++i)
    for (int j = i + 1; j < 9; ++j)
      EXPECT_NEAR(d1(i, j), pair_distance(o, xs[i], xs[j]), 1e-12) << i << ", " << j;
}

TEST(DistanceMatrix, ErrorsNameTheNetwork) {
  std::vector<MatrixXd> xs = population(4, 30);
  xs[2] = xs[2].topRows(20).eval();
  try {
    distance_matrix(DistanceMatrixOptions{}, xs);
    FAIL();
  } catch (const InvalidArgument& e) {
    EXPECT_THAT(e.what(),
                ::testing::HasSubstr("network 2 has 20 samples (rows) but network 0 has 30"));
  }
  xs = population(4, 30);
  xs[3](0, 0) = std::numeric_limits<double>::infinity();
  try {
    distance_matrix(DistanceMatrixOptions{.metric = Metric::kCka, .n_threads = 2}, xs);
    FAIL();
  } catch (const InvalidArgument& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("network 3: cka: X[30, 5] has a non-finite entry"));
  }
  EXPECT_THROW(distance_matrix(DistanceMatrixOptions{}, {xs[0]}), InvalidArgument);
  EXPECT_THROW(distance_matrix(DistanceMatrixOptions{.n_threads = 0}, xs), InvalidArgument);
  EXPECT_EQ(parse_metric("pwcca"), Metric::kPwcca);
  EXPECT_THROW(parse_metric("rsa"), InvalidArgument);
}

}  // namespace
}  // namespace rnnatlas::similarity
