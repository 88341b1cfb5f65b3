#include "rnnatlas/dynamics/fixed_points.h"

#include <Eigen/Cholesky>
#include <Eigen/LU>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>
#include <sstream>

#include "common/parallel.h"
#include "common/random.h"
#include "rnnatlas/error.h"
#include "rnnatlas/tasks/task.h"

namespace rnnatlas {
namespace {

using Eigen::MatrixXd;
using Eigen::VectorXd;

template <typename T>
void require(bool ok, const char* type, const char* field, const T& value, const char* rule) {
  if (ok) return;
  std::ostringstream ss;
  ss << type << "::" << field << " = " << value << ": must be " << rule;
  throw InvalidArgument(ss.str());
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

/// F(S) - S, q and grad q for a batch of states at one constant input. Owns its buffers, so one
/// instance per thread.
class StepEvaluator {
 public:
  StepEvaluator(const Network& network, const Eigen::Ref<const VectorXd>& input)
      : cell_(network.cell()), theta_(network.parameters().data()), input_(input) {}

  /// Fills residual() = F(S) - S [n_state, K] and q [K]; and gradient [n_state, K] when non-null.
  void evaluate(const Eigen::Ref<const MatrixXd>& S, VectorXd& q, MatrixXd* gradient) {
    const Eigen::Index K = S.cols();
    if (X_.cols() != K) X_ = input_.replicate(1, K);
    cell_.forward(theta_, X_, S, 1, cache_);
    residual_ = cache_.states.middleCols(K, K) - S;
    q = 0.5 * residual_.colwise().squaredNorm().transpose();
    if (gradient) {
      // Seeding backward with dL/dS_1 = F - s returns dL/dS_0 = J^T (F - s); the -(F - s) term is
      // the direct dependence of q on s.
      cell_.backward(theta_, X_, cache_, nullptr, &residual_, nullptr, &G_S0_, nullptr);
      *gradient = G_S0_ - residual_;
    }
  }

  const MatrixXd& residual() const { return residual_; }

  void jacobian(const Eigen::Ref<const VectorXd>& s, MatrixXd& J) const {
    cell_.jacobians(theta_, s, input_, J, nullptr);
  }

 private:
  const Cell<double>& cell_;
  const double* theta_;
  VectorXd input_;
  MatrixXd X_;
  SequenceCache<double> cache_;
  MatrixXd residual_;
  MatrixXd G_S0_;
};

void check_network_input(const Network& network, const Eigen::Ref<const VectorXd>& input) {
  RNNATLAS_CHECK_ARG(input.size() == network.architecture().n_input,
                     "input has size " << input.size() << ", the network takes n_input = "
                                       << network.architecture().n_input);
  RNNATLAS_CHECK_ARG(input.allFinite(), "input has non-finite values");
}

void check_states(const Network& network,
                  const Eigen::Ref<const MatrixXd>& states,
                  const char* what) {
  const int n_state = network.architecture().n_state();
  RNNATLAS_CHECK_ARG(states.rows() == n_state && states.cols() >= 1,
                     what << " have shape [" << states.rows() << ", " << states.cols()
                          << "], expected [n_state = " << n_state << ", n >= 1]");
  RNNATLAS_CHECK_ARG(states.allFinite(), what << " have non-finite values");
}

struct Candidate {
  double q = 0.0;
  FixedPointStop stop = FixedPointStop::kMaxIters;
  int n_adam_iters = 0;
  int n_newton_iters = 0;
};

/// Damped Newton on r(s) = F(s) - s with the exact Jacobian; returns the number of accepted steps.
int newton_refine(StepEvaluator& evaluator, const NewtonOptions& options, VectorXd& s, double& q) {
  const Eigen::Index n = s.size();
  VectorXd q_try(1);
  evaluator.evaluate(s, q_try, nullptr);
  q = q_try[0];
  VectorXd r = evaluator.residual().col(0);
  MatrixXd J, A;
  VectorXd ds, s_try;
  int n_accepted = 0;
  for (int it = 0; it < options.max_iters && q > options.tol_q; ++it) {
    evaluator.jacobian(s, J);
    A = J - MatrixXd::Identity(n, n);
    const Eigen::PartialPivLU<MatrixXd> lu(A);
    if (lu.rcond() >= options.min_rcond) {
      ds = lu.solve(-r);
    } else {
      // J - I is (nearly) singular, e.g. on a line attractor: a Levenberg-Marquardt step, which
      // tends to the minimum-norm least-squares step -A^+ r as mu -> 0.
      double mu = options.lm_damping * A.squaredNorm();
      if (!(mu > 0.0)) mu = options.lm_damping;
      MatrixXd normal = A.transpose() * A;
      normal.diagonal().array() += mu;
      ds = normal.ldlt().solve(-(A.transpose() * r));
    }
    if (!ds.allFinite()) break;
    bool accepted = false;
    double alpha = 1.0;
    for (int b = 0; b <= options.max_backtracks; ++b, alpha *= 0.5) {
      s_try = s + alpha * ds;
      evaluator.evaluate(s_try, q_try, nullptr);
      if (std::isfinite(q_try[0]) && q_try[0] < q) {
        accepted = true;
        break;
      }
    }
    if (!accepted) break;
    s = s_try;
    q = q_try[0];
    r = evaluator.residual().col(0);
    ++n_accepted;
  }
  return n_accepted;
}

}  // namespace

std::string_view to_string(FixedPointStop stop) {
  switch (stop) {
    case FixedPointStop::kTolQ:
      return "tol_q";
    case FixedPointStop::kTolDq:
      return "tol_dq";
    case FixedPointStop::kMaxIters:
      return "max_iters";
    case FixedPointStop::kNonFinite:
      return "non_finite";
  }
  return "unknown";
}

#define RNNATLAS_REQUIRE(field, condition, rule) \
  require((condition), "FixedPointOptions", #field, field, rule)

void FixedPointOptions::validate() const {
  RNNATLAS_REQUIRE(tol_q, tol_q >= 0 && std::isfinite(tol_q), ">= 0 and finite");
  RNNATLAS_REQUIRE(tol_dq, tol_dq >= 0 && std::isfinite(tol_dq), ">= 0 and finite");
  RNNATLAS_REQUIRE(max_iters, max_iters >= 0, ">= 0");
  RNNATLAS_REQUIRE(adam_beta1, adam_beta1 >= 0 && adam_beta1 < 1, "in [0, 1)");
  RNNATLAS_REQUIRE(adam_beta2, adam_beta2 >= 0 && adam_beta2 < 1, "in [0, 1)");
  RNNATLAS_REQUIRE(adam_epsilon, adam_epsilon > 0 && std::isfinite(adam_epsilon), "> 0 and finite");
  RNNATLAS_REQUIRE(lr_initial, lr_initial > 0 && std::isfinite(lr_initial), "> 0 and finite");
  RNNATLAS_REQUIRE(lr_min, lr_min > 0 && lr_min <= lr_initial, "in (0, lr_initial]");
  RNNATLAS_REQUIRE(lr_max, lr_max >= lr_initial && std::isfinite(lr_max),
                   ">= lr_initial and finite");
  RNNATLAS_REQUIRE(lr_decrease_factor, lr_decrease_factor > 0 && lr_decrease_factor < 1,
                   "in (0, 1)");
  RNNATLAS_REQUIRE(lr_increase_factor, lr_increase_factor >= 1 && std::isfinite(lr_increase_factor),
                   ">= 1 and finite");
  RNNATLAS_REQUIRE(lr_steps_per_increase, lr_steps_per_increase >= 1, ">= 1");
  RNNATLAS_REQUIRE(newton.max_iters, newton.max_iters >= 0, ">= 0");
  RNNATLAS_REQUIRE(newton.tol_q, newton.tol_q >= 0 && std::isfinite(newton.tol_q),
                   ">= 0 and finite");
  RNNATLAS_REQUIRE(newton.max_backtracks, newton.max_backtracks >= 0, ">= 0");
  RNNATLAS_REQUIRE(newton.min_rcond, newton.min_rcond >= 0 && newton.min_rcond < 1, "in [0, 1)");
  RNNATLAS_REQUIRE(newton.lm_damping, newton.lm_damping > 0 && std::isfinite(newton.lm_damping),
                   "> 0 and finite");
  RNNATLAS_REQUIRE(tol_unique, tol_unique >= 0 && std::isfinite(tol_unique), ">= 0 and finite");
  RNNATLAS_REQUIRE(outlier_distance_scale,
                   outlier_distance_scale >= 0 && std::isfinite(outlier_distance_scale),
                   ">= 0 and finite (0 disables outlier exclusion)");
  RNNATLAS_REQUIRE(n_threads, n_threads >= 1, ">= 1");
}

#undef RNNATLAS_REQUIRE
#define RNNATLAS_REQUIRE(field, condition, rule) \
  require((condition), "InitialStateOptions", #field, field, rule)

void InitialStateOptions::validate() const {
  RNNATLAS_REQUIRE(n_states, n_states >= 1, ">= 1");
  RNNATLAS_REQUIRE(n_trials, n_trials >= 1, ">= 1");
  RNNATLAS_REQUIRE(noise_scale, noise_scale >= 0 && std::isfinite(noise_scale), ">= 0 and finite");
}

#undef RNNATLAS_REQUIRE

int FixedPoints::n_slow() const {
  return static_cast<int>(std::count(is_slow.begin(), is_slow.end(), true));
}

std::string FixedPointSummary::brief_report() const {
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "%s: %d points (%d slow) from %d candidates; %d converged, %d slow "
                "(%d stalled, %d at max_iters), %d non-finite, %d merged, %d outliers; max q %.3g; "
                "%d Adam iterations, %.2f s + %.2f s Newton",
                std::string(to_string(termination)).c_str(), n_points, n_slow_points, n_candidates,
                n_converged, n_slow, n_stalled, n_max_iters, n_non_finite, n_merged, n_outliers,
                max_q, n_adam_iters, seconds_adam, seconds_newton);
  return buf;
}

void fixed_point_objective(const Network& network,
                           const Eigen::Ref<const MatrixXd>& states,
                           const Eigen::Ref<const VectorXd>& input,
                           VectorXd* q,
                           MatrixXd* gradient) {
  check_network_input(network, input);
  check_states(network, states, "states");
  RNNATLAS_CHECK_ARG(q != nullptr, "fixed_point_objective: q must not be null");
  StepEvaluator evaluator(network, input);
  evaluator.evaluate(states, *q, gradient);
}

FixedPointResult find_fixed_points(const Network& network,
                                   const Eigen::Ref<const MatrixXd>& initial_states,
                                   const Eigen::Ref<const VectorXd>& input,
                                   const FixedPointOptions& options) {
  options.validate();
  check_network_input(network, input);
  check_states(network, initial_states, "initial_states");
  const int n = network.architecture().n_state();
  const int K = static_cast<int>(initial_states.cols());

  FixedPointResult result;
  FixedPointSummary& summary = result.summary;
  summary.n_candidates = K;

  // ---- Adam on q, all candidates in one batch ---------------------------------------------------
  // The running candidates are kept compact in the first Ka columns of Sa, Ma, Va (original column
  // idx[j]); a finished candidate is written back to S and the batch is compacted.
  const auto adam_start = std::chrono::steady_clock::now();
  MatrixXd S = initial_states;
  std::vector<Candidate> candidates(K);
  MatrixXd Sa = initial_states, Ma = MatrixXd::Zero(n, K), Va = MatrixXd::Zero(n, K);
  VectorXd lr = VectorXd::Constant(K, options.lr_initial);
  VectorXd q_prev = VectorXd::Zero(K);
  Eigen::VectorXi n_decreases = Eigen::VectorXi::Zero(K);
  std::vector<int> idx(K);
  std::iota(idx.begin(), idx.end(), 0);
  StepEvaluator evaluator(network, input);
  VectorXd q;
  MatrixXd grad;
  std::vector<char> done(K);
  const double b1 = options.adam_beta1, b2 = options.adam_beta2;
  double b1_t = 1.0, b2_t = 1.0;
  int Ka = K;
  for (int k = 0; Ka > 0; ++k) {
    evaluator.evaluate(Sa.leftCols(Ka), q, &grad);
    b1_t *= b1;
    b2_t *= b2;
    double q_sum = 0.0;
    int n_finite = 0;
    for (int j = 0; j < Ka; ++j) {
      Candidate& c = candidates[idx[j]];
      c.q = q[j];
      c.n_adam_iters = k;
      done[j] = 1;
      if (!std::isfinite(q[j]) || !grad.col(j).allFinite()) {
        c.stop = FixedPointStop::kNonFinite;
        continue;
      }
      q_sum += q[j];
      ++n_finite;
      if (q[j] <= options.tol_q) {
        c.stop = FixedPointStop::kTolQ;
      } else if (k > 0 && std::abs(q[j] - q_prev[j]) < options.tol_dq * lr[j]) {
        c.stop = FixedPointStop::kTolDq;
      } else if (k >= options.max_iters) {
        c.stop = FixedPointStop::kMaxIters;
      } else {
        done[j] = 0;
      }
      if (done[j]) continue;
      // Adaptive learning rate (FixedPointFinder): shrink when q went up, grow after a run of
      // decreases.
      if (k > 0) {
        if (q[j] > q_prev[j]) {
          lr[j] *= options.lr_decrease_factor;
          n_decreases[j] = 0;
        } else if (++n_decreases[j] >= options.lr_steps_per_increase) {
          lr[j] *= options.lr_increase_factor;
          n_decreases[j] = 0;
        }
        lr[j] = std::clamp(lr[j], options.lr_min, options.lr_max);
      }
      q_prev[j] = q[j];
      auto m = Ma.col(j), v = Va.col(j);
      const auto g = grad.col(j);
      m = b1 * m + (1.0 - b1) * g;
      v = b2 * v + (1.0 - b2) * g.cwiseAbs2();
      Sa.col(j).array() -= lr[j] * (m.array() / (1.0 - b1_t)) /
                           ((v.array() / (1.0 - b2_t)).sqrt() + options.adam_epsilon);
    }
    summary.mean_q_history.push_back(n_finite > 0 ? q_sum / n_finite
                                                  : std::numeric_limits<double>::quiet_NaN());
    summary.n_adam_iters = k;
    // Write the finished candidates back and compact the running ones to the left.
    int kept = 0;
    for (int j = 0; j < Ka; ++j) {
      if (done[j]) {
        S.col(idx[j]) = Sa.col(j);
        continue;
      }
      if (kept != j) {
        Sa.col(kept) = Sa.col(j);
        Ma.col(kept) = Ma.col(j);
        Va.col(kept) = Va.col(j);
        lr[kept] = lr[j];
        q_prev[kept] = q_prev[j];
        n_decreases[kept] = n_decreases[j];
        idx[kept] = idx[j];
      }
      ++kept;
    }
    Ka = kept;
  }
  summary.seconds_adam = seconds_since(adam_start);

  // ---- De-duplication of the Adam results, then Newton on one representative per cluster
  // --------- Candidates that Adam brought within tol_unique of each other share one (expensive)
  // Newton refinement; the refined representatives are de-duplicated again, since Newton may bring
  // two of them together.
  const double tol2 = options.tol_unique * options.tol_unique;
  const auto by_q = [&](int a, int b) { return candidates[a].q < candidates[b].q; };
  // Greedy: in ascending q, a point joins the first kept point within tol_unique, else is kept.
  const auto deduplicate = [&](const std::vector<int>& sorted, std::vector<int>& kept,
                               std::vector<int>& counts, const std::vector<int>& weights) {
    kept.clear();
    counts.clear();
    for (std::size_t k = 0; k < sorted.size(); ++k) {
      const int i = sorted[k];
      bool merged = false;
      for (std::size_t u = 0; u < kept.size(); ++u) {
        if ((S.col(i) - S.col(kept[u])).squaredNorm() <= tol2) {
          counts[u] += weights[k];
          summary.n_merged += weights[k];
          merged = true;
          break;
        }
      }
      if (!merged) {
        kept.push_back(i);
        counts.push_back(weights[k]);
      }
    }
  };
  std::vector<int> order;
  for (int i = 0; i < K; ++i) {
    if (candidates[i].stop != FixedPointStop::kNonFinite) order.push_back(i);
  }
  std::stable_sort(order.begin(), order.end(), by_q);
  std::vector<int> representatives, rep_counts;
  deduplicate(order, representatives, rep_counts, std::vector<int>(order.size(), 1));

  const auto newton_start = std::chrono::steady_clock::now();
  const int n_reps = static_cast<int>(representatives.size());
  if (options.newton.enabled && options.newton.max_iters > 0) {
    internal::parallel_ranges(n_reps, options.n_threads, [&](int begin, int end, int) {
      StepEvaluator local(network, input);
      VectorXd s;
      for (int r = begin; r < end; ++r) {
        const int i = representatives[r];
        Candidate& c = candidates[i];
        s = S.col(i);
        double q_new = c.q;
        c.n_newton_iters = newton_refine(local, options.newton, s, q_new);
        if (c.n_newton_iters > 0) {
          S.col(i) = s;
          c.q = q_new;
        }
      }
    });
  }
  summary.seconds_newton = seconds_since(newton_start);

  // ---- Classification (each candidate by its own final q), second de-duplication, outliers ------
  for (int i = 0; i < K; ++i) {
    const Candidate& c = candidates[i];
    if (c.n_newton_iters > 0) ++summary.n_newton_refined;
    if (c.stop == FixedPointStop::kNonFinite) {
      ++summary.n_non_finite;
    } else if (c.q <= options.tol_q) {
      ++summary.n_converged;
    } else {
      ++summary.n_slow;
      if (c.stop == FixedPointStop::kTolDq) ++summary.n_stalled;
      if (c.stop == FixedPointStop::kMaxIters) ++summary.n_max_iters;
    }
  }
  std::vector<int> rep_order(n_reps);
  std::iota(rep_order.begin(), rep_order.end(), 0);
  std::stable_sort(rep_order.begin(), rep_order.end(),
                   [&](int a, int b) { return by_q(representatives[a], representatives[b]); });
  std::vector<int> sorted_reps(n_reps), sorted_counts(n_reps);
  for (int k = 0; k < n_reps; ++k) {
    sorted_reps[k] = representatives[rep_order[k]];
    sorted_counts[k] = rep_counts[rep_order[k]];
  }
  std::vector<int> unique, merged_into;
  deduplicate(sorted_reps, unique, merged_into, sorted_counts);

  std::vector<char> keep(unique.size(), 1);
  const VectorXd centroid = initial_states.rowwise().mean();
  const double mean_distance = (initial_states.colwise() - centroid).colwise().norm().mean();
  if (options.outlier_distance_scale > 0 && mean_distance > 0) {
    const double limit = options.outlier_distance_scale * mean_distance;
    for (std::size_t u = 0; u < unique.size(); ++u) {
      if ((S.col(unique[u]) - centroid).norm() > limit) {
        keep[u] = 0;
        ++summary.n_outliers;
      }
    }
  }

  FixedPoints& points = result.points;
  const int n_points = static_cast<int>(std::count(keep.begin(), keep.end(), 1));
  points.input = input;
  points.states.resize(n, n_points);
  points.q.resize(n_points);
  points.is_slow.resize(n_points);
  points.stop.resize(n_points);
  points.n_adam_iters.resize(n_points);
  points.n_newton_iters.resize(n_points);
  points.initial_index.resize(n_points);
  points.n_merged.resize(n_points);
  int p = 0;
  for (std::size_t u = 0; u < unique.size(); ++u) {
    if (!keep[u]) continue;
    const int i = unique[u];
    const Candidate& c = candidates[i];
    points.states.col(p) = S.col(i);
    points.q[p] = c.q;
    points.is_slow[p] = c.q > options.tol_q;
    points.stop[p] = c.stop;
    points.n_adam_iters[p] = c.n_adam_iters;
    points.n_newton_iters[p] = c.n_newton_iters;
    points.initial_index[p] = i;
    points.n_merged[p] = merged_into[u];
    if (!points.is_slow[p]) summary.max_q = std::max(summary.max_q, c.q);
    ++p;
  }
  summary.n_points = n_points;
  summary.n_slow_points = points.n_slow();

  summary.termination =
      summary.n_non_finite == K ? Termination::kDiverged : Termination::kCompleted;
  std::ostringstream msg;
  msg << K << " candidates: " << summary.n_converged << " converged (q <= tol_q = " << options.tol_q
      << "), " << summary.n_slow << " slow (" << summary.n_stalled
      << " stalled with |dq| < tol_dq * lr, " << summary.n_max_iters
      << " reached max_iters = " << options.max_iters << "), " << summary.n_non_finite
      << " dropped as non-finite; " << summary.n_merged
      << " merged as duplicates (tol_unique = " << options.tol_unique << "), " << summary.n_outliers
      << " dropped as outliers (farther than " << options.outlier_distance_scale
      << " x mean initial distance " << mean_distance << " from the initial centroid); " << n_points
      << " points returned (" << points.n_slow() << " slow).";
  summary.message = msg.str();
  return result;
}

Eigen::MatrixXd sample_initial_states(const Eigen::Ref<const MatrixXd>& pool,
                                      const InitialStateOptions& options) {
  options.validate();
  RNNATLAS_CHECK_ARG(pool.cols() >= 1 && pool.rows() >= 1, "state pool has shape ["
                                                               << pool.rows() << ", " << pool.cols()
                                                               << "], expected at least one state");
  RNNATLAS_CHECK_ARG(pool.allFinite(), "state pool has non-finite values");
  internal::Rng rng(options.seed, /*stream=*/0xF1C5);
  MatrixXd out(pool.rows(), options.n_states);
  for (int i = 0; i < options.n_states; ++i) {
    out.col(i) = pool.col(static_cast<Eigen::Index>(rng.uniform_int(pool.cols())));
    for (Eigen::Index r = 0; r < out.rows(); ++r) out(r, i) += options.noise_scale * rng.normal();
  }
  return out;
}

Eigen::MatrixXd sample_initial_states(const Network& network,
                                      const Task& task,
                                      const InitialStateOptions& options) {
  options.validate();
  RNNATLAS_CHECK_ARG(
      task.n_input() == network.architecture().n_input,
      "task '" << task.name() << "' has " << task.n_input()
               << " inputs, the network takes n_input = " << network.architecture().n_input);
  const TrialBatch batch =
      task.sample(options.n_trials, internal::derive_seed(options.seed, 0, /*domain=*/0xF1C5));
  const Network::Trajectory trajectory = network.run(batch.inputs, batch.n_batch);
  return sample_initial_states(trajectory.states, options);
}

}  // namespace rnnatlas
