#include "rnnatlas/dynamics/topology.h"

#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>

#include "rnnatlas/dynamics/analysis.h"
#include "rnnatlas/error.h"

namespace rnnatlas {
namespace {

std::string shape(const Eigen::MatrixXi& m) {
  std::ostringstream ss;  // (not "[" + std::to_string(...): GCC 12 warns falsely, -Wrestrict)
  ss << '[' << m.rows() << ", " << m.cols() << ']';
  return ss.str();
}

bool has_label_graph(const TopologySummary& s) { return s.label_graph.size() > 0; }

}  // namespace

TopologySummary topology_summary(const NetworkDynamics& dynamics) {
  return {dynamics.network_id, dynamics.task, dynamics.topology.signature,
          dynamics.topology.label_graph};
}

std::string_view to_string(TopologyDistanceKind kind) {
  switch (kind) {
    case TopologyDistanceKind::kAuto:
      return "auto";
    case TopologyDistanceKind::kLabelGraph:
      return "label_graph";
    case TopologyDistanceKind::kSignature:
      return "signature";
  }
  return "unknown";
}

TopologyDistanceKind parse_topology_distance_kind(std::string_view name) {
  for (const TopologyDistanceKind kind :
       {TopologyDistanceKind::kAuto, TopologyDistanceKind::kLabelGraph,
        TopologyDistanceKind::kSignature}) {
    if (name == to_string(kind)) return kind;
  }
  RNNATLAS_CHECK_ARG(
      false, "unknown topology distance '" << name << "'; known: auto, label_graph, signature");
  return TopologyDistanceKind::kAuto;
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
