#include "rnnatlas/dynamics/topology.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "rnnatlas/dynamics/analysis.h"
#include "rnnatlas/enum_names.h"
#include "rnnatlas/error.h"

namespace rnnatlas {
namespace {

std::string shape(const Eigen::MatrixXi& m) {
  std::ostringstream ss;  // (not "[" + std::to_string(...): GCC 12 warns falsely, -Wrestrict)
  ss << '[' << m.rows() << ", " << m.cols() << ']';
  return ss.str();
}

bool has_label_graph(const TopologySummary& s) { return s.label_graph.size() > 0; }

/// The Euclidean minimum spanning tree of the columns of `x` (Prim, O(n^2) distances): parent[i]
/// of every column but the root 0, whose parent is -1.
std::vector<int> minimum_spanning_tree(const Eigen::Ref<const Eigen::MatrixXd>& x) {
  const int n = static_cast<int>(x.cols());
  std::vector<int> parent(n, -1);
  std::vector<char> in_tree(n, 0);
  std::vector<double> best(n, std::numeric_limits<double>::infinity());
  int next = 0;
  for (int added = 0; added < n; ++added) {
    const int u = next;
    in_tree[u] = 1;
    next = -1;
    for (int v = 0; v < n; ++v) {
      if (in_tree[v]) continue;
      const double d = (x.col(u) - x.col(v)).squaredNorm();
      if (d < best[v]) {
        best[v] = d;
        parent[v] = u;
      }
      if (next < 0 || best[v] < best[next]) next = v;
    }
  }
  return parent;
}

/// Whether the states between a_k and b_k hold under `flow` (find_continuous_attractors()): the
/// columns of `a` and `b`. A sample at fraction t of the segment holds when its motion differs from
/// the motion of the segment's ends interpolated at t, (1 - t) da + t db, by less than half its
/// distance to the nearer end: it neither falls to an end nor leaves, however the whole continuum
/// drifts (the ends of a segment of fixed points do not move at all).
std::vector<char> holding_segments(const Eigen::MatrixXd& a,
                                   const Eigen::MatrixXd& b,
                                   const FlowFunction& flow) {
  constexpr double kFractions[] = {0.25, 0.5, 0.75};
  constexpr int kSamples = 3;
  const Eigen::Index m = a.cols();
  std::vector<char> holds(m, 1);
  if (m == 0) return holds;
  // Columns: the ends a, b, then the samples at each fraction.
  Eigen::MatrixXd states(a.rows(), (kSamples + 2) * m);
  states.leftCols(m) = a;
  states.middleCols(m, m) = b;
  for (int k = 0; k < kSamples; ++k) {
    states.middleCols((k + 2) * m, m) = a + kFractions[k] * (b - a);
  }
  const Eigen::MatrixXd moved = flow(states);
  RNNATLAS_CHECK_ARG(moved.rows() == states.rows() && moved.cols() == states.cols(),
                     "find_continuous_attractors: the flow returned ["
                         << moved.rows() << ", " << moved.cols() << "] for [" << states.rows()
                         << ", " << states.cols() << "] states");
  const Eigen::MatrixXd motion = moved - states;
  for (Eigen::Index e = 0; e < m; ++e) {
    const double gap = (a.col(e) - b.col(e)).norm();
    for (int k = 0; k < kSamples; ++k) {
      const double t = kFractions[k];
      const double to_nearer_end = std::min(t, 1.0 - t) * gap;
      const Eigen::VectorXd relative =
          motion.col((k + 2) * m + e) - (1.0 - t) * motion.col(e) - t * motion.col(m + e);
      if (!(relative.norm() < 0.5 * to_nearer_end)) holds[e] = 0;
    }
  }
  return holds;
}

/// The longest path (by edge length) through a tree given by adjacency lists: its two ends and its
/// length.
struct TreePath {
  int a = 0, b = 0;
  double length = 0.0;
};
TreePath longest_path(const std::vector<std::vector<std::pair<int, double>>>& adj, int start) {
  std::vector<double> dist(adj.size());
  const auto farthest = [&](int from) {
    std::fill(dist.begin(), dist.end(), -1.0);
    std::vector<int> stack = {from};
    dist[from] = 0.0;
    int far = from;
    while (!stack.empty()) {
      const int u = stack.back();
      stack.pop_back();
      if (dist[u] > dist[far]) far = u;
      for (const auto& [v, w] : adj[u]) {
        if (dist[v] < 0) {
          dist[v] = dist[u] + w;
          stack.push_back(v);
        }
      }
    }
    return far;
  };
  TreePath path;
  path.a = farthest(start);
  path.b = farthest(path.a);
  path.length = dist[path.b];
  return path;
}

}  // namespace

constexpr EnumName<AttractorShape> kAttractorShapeNames[] = {
    {AttractorShape::kOpenCurve, "open_curve"},
    {AttractorShape::kClosedCurve, "closed_curve"},
    {AttractorShape::kManifold, "manifold"}};

std::string_view to_string(AttractorShape shape) {
  return enum_to_string<AttractorShape>(kAttractorShapeNames, shape);
}

ContinuousAttractors find_continuous_attractors(const Eigen::Ref<const Eigen::MatrixXd>& states,
                                                const Eigen::Ref<const Eigen::VectorXi>& n_unstable,
                                                const Eigen::Ref<const Eigen::VectorXi>& n_marginal,
                                                const FlowFunction& flow) {
  const int n = static_cast<int>(states.cols());
  RNNATLAS_CHECK_ARG(n_unstable.size() == n && n_marginal.size() == n,
                     "find_continuous_attractors: " << n << " points but " << n_unstable.size()
                                                    << " unstable counts and " << n_marginal.size()
                                                    << " marginal counts");
  ContinuousAttractors result;
  result.attractor = Eigen::VectorXi::Constant(n, -1);
  if (n < 2) return result;

  // The tree's edges (i, parent[i]) between points with a marginal mode, kept where the states
  // between their ends hold.
  const std::vector<int> parent = minimum_spanning_tree(states);
  std::vector<int> child;
  for (int i = 0; i < n; ++i) {
    if (parent[i] >= 0 && n_marginal[i] >= 1 && n_marginal[parent[i]] >= 1) child.push_back(i);
  }
  const auto n_edges = static_cast<Eigen::Index>(child.size());
  Eigen::MatrixXd a(states.rows(), n_edges), b(states.rows(), n_edges);
  for (Eigen::Index e = 0; e < n_edges; ++e) {
    a.col(e) = states.col(child[e]);
    b.col(e) = states.col(parent[child[e]]);
  }
  const std::vector<char> holds = holding_segments(a, b, flow);
  std::vector<std::vector<std::pair<int, double>>> adj(n);
  for (Eigen::Index e = 0; e < n_edges; ++e) {
    if (!holds[e]) continue;
    const int i = child[e], j = parent[i];
    const double w = (states.col(i) - states.col(j)).norm();
    adj[i].emplace_back(j, w);
    adj[j].emplace_back(i, w);
  }

  // Connected groups of >= 2 points, in the order of their first point.
  std::vector<int> component(n, -1);
  for (int root = 0; root < n; ++root) {
    if (component[root] >= 0 || adj[root].empty()) continue;
    const int id = static_cast<int>(result.attractors.size());
    std::vector<int> members = {root}, stack = {root};
    component[root] = id;
    double longest_edge = 0.0;
    while (!stack.empty()) {
      const int u = stack.back();
      stack.pop_back();
      for (const auto& [v, w] : adj[u]) {
        longest_edge = std::max(longest_edge, w);
        if (component[v] < 0) {
          component[v] = id;
          members.push_back(v);
          stack.push_back(v);
        }
      }
    }
    ContinuousAttractor attractor;
    attractor.n_points = static_cast<int>(members.size());
    std::vector<int> marginal;
    attractor.n_unstable = std::numeric_limits<int>::max();
    for (const int p : members) {
      marginal.push_back(n_marginal[p]);
      attractor.n_unstable = std::min(attractor.n_unstable, n_unstable[p]);
    }
    std::nth_element(marginal.begin(), marginal.begin() + marginal.size() / 2, marginal.end());
    attractor.dimension = std::max(1, marginal[marginal.size() / 2]);
    if (attractor.dimension >= 2) {
      attractor.shape = AttractorShape::kManifold;
    } else {
      attractor.shape = AttractorShape::kOpenCurve;
      const TreePath path = longest_path(adj, root);
      const double gap = (states.col(path.a) - states.col(path.b)).norm();
      if (attractor.n_points >= 4 && gap <= 2.0 * longest_edge && 2.0 * gap < path.length &&
          holding_segments(states.col(path.a), states.col(path.b), flow)[0]) {
        attractor.shape = AttractorShape::kClosedCurve;
      }
    }
    result.attractors.push_back(attractor);
  }
  for (int i = 0; i < n; ++i) result.attractor[i] = component[i];
  return result;
}

std::vector<char> slow_points_on_visited_states(const Eigen::Ref<const Eigen::MatrixXd>& states,
                                                const Eigen::Ref<const Eigen::VectorXd>& q,
                                                const Eigen::Ref<const Eigen::MatrixXd>& visited,
                                                int n_time) {
  const Eigen::Index n = states.cols();
  RNNATLAS_CHECK_ARG(q.size() == n, "slow_points_on_visited_states: "
                                        << n << " points but " << q.size() << " values of q");
  RNNATLAS_CHECK_ARG(visited.cols() >= 1 && visited.rows() == states.rows(),
                     "slow_points_on_visited_states: visited is ["
                         << visited.rows() << ", " << visited.cols() << "]; expected ["
                         << states.rows() << ", >= 1]");
  RNNATLAS_CHECK_ARG(n_time >= 1,
                     "slow_points_on_visited_states: n_time = " << n_time << ": must be >= 1");
  const Eigen::VectorXd mean = visited.rowwise().mean();
  const double spread = std::sqrt((visited.colwise() - mean).colwise().squaredNorm().mean());
  std::vector<char> on(n, 0);
  for (Eigen::Index p = 0; p < n; ++p) {
    const double drift = std::sqrt(2.0 * std::max(q[p], 0.0));
    if (!(static_cast<double>(n_time) * drift <= spread)) continue;
    // Differences, not |s|^2 + |v|^2 - 2 s.v, which cancels far from the origin.
    const double nearest =
        std::sqrt((visited.colwise() - states.col(p)).colwise().squaredNorm().minCoeff());
    on[p] = nearest <= spread;
  }
  return on;
}

Eigen::VectorXi signature_row(const ContinuousAttractors& continuous,
                              const Eigen::Ref<const Eigen::VectorXi>& n_unstable) {
  RNNATLAS_CHECK_ARG(continuous.attractor.size() == n_unstable.size(),
                     "signature_row: " << continuous.attractor.size() << " points but "
                                       << n_unstable.size() << " unstable counts");
  Eigen::VectorXi row = Eigen::VectorXi::Zero(kSignatureColumns);
  for (Eigen::Index p = 0; p < n_unstable.size(); ++p) {
    if (continuous.attractor[p] < 0) ++row[std::min(n_unstable[p], kSignatureIsolatedColumns - 1)];
  }
  for (const ContinuousAttractor& a : continuous.attractors) {
    const int unstable = a.n_unstable > 0 ? 1 : 0;
    ++row[kSignatureIsolatedColumns + 2 * static_cast<int>(a.shape) + unstable];
  }
  return row;
}

TopologySummary topology_summary(const NetworkDynamics& dynamics) {
  return {dynamics.network_id, dynamics.task, dynamics.topology.signature,
          dynamics.topology.label_graph};
}

constexpr EnumName<TopologyDistanceKind> kTopologyDistanceKindNames[] = {
    {TopologyDistanceKind::kAuto, "auto"},
    {TopologyDistanceKind::kLabelGraph, "label_graph"},
    {TopologyDistanceKind::kSignature, "signature"}};

std::string_view to_string(TopologyDistanceKind kind) {
  return enum_to_string<TopologyDistanceKind>(kTopologyDistanceKindNames, kind);
}

TopologyDistanceKind parse_topology_distance_kind(std::string_view name) {
  return parse_enum<TopologyDistanceKind>(kTopologyDistanceKindNames, name, "topology distance");
}

std::vector<std::string> topology_distance_kind_names() {
  return enum_names<TopologyDistanceKind>(kTopologyDistanceKindNames);
}

double soergel_distance(const Eigen::Ref<const Eigen::MatrixXi>& a,
                        const Eigen::Ref<const Eigen::MatrixXi>& b) {
  RNNATLAS_CHECK_ARG(a.rows() == b.rows() && a.cols() == b.cols(),
                     "soergel_distance: shapes [" << a.rows() << ", " << a.cols() << "] and ["
                                                  << b.rows() << ", " << b.cols() << "] differ");
  RNNATLAS_CHECK_ARG((a.array() >= 0).all() && (b.array() >= 0).all(),
                     "soergel_distance: entries must be >= 0 (counts)");
  std::int64_t difference = 0, maximum = 0;
  for (Eigen::Index j = 0; j < a.cols(); ++j) {
    for (Eigen::Index i = 0; i < a.rows(); ++i) {
      difference += std::abs(a(i, j) - b(i, j));
      maximum += std::max(a(i, j), b(i, j));
    }
  }
  return maximum == 0 ? 0.0 : static_cast<double>(difference) / static_cast<double>(maximum);
}

double topology_distance(const TopologySummary& a,
                         const TopologySummary& b,
                         TopologyDistanceKind kind) {
  if (kind == TopologyDistanceKind::kAuto) {
    kind = has_label_graph(a) && has_label_graph(b) ? TopologyDistanceKind::kLabelGraph
                                                    : TopologyDistanceKind::kSignature;
  }
  const bool graphs = kind == TopologyDistanceKind::kLabelGraph;
  const Eigen::MatrixXi& ma = graphs ? a.label_graph : a.signature;
  const Eigen::MatrixXi& mb = graphs ? b.label_graph : b.signature;
  const char* what = graphs ? "label graph" : "topology signature";
  RNNATLAS_CHECK_ARG(ma.size() > 0 && mb.size() > 0,
                     "topology_distance: network '" << (ma.size() > 0 ? b : a).network_id
                                                    << "' has no " << what
                                                    << " (label graphs exist for the flip-flop "
                                                       "only)");
  RNNATLAS_CHECK_ARG(graphs || (ma.cols() == kSignatureColumns && mb.cols() == kSignatureColumns),
                     "topology_distance: the topology signature of network '"
                         << (ma.cols() != kSignatureColumns ? a : b).network_id
                         << "' has no columns for continuous attractors (a dynamics file of "
                            "format version 1); rerun `rnnatlas dynamics` to analyse it again");
  RNNATLAS_CHECK_ARG(ma.rows() == mb.rows() && ma.cols() == mb.cols(),
                     "topology_distance: the "
                         << what << " of network '" << a.network_id << "' is " << shape(ma)
                         << ", that of '" << b.network_id << "' is " << shape(mb)
                         << "; analyse both with the same task parameters and "
                            "options (e.g. the same input_stride)");
  return soergel_distance(ma, mb);
}

Eigen::MatrixXd topology_distance_matrix(const std::vector<TopologySummary>& networks,
                                         TopologyDistanceKind kind) {
  const int n = static_cast<int>(networks.size());
  if (kind == TopologyDistanceKind::kAuto) {
    bool all_graphs = n > 0;
    for (const TopologySummary& s : networks) all_graphs = all_graphs && has_label_graph(s);
    kind = all_graphs ? TopologyDistanceKind::kLabelGraph : TopologyDistanceKind::kSignature;
  }
  Eigen::MatrixXd distances = Eigen::MatrixXd::Zero(n, n);
  for (int i = 0; i < n; ++i) {
    for (int j = i + 1; j < n; ++j) {
      distances(i, j) = distances(j, i) = topology_distance(networks[i], networks[j], kind);
    }
  }
  return distances;
}

}  // namespace rnnatlas
