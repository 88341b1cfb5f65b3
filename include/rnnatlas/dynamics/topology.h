// Topology distances between networks: how different their fixed-point scaffolds are.
// Module maintainer: rnnatlas dynamics.
//
// Each network is summarised by non-negative integer matrices (analysis.h TopologySignature):
//   signature    [n_conditions, 5]  fixed points per condition with 0, 1, 2, 3, >= 4 unstable
//                                   dimensions (any task);
//   label_graph  [3^n_bits, 3^n_bits]  the flip-flop's graph over readout labels: points per label
//                                   on the diagonal, transition runs between labels off it.
// The distance between two such matrices A and B is the Soergel (weighted Jaccard, Ruzicka)
// distance
//     d(A, B) = sum_ij |A_ij - B_ij| / sum_ij max(A_ij, B_ij)          (0 when both are zero),
// a normalised L1 difference. It lies in [0, 1], is 0 exactly when A = B, is 1 when A and B have
// disjoint support, is symmetric, and satisfies the triangle inequality (it is a metric on
// non-negative matrices). The Bray-Curtis form sum |A - B| / sum (A + B) = d / (2 - d) has the same
// zero set and ordering but is not a metric (A = e1, B = e2, C = e1 + e2: d(A,B) = 1 >
// d(A,C) + d(C,B) = 2/3), which would distort MDS embeddings.
#pragma once

#include <Eigen/Core>
#include <string>
#include <string_view>
#include <vector>

namespace rnnatlas {

struct NetworkDynamics;

/// What the topology distance needs from one network; cheap to load (load_topology_summary() in
/// dynamics_file.h reads only the root attributes and /topology of a dynamics file).
struct TopologySummary {
  std::string network_id;
  std::string task;
  Eigen::MatrixXi signature;    ///< [n_conditions, 5]
  Eigen::MatrixXi label_graph;  ///< [3^n_bits, 3^n_bits] for the flip-flop; else empty
};

/// The summary of an analysis.
TopologySummary topology_summary(const NetworkDynamics& dynamics);

/// Which matrices topology_distance() compares.
enum class TopologyDistanceKind {
  kAuto,        ///< the label graphs when both networks have one (flip-flop), else the signatures
  kLabelGraph,  ///< the label graphs (flip-flop only)
  kSignature,   ///< the signatures (any task)
};
/// "auto", "label_graph", "signature".
std::string_view to_string(TopologyDistanceKind kind);
/// Parses the names above; throws InvalidArgument listing them.
TopologyDistanceKind parse_topology_distance_kind(std::string_view name);

/// The Soergel distance above between two matrices of the same shape with non-negative entries.
/// Throws InvalidArgument for different shapes or a negative entry.
double soergel_distance(const Eigen::Ref<const Eigen::MatrixXi>& a,
                        const Eigen::Ref<const Eigen::MatrixXi>& b);

/// The distance between two networks. Throws InvalidArgument when the compared matrices are
/// missing (kLabelGraph without label graphs) or have different shapes (e.g. sine-wave analyses
/// with different input strides), naming both networks.
double topology_distance(const TopologySummary& a,
                         const TopologySummary& b,
                         TopologyDistanceKind kind = TopologyDistanceKind::kAuto);

/// [N, N] distances between every pair, symmetric with a zero diagonal. kAuto compares label
/// graphs when every network has one, else signatures, so that all pairs use the same matrices.
Eigen::MatrixXd topology_distance_matrix(const std::vector<TopologySummary>& networks,
                                         TopologyDistanceKind kind = TopologyDistanceKind::kAuto);

}  // namespace rnnatlas
