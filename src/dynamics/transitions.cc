#include "rnnatlas/dynamics/transitions.h"

#include <cmath>
#include <complex>
#include <sstream>

#include "rnnatlas/error.h"

namespace rnnatlas {

void TransitionOptions::validate() const {
  const auto require = [](bool ok, const char* field, double value, const char* rule) {
    RNNATLAS_CHECK_ARG(ok,
                       "TransitionOptions::" << field << " = " << value << ": must be " << rule);
  };
  require(perturbation > 0 && std::isfinite(perturbation), "perturbation", perturbation,
          "> 0 and finite");
  require(max_steps >= 1, "max_steps", max_steps, ">= 1");
  require(tol_settled > 0 && std::isfinite(tol_settled), "tol_settled", tol_settled,
          "> 0 and finite");
  require(tol_match > 0 && std::isfinite(tol_match), "tol_match", tol_match, "> 0 and finite");
}

TransitionGraph find_transitions(const Network& network,
                                 const FixedPoints& points,
                                 const std::vector<Linearization>& linearizations,
                                 const TransitionOptions& options) {
  options.validate();
  const int n_points = points.n_points();
  const int n = network.architecture().n_state();
  RNNATLAS_CHECK_ARG(static_cast<int>(linearizations.size()) == n_points,
                     "got " << linearizations.size() << " linearizations for " << n_points
                            << " points; pass linearize(network, points)");
  RNNATLAS_CHECK_ARG(points.input.size() == network.architecture().n_input &&
                         (n_points == 0 || points.states.rows() == n),
                     "points do not belong to this network: states have "
                         << points.states.rows() << " rows (n_state = " << n << "), input has "
                         << points.input.size()
                         << " entries (n_input = " << network.architecture().n_input << ")");

  TransitionGraph graph;
  graph.weights = Eigen::MatrixXi::Zero(n_points, n_points);
  std::vector<Eigen::VectorXd> starts;
  for (int i = 0; i < n_points; ++i) {
    const Linearization& lin = linearizations[i];
    RNNATLAS_CHECK_ARG(
        lin.right_eigenvectors.cols() == n || lin.n_unstable == 0,
        "linearization " << i << " has no eigenvectors; use compute_eigenvectors = true");
    for (const int k : lin.unstable_modes()) {
      const std::complex<double> lambda = lin.eigenvalues[k];
      // A complex pair spans a plane: the first of the pair (Im > 0) steps along Re r_k, its
      // conjugate along Im r_k.
      Eigen::VectorXd direction = lambda.imag() < 0.0
                                      ? Eigen::VectorXd(lin.right_eigenvectors.col(k).imag())
                                      : Eigen::VectorXd(lin.right_eigenvectors.col(k).real());
      if (!(direction.norm() > 0.0)) direction = lin.right_eigenvectors.col(k).imag();
      direction.normalize();
      for (const int sign : {1, -1}) {
        Transition t;
        t.from = i;
        t.mode = k;
        t.sign = sign;
        graph.transitions.push_back(t);
        starts.push_back(points.states.col(i) + sign * options.perturbation * direction);
      }
    }
  }
  const int n_runs = static_cast<int>(starts.size());
  if (n_runs == 0) return graph;

  // All runs step together; a settled run leaves the batch.
  const Cell<double>& cell = network.cell();
  const double* theta = network.parameters().data();
  Eigen::MatrixXd S(n, n_runs);
  for (int r = 0; r < n_runs; ++r) S.col(r) = starts[r];
  std::vector<int> idx(n_runs);
  for (int r = 0; r < n_runs; ++r) idx[r] = r;
  SequenceCache<double> cache;
  Eigen::MatrixXd X;
  int n_active = n_runs;
  for (int step = 0; step < options.max_steps && n_active > 0; ++step) {
    if (X.cols() != n_active) X = points.input.replicate(1, n_active);
    cell.forward(theta, X, S.leftCols(n_active), 1, cache);
    const Eigen::MatrixXd F = cache.states.middleCols(n_active, n_active);
    int kept = 0;
    for (int j = 0; j < n_active; ++j) {
      Transition& t = graph.transitions[idx[j]];
      const double speed = (F.col(j) - S.col(j)).norm();
      S.col(j) = F.col(j);
      if (speed <= options.tol_settled || !std::isfinite(speed)) {
        t.settled = std::isfinite(speed);
        t.n_steps = step + 1;
        t.final_state = F.col(j);
        continue;
      }
      if (kept != j) {
        S.col(kept) = S.col(j);
        idx[kept] = idx[j];
      }
      ++kept;
    }
    n_active = kept;
  }
  for (int j = 0; j < n_active; ++j) {
    Transition& t = graph.transitions[idx[j]];
    t.n_steps = options.max_steps;
    t.final_state = S.col(j);
  }

  for (Transition& t : graph.transitions) {
    if (!t.settled) {
      ++graph.n_unresolved;
      continue;
    }
    double best = options.tol_match;
    for (int j = 0; j < n_points; ++j) {
      const double d = (t.final_state - points.states.col(j)).norm();
      if (d <= best) {
        best = d;
        t.to = j;
      }
    }
    if (t.to < 0) {
      ++graph.n_unmatched;
    } else {
      ++graph.weights(t.from, t.to);
    }
  }
  return graph;
}

}  // namespace rnnatlas
