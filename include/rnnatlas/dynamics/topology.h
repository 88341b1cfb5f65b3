// Topology distances between networks: how different their fixed-point scaffolds are.
//
// Each network is summarised by non-negative integer matrices (analysis.h TopologySignature):
//   signature    [n_conditions, 11]  per condition, the objects of its scaffold:
//                  columns 0-4   isolated fixed points with 0, 1, 2, 3, >= 4 unstable dimensions;
//                  columns 5-10  continuous attractors (find_continuous_attractors()): open curves
//                                (line attractors) stable / unstable off the curve, closed curves
//                                (rings) stable / unstable, manifolds of dimension >= 2 stable /
//                                unstable;
//   label_graph  [3^n_bits, 3^n_bits]  the flip-flop's graph over readout labels: points per label
//                                on the diagonal, transition runs between labels off it.
// A continuous attractor counts once, whatever the number of points the fixed-point search left on
// it: that number measures how densely the finder sampled the continuum (it has as many points as
// starts that ended there), not the scaffold.
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
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace rnnatlas {

struct NetworkDynamics;

/// Columns of the topology signature (see the top of this file).
inline constexpr int kSignatureIsolatedColumns = 5;    ///< isolated points, 0 .. >= 4 unstable
inline constexpr int kSignatureContinuousColumns = 6;  ///< continuous attractors by kind
inline constexpr int kSignatureColumns = kSignatureIsolatedColumns + kSignatureContinuousColumns;

/// The shape of a continuous attractor.
enum class AttractorShape { kOpenCurve, kClosedCurve, kManifold };
/// "open_curve", "closed_curve", "manifold".
std::string_view to_string(AttractorShape shape);

/// A continuum of fixed points at one condition: a line attractor, a ring, a plane...
struct ContinuousAttractor {
  AttractorShape shape = AttractorShape::kOpenCurve;
  /// Its dimension: the median over its points of their modes with | |lambda| - 1 | <= tol (at
  /// least 1). A complex pair counts 2.
  int dimension = 1;
  /// Unstable dimensions off it: the least number of unstable modes among its points (a line made
  /// of alternating nodes and saddles whose unstable mode runs along the line is stable off it).
  int n_unstable = 0;
  /// Fixed points of the search that lie on it. Depends on how many starts ended there: reported,
  /// never part of the signature.
  int n_points = 0;
};

/// The continuous attractors among the fixed points of one condition, and which point lies on
/// which (find_continuous_attractors()).
struct ContinuousAttractors {
  Eigen::VectorXi attractor;  ///< [n_points]: index into `attractors`, or -1 for an isolated point
  std::vector<ContinuousAttractor> attractors;
};

/// The autonomous dynamics over the memory time scale: every column of a [n_state, m] matrix of
/// states advanced by n_steps steps of s -> F(s, u), [n_state, m].
using FlowFunction = std::function<Eigen::MatrixXd(const Eigen::MatrixXd&)>;

/// Groups the fixed points `states` [n_state, n_points] of one condition into continuous
/// attractors. A point of a continuum of fixed points has a marginal mode along it, so only points
/// with n_marginal >= 1 can join. Two of them are joined when they are neighbours in the Euclidean
/// minimum spanning tree of the points and the states between them hold: each of the states at
/// 1/4, 1/2 and 3/4 of the segment moves under `flow` by less than half its distance to the nearer
/// of the two points, so it neither flows to either point nor away. On a continuum they only fall
/// onto it, by their small distance from it; between two separate attractors (the corners of a
/// flip-flop) they flow to one of the two, which the samples at 1/4 and 3/4 reveal even when the
/// one at 1/2 lies on the stable manifold of a saddle between them. The test is relative to the
/// gap, so a continuum sampled by 5 points or by 500 is joined alike (a chord of a curved one
/// strays from it by curvature * gap^2 / 8, within the bound while curvature * gap <= 2). The
/// connected groups of two or more points are the continuous attractors; their shape is kManifold
/// when their dimension is >= 2, else kClosedCurve when the two ends of the longest path through
/// their tree (at least 4 points) are no farther apart than twice the longest edge of the tree and
/// than half the length of that path (points on a straight line, however unevenly spaced, have
/// their ends a whole path length apart), and the segment between the ends holds too; else
/// kOpenCurve.
/// n_unstable [n_points] and n_marginal [n_points] (modes with | |lambda| - 1 | <= tol, where 1 /
/// tol is the flow's number of steps) come from the linearizations. Throws InvalidArgument for
/// inconsistent shapes.
ContinuousAttractors find_continuous_attractors(const Eigen::Ref<const Eigen::MatrixXd>& states,
                                                const Eigen::Ref<const Eigen::VectorXi>& n_unstable,
                                                const Eigen::Ref<const Eigen::VectorXi>& n_marginal,
                                                const FlowFunction& flow);

/// Which slow points (q > tol_q) of one condition may join its continuous attractors: those that
/// lie where the task's trials go and that a trial cannot tell from fixed points. Slow point p
/// qualifies when both
///   - its distance to the nearest visited state is at most the spread of the visited states (the
///     root mean square distance of the visited states to their mean), and
///   - it holds over a trial: its drift per step, ||F(s) - s|| = sqrt(2 q), times n_time is at most
///     that spread.
/// An approximate line attractor (the paper's, for gated networks) is made of such points; the slow
/// points of saturated regions far from every trial are not (docs/dynamics.md, "Which slow points
/// belong to the scaffold"). states [n_state, n_points], q [n_points], visited [n_state,
/// n_visited] (at least one). Returns [n_points] of 0 and 1. Throws InvalidArgument for
/// inconsistent shapes, n_time < 1 or no visited state.
std::vector<char> slow_points_on_visited_states(const Eigen::Ref<const Eigen::MatrixXd>& states,
                                                const Eigen::Ref<const Eigen::VectorXd>& q,
                                                const Eigen::Ref<const Eigen::MatrixXd>& visited,
                                                int n_time);

/// One row of the topology signature: isolated points by unstable dimensions, then the continuous
/// attractors by shape and stability off them ([kSignatureColumns]).
Eigen::VectorXi signature_row(const ContinuousAttractors& continuous,
                              const Eigen::Ref<const Eigen::VectorXi>& n_unstable);

/// What the topology distance needs from one network; cheap to load (load_topology_summary() in
/// dynamics_file.h reads only the root attributes and /topology of a dynamics file).
struct TopologySummary {
  std::string network_id;
  std::string task;
  Eigen::MatrixXi signature;    ///< [n_conditions, kSignatureColumns]
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
std::vector<std::string> topology_distance_kind_names();  ///< {"auto", "label_graph", "signature"}

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
