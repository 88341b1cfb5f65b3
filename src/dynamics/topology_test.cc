#include "rnnatlas/dynamics/topology.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/random.h"
#include "dynamics/analysis_testing.h"
#include "rnnatlas/dynamics/analysis.h"
#include "rnnatlas/error.h"
#include "rnnatlas/tasks/tasks.h"

namespace rnnatlas {
namespace {

using Eigen::MatrixXi;
using ::testing::HasSubstr;

MatrixXi random_counts(int rows, int cols, int max_count, internal::Rng& rng) {
  MatrixXi m(rows, cols);
  for (Eigen::Index j = 0; j < cols; ++j) {
    for (Eigen::Index i = 0; i < rows; ++i) {
      // Sparse, like label graphs: most entries zero.
      m(i, j) = rng.uniform() < 0.6 ? 0 : static_cast<int>(rng.uniform_int(max_count + 1));
    }
  }
  return m;
}

TEST(SoergelDistance, KnownValues) {
  const MatrixXi zero = MatrixXi::Zero(2, 2);
  MatrixXi a = zero, b = zero;
  a(0, 0) = 1;
  b(0, 1) = 1;
  EXPECT_EQ(soergel_distance(a, a), 0.0);
  EXPECT_EQ(soergel_distance(zero, zero), 0.0);  // two empty graphs are the same graph
  EXPECT_EQ(soergel_distance(a, b), 1.0);        // disjoint support
  EXPECT_EQ(soergel_distance(a, zero), 1.0);
  EXPECT_EQ(soergel_distance(2 * a, a), 0.5);  // |2 - 1| / max(2, 1)
  // 8 corners; B also has one saddle (its own count and two runs to corners): 3 / 11.
  MatrixXi corners = MatrixXi::Zero(27, 27);
  for (const int label : {0, 2, 6, 8, 18, 20, 24, 26}) corners(label, label) = 1;
  MatrixXi with_saddle = corners;
  const int saddle = 1;  // (-, -, 0) -> (-, -, -) and (-, -, +)
  with_saddle(saddle, saddle) = 1;
  with_saddle(saddle, 0) = 1;
  with_saddle(saddle, 2) = 1;
  EXPECT_DOUBLE_EQ(soergel_distance(corners, with_saddle), 3.0 / 11.0);
}

TEST(SoergelDistance, IsAMetricBoundedByOne) {
  internal::Rng rng(17);
  for (int trial = 0; trial < 2000; ++trial) {
    const MatrixXi a = random_counts(4, 5, 3, rng), b = random_counts(4, 5, 3, rng),
                   c = random_counts(4, 5, 3, rng);
    const double ab = soergel_distance(a, b), ba = soergel_distance(b, a);
    EXPECT_EQ(ab, ba);
    EXPECT_GE(ab, 0.0);
    EXPECT_LE(ab, 1.0);
    EXPECT_EQ(ab == 0.0, a == b);
    EXPECT_LE(ab, soergel_distance(a, c) + soergel_distance(c, b) + 1e-15) << "trial " << trial;
  }
}

TEST(SoergelDistance, WhereBrayCurtisBreaksTheTriangleInequality) {
  // A = e1, B = e2, C = e1 + e2: Bray-Curtis gives 1 > 1/3 + 1/3; Soergel gives 1 <= 1/2 + 1/2.
  const Eigen::Matrix<int, 1, 2> a(1, 0), b(0, 1), c(1, 1);
  EXPECT_EQ(soergel_distance(a, b), 1.0);
  EXPECT_EQ(soergel_distance(a, c), 0.5);
  EXPECT_EQ(soergel_distance(c, b), 0.5);
}

TEST(SoergelDistance, RejectsNegativeEntriesAndShapeMismatch) {
  EXPECT_THROW(soergel_distance(MatrixXi::Constant(1, 1, -1), MatrixXi::Zero(1, 1)),
               InvalidArgument);
  EXPECT_THROW(soergel_distance(MatrixXi::Zero(2, 5), MatrixXi::Zero(3, 5)), InvalidArgument);
}

TopologySummary summary(const std::string& id,
                        const MatrixXi& signature,
                        const MatrixXi& label_graph = {}) {
  return {id, "flip_flop", signature, label_graph};
}

TEST(TopologyDistance, ChoosesTheLabelGraphWhenBothHaveOne) {
  MatrixXi s1 = MatrixXi::Zero(1, 5), s2 = MatrixXi::Zero(1, 5);
  s1(0, 0) = 8;
  s2(0, 0) = 8;  // same signature ...
  MatrixXi g1 = MatrixXi::Zero(27, 27), g2 = MatrixXi::Zero(27, 27);
  g1(0, 0) = 1;
  g2(26, 26) = 1;  // ... different labels
  const TopologySummary a = summary("a", s1, g1), b = summary("b", s2, g2);
  EXPECT_EQ(topology_distance(a, b), 1.0);
  EXPECT_EQ(topology_distance(a, b, TopologyDistanceKind::kSignature), 0.0);
  const TopologySummary c = summary("c", s2);  // no label graph: signatures
  EXPECT_EQ(topology_distance(a, c), 0.0);
  try {
    topology_distance(a, c, TopologyDistanceKind::kLabelGraph);
    FAIL();
  } catch (const InvalidArgument& e) {
    EXPECT_THAT(e.what(), HasSubstr("'c' has no label graph"));
  }
}

TEST(TopologyDistance, DifferentShapesNameBothNetworks) {
  const TopologySummary a = summary("net-a", MatrixXi::Zero(6, 5));
  const TopologySummary b = summary("net-b", MatrixXi::Zero(51, 5));
  try {
    topology_distance(a, b);
    FAIL();
  } catch (const InvalidArgument& e) {
    EXPECT_THAT(e.what(), HasSubstr("'net-a' is [6, 5]"));
    EXPECT_THAT(e.what(), HasSubstr("'net-b' is [51, 5]"));
    EXPECT_THAT(e.what(), HasSubstr("input_stride"));
  }
}

TEST(TopologyDistanceMatrix, SymmetricZeroDiagonalAndConsistentKind) {
  internal::Rng rng(3);
  std::vector<TopologySummary> networks;
  networks.reserve(5);
  for (int i = 0; i < 5; ++i) {
    networks.push_back(
        summary("n" + std::to_string(i), random_counts(3, 5, 4, rng), random_counts(9, 9, 2, rng)));
  }
  const Eigen::MatrixXd d = topology_distance_matrix(networks);
  ASSERT_EQ(d.rows(), 5);
  EXPECT_EQ(d, d.transpose());
  EXPECT_EQ(d.diagonal(), Eigen::VectorXd::Zero(5));
  EXPECT_EQ(d(1, 3), soergel_distance(networks[1].label_graph, networks[3].label_graph));
  // One network without a label graph: every pair compares signatures.
  networks[4].label_graph.resize(0, 0);
  const Eigen::MatrixXd s = topology_distance_matrix(networks);
  EXPECT_EQ(s(1, 3), soergel_distance(networks[1].signature, networks[3].signature));
  EXPECT_EQ(topology_distance_matrix({}).size(), 0);
}

TEST(TopologyDistance, IdenticalScaffoldsOfDifferentNetworksAreAtZero) {
  // The perfect flip-flop, and the same network with its hidden units permuted and scaled
  // readout: different states, same labelled graph.
  const Network a = testing::flip_flop_network();
  Eigen::PermutationMatrix<3> perm(Eigen::Vector3i(2, 0, 1));
  const Eigen::MatrixXd P = perm.toDenseMatrix().cast<double>();
  const Eigen::MatrixXd I = Eigen::MatrixXd::Identity(3, 3);
  const Network b = testing::vanilla_network(Activation::kTanh, P * 2.0 * I * P.transpose(),
                                             P * 3.0 * I, 1.03 * P.transpose());
  const auto task = make_flip_flop();
  AnalysisOptions options;
  options.n_initial_states = 256;
  options.noise_scale = 1.0;
  options.fixed_points.lr_initial = 1.0;  // large first steps spread the candidates over all basins
  options.transitions.max_steps = 500;
  const TopologySummary sa = topology_summary(analyze_network(a, *task, options));
  const TopologySummary sb = topology_summary(analyze_network(b, *task, options));
  ASSERT_EQ(sa.signature(0, 0), 8);
  EXPECT_EQ(topology_distance(sa, sb), 0.0);
}

TEST(TopologyDistanceKind, NamesRoundTrip) {
  for (const auto kind : {TopologyDistanceKind::kAuto, TopologyDistanceKind::kLabelGraph,
                          TopologyDistanceKind::kSignature}) {
    EXPECT_EQ(parse_topology_distance_kind(to_string(kind)), kind);
  }
  try {
    parse_topology_distance_kind("graph");
    FAIL();
  } catch (const InvalidArgument& e) {
    EXPECT_THAT(e.what(), HasSubstr("'graph'"));
    EXPECT_THAT(e.what(), HasSubstr("label_graph"));
  }
}

}  // namespace
}  // namespace rnnatlas
