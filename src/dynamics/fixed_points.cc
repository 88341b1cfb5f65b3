#include "rnnatlas/dynamics/fixed_points.h"

#include <Eigen/Cholesky>
#include <Eigen/LU>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <memory>
#include <numeric>
#include <sstream>

#include "common/random.h"
#include "rnnatlas/enum_names.h"
#include "rnnatlas/error.h"
#include "rnnatlas/models/cell.h"
#include "rnnatlas/tasks/task.h"

namespace rnnatlas {
namespace {

using Eigen::MatrixXd;
using Eigen::VectorXd;

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

  /// J = dF/ds [n_state, n_state] at s.
  void jacobian(const Eigen::Ref<const VectorXd>& s, MatrixXd& J) {
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

/// The Adam stage's evaluation in single precision: F(S) - S and grad q for a batch, as
/// StepEvaluator::evaluate(), from a float copy of the cell and its parameters (as training uses
/// them), returned in double. Adam is only the global stage of the search, and every fixed point
/// is resolved in double precision (chord test, Newton), so float's rounding (q is resolved to
/// ~1e-14 |F|^2) costs nothing in the result; float halves the cost of the stage.
class FloatStepEvaluator {
 public:
  FloatStepEvaluator(const Network& network, const Eigen::Ref<const VectorXd>& input)
      : cell_(make_cell<float>(network.architecture().cell,
                               network.architecture().activation,
                               network.architecture().n_input,
                               network.architecture().n_hidden)),
        theta_(network.parameters().cast<float>()),
        input_(input.cast<float>()) {}

  /// Fills q [K], gradient and residual [n_state, K] at the columns of S.
  void evaluate(const Eigen::Ref<const MatrixXd>& S,
                VectorXd& q,
                MatrixXd& gradient,
                MatrixXd& residual) {
    const Eigen::Index K = S.cols();
    if (X_.cols() != K) X_ = input_.replicate(1, K);
    S_ = S.cast<float>();
    cell_->forward(theta_.data(), X_, S_, 1, cache_);
    R_ = cache_.states.middleCols(K, K) - S_;
    cell_->backward(theta_.data(), X_, cache_, nullptr, &R_, nullptr, &G_S0_, nullptr);
    G_S0_ -= R_;
    residual = R_.cast<double>();
    gradient = G_S0_.cast<double>();
    q = 0.5 * residual.colwise().squaredNorm().transpose();
  }

  /// J = dF/ds at s in single precision, returned in double.
  void jacobian(const Eigen::Ref<const VectorXd>& s, MatrixXd& J) {
    s1_ = s.cast<float>();
    cell_->jacobians(theta_.data(), s1_, input_, J_, nullptr);
    J = J_.cast<double>();
  }

 private:
  std::unique_ptr<Cell<float>> cell_;
  Eigen::VectorXf theta_;
  Eigen::VectorXf input_;
  Eigen::MatrixXf X_, S_, R_, G_S0_;
  SequenceCache<float> cache_;
  Eigen::VectorXf s1_;
  Eigen::MatrixXf J_;
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
  int joined = -1;  ///< the candidate whose fixed point this one joined in a Newton round, or -1
};

/// Damped Newton on r(s) = F(s) - s with the exact Jacobian; returns the number of accepted steps.
/// While it converges fast (a full step that shrinks ||r|| kReuseContraction-fold or more), the
/// factorisation of J - I is kept for the next step (Shamanskii's variant: superlinear where Newton
/// is quadratic, for a fraction of the Jacobians); a slower or rejected step gets a fresh Jacobian.
/// Past options.tol_q it goes on with the kept factorisation as long as q keeps falling that fast,
/// which costs one evaluation per step and takes the point to the rounding level (for instance to
/// exact zeros on the invariant subspaces of a symmetric network). With `coarse`, the Jacobians
/// taken while q > kCoarseJacobianQ are computed in single precision (still exact derivatives; the
/// residual is always double): far from the point the step is damped anyway, and near it a
/// Jacobian error of ~1e-7 costs nothing, as the last steps use double.
///
/// With `local`, *local tells whether the run stayed in the region of quadratic convergence of the
/// point it reached: every step accepted while q > local_q was a full Newton step (no
/// backtracking, no Levenberg-Marquardt) that shrank ||F(s) - s|| at least kLocalContraction-fold.
/// Far from a point a damped Newton run can end at any point, not the one the start lies near.
int newton_refine(StepEvaluator& evaluator,
                  const NewtonOptions& options,
                  VectorXd& s,
                  double& q,
                  FloatStepEvaluator* coarse = nullptr,
                  double local_q = 0.0,
                  bool* local = nullptr) {
  constexpr double kLocalContraction = 2.0;
  constexpr double kReuseContraction = 10.0;
  constexpr double kCoarseJacobianQ = 1e-10;
  VectorXd q_try(1);
  evaluator.evaluate(s, q_try, nullptr);
  q = q_try[0];
  VectorXd r = evaluator.residual().col(0);
  MatrixXd A;
  Eigen::PartialPivLU<MatrixXd> lu;
  VectorXd ds, s_try;
  bool reuse = false;
  int n_accepted = 0;
  if (local) *local = true;
  for (int it = 0; it < options.max_iters && (q > options.tol_q || reuse); ++it) {
    bool singular = false;
    if (!reuse) {
      if (coarse && q > kCoarseJacobianQ) {
        coarse->jacobian(s, A);
      } else {
        evaluator.jacobian(s, A);
      }
      A.diagonal().array() -= 1.0;  // A = J - I
      lu.compute(A);
      singular = lu.rcond() < options.min_rcond;
    }
    if (!singular) {
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
    bool accepted = false;
    double alpha = 1.0;
    for (int b = 0; b <= options.max_backtracks && ds.allFinite(); ++b, alpha *= 0.5) {
      s_try = s + alpha * ds;
      evaluator.evaluate(s_try, q_try, nullptr);
      if (std::isfinite(q_try[0]) && q_try[0] < q) {
        accepted = true;
        break;
      }
    }
    if (!accepted) {
      if (!reuse) break;
      reuse = false;  // the kept factorisation failed: the next step gets a fresh Jacobian
      continue;
    }
    if (local && q > local_q &&
        (singular || alpha != 1.0 || q_try[0] * (kLocalContraction * kLocalContraction) > q)) {
      *local = false;
    }
    reuse = !singular && alpha == 1.0 && q_try[0] * (kReuseContraction * kReuseContraction) <= q;
    s = s_try;
    q = q_try[0];
    r = evaluator.residual().col(0);
    ++n_accepted;
  }
  return n_accepted;
}

/// The search of find_fixed_points(): Adam on every candidate in one batch, interleaved with
/// Newton rounds that resolve candidates one fixed point at a time, then a last round for the
/// candidates Adam finished. Everything runs in a fixed order on the calling thread.
///
/// Resolving. A candidate is resolved when it reaches q <= tol_q either by its own Newton run
/// (newton_refine()) or by the chord iteration of a known fixed point x*:
///     s <- s - (J* - I)^{-1} (F(s) - s),      J* = J(x*), factorised once per point.
/// Since J* is the Jacobian at the root, the chord iteration converges quadratically near x* and
/// not at all far from it. A candidate is tested against its nearest known point only, together
/// with all such candidates (one batched step F and one LU solve with many right-hand sides per
/// iteration). It joins x* when it reaches q <= tol_q within tol_unique of it, and is left
/// unchanged when its first step does not bring it kChordContraction times closer to x*, a later
/// step does not shrink its residual by that factor, or it needs more than kChordMaxIters
/// iterations; it is tested against the same point again only once it is half as far from it. A
/// joined candidate is a duplicate of x* by FixedPointFinder's own rule (within tol_unique), found
/// without a Newton run of its own. A Newton run that ends at q <= tol_q within tol_unique of a
/// known point joins it too; otherwise it makes a new known point, which is polished to the
/// rounding level and at once chord-tested against the candidates it is now the nearest point of.
/// A known point is reported through the first candidate resolved at it (its representative);
/// one that no candidate is ever resolved at is not reported.
///
/// Rounds. Every newton.round_iters Adam iterations, the running candidates (at the states where
/// q was just evaluated) are chord-tested, and Newton is tried on them in ascending q, each at most
/// once while Adam runs, until kBarrenTries tries in a row found no new point; resolved candidates
/// leave Adam (stop kNewton). Adam is only the global stage: near a fixed point Newton converges
/// quadratically where Adam crawls (on a trained GRU with update gates near 1, Adam alone ends at
/// q ~ 1e-7 after 5000 iterations). But which point a candidate ends at is Adam's to decide, as in
/// FixedPointFinder: at lr_initial = 1 Adam carries candidates past points, and its large steps
/// are what bring some of them to the saddles and the origin of the perfect flip-flop
/// (analysis_test and NewtonRoundsKeepThePointsOnlyAdamsLargeStepsReach). So during Adam a
/// candidate is resolved only once Adam has brought it deep into a known point's neighbourhood
/// (settled(): within a tenth of the way to the nearest other known point, at least tol_unique,
/// where FixedPointFinder's own rule counts it as that point), and, for its own
/// Newton run, only when the run converged from the start (every step a full step that halved the
/// residual): a damped Newton run far from a point can end at any point. Such a run still makes a
/// new known point, and the candidate stays in Adam. Resolving the candidates that are merely near
/// a point (within Newton's reach of it, or with Adam's next step shorter than their distance to
/// it) sent candidates that Adam alone takes to a saddle to a neighbouring point instead: trained
/// flip-flop networks of every architecture lost 1 to 3 saddles for most draws of initial states
/// (NewtonRoundsKeepEveryPointThatAdamAloneFinds). The candidates Adam finishes (tol_q, tol_dq,
/// max_iters) are resolved at the end, every one by the chord test or a Newton run of its own, in
/// ascending q; those whose q stays above tol_q keep the lowest q Newton reached (in double
/// precision) and are slow points.
class Search {
 public:
  Search(const FixedPointOptions& options,
         StepEvaluator& evaluator,
         FloatStepEvaluator& adam_evaluator,
         MatrixXd& S,
         std::vector<Candidate>& candidates,
         FixedPointSummary& summary)
      : options_(options),
        evaluator_(evaluator),
        adam_evaluator_(adam_evaluator),
        S_(S),
        candidates_(candidates),
        summary_(summary),
        newton_(options.newton.enabled && options.newton.max_iters > 0),
        R_(S.rows(), newton_ ? S.cols() : 0),
        has_residual_(candidates.size(), 0),
        resolved_(candidates.size(), 0),
        tried_(candidates.size(), 0),
        nearest_(candidates.size()),
        last_test_(candidates.size(), {-1, std::numeric_limits<double>::infinity()}) {}

  void run() {
    const int K = static_cast<int>(candidates_.size());
    std::vector<int> all(K);
    std::iota(all.begin(), all.end(), 0);
    auto start = std::chrono::steady_clock::now();
    run_adam(all);
    summary_.seconds_adam += seconds_since(start) - seconds_rounds_;
    summary_.seconds_newton += seconds_rounds_;
    if (!newton_) return;
    start = std::chrono::steady_clock::now();
    std::vector<int> pending;
    for (int i = 0; i < K; ++i) {
      const FixedPointStop stop = candidates_[i].stop;
      if (stop != FixedPointStop::kNonFinite && stop != FixedPointStop::kNewton) {
        pending.push_back(i);
      }
    }
    std::fill(tried_.begin(), tried_.end(), 0);
    resolve(pending, /*in_adam=*/false);
    summary_.seconds_newton += seconds_since(start);
  }

 private:
  static constexpr double kChordContraction = 0.5;
  static constexpr int kChordMaxIters = 8;
  static constexpr int kBarrenTries = 3;
  static constexpr int kPolishSteps = 10;
  static constexpr double kSettledFraction = 0.1;

  struct KnownPoint {
    VectorXd state;                    // polished to the rounding level
    double q;                          // at state, double precision
    int owner;                         // the candidate that represents it, -1 while none has
    int n_newton_iters;                // accepted steps of the Newton run that found it
    Eigen::PartialPivLU<MatrixXd> lu;  // of J - I at the point
    bool usable;                       // rcond >= newton.min_rcond: the chord test can use it
  };

  /// Adam on q for `run` (columns of S_), in one batch; a finished candidate leaves the batch. A
  /// candidate stops at q <= tol_q, a stall (|dq| < tol_dq * lr), max_iters, or when a round
  /// resolves it (kNewton).
  void run_adam(std::vector<int> idx) {
    const Eigen::Index n = S_.rows();
    int Ka = static_cast<int>(idx.size());
    // The running candidates are kept compact in the first Ka columns (original column idx[j]).
    MatrixXd Sa(n, Ka), Ma = MatrixXd::Zero(n, Ka), Va = MatrixXd::Zero(n, Ka);
    for (int j = 0; j < Ka; ++j) Sa.col(j) = S_.col(idx[j]);
    VectorXd lr = VectorXd::Constant(Ka, options_.lr_initial), q_prev = VectorXd::Zero(Ka);
    Eigen::VectorXi n_decreases = Eigen::VectorXi::Zero(Ka);
    std::vector<char> done(Ka);
    std::vector<int> running;
    VectorXd q;
    MatrixXd grad, residual, step(n, Ka);
    const double b1 = options_.adam_beta1, b2 = options_.adam_beta2;
    double b1_t = 1.0, b2_t = 1.0;
    for (int k = 0; Ka > 0; ++k) {
      // With Newton, Adam only carries candidates towards the points, in single precision;
      // without, its result is the result, in double.
      if (newton_) {
        adam_evaluator_.evaluate(Sa.leftCols(Ka), q, grad, residual);
      } else {
        evaluator_.evaluate(Sa.leftCols(Ka), q, &grad);
      }
      b1_t *= b1;
      b2_t *= b2;
      double q_sum = 0.0;
      int n_finite = 0;
      for (int j = 0; j < Ka; ++j) {
        Candidate& c = candidates_[idx[j]];
        c.q = q[j];
        c.n_adam_iters = k;
        done[j] = 1;
        if (!std::isfinite(q[j]) || !grad.col(j).allFinite()) {
          c.stop = FixedPointStop::kNonFinite;
          continue;
        }
        q_sum += q[j];
        ++n_finite;
        if (q[j] <= options_.tol_q) {
          c.stop = FixedPointStop::kTolQ;
        } else if (k > 0 && std::abs(q[j] - q_prev[j]) < options_.tol_dq * lr[j]) {
          c.stop = FixedPointStop::kTolDq;
        } else if (k >= options_.max_iters) {
          c.stop = FixedPointStop::kMaxIters;
        } else {
          done[j] = 0;
        }
      }
      summary_.mean_q_history.push_back(n_finite > 0 ? q_sum / n_finite
                                                     : std::numeric_limits<double>::quiet_NaN());
      summary_.n_adam_iters = k;
      // The finished candidates, and in a round the running ones, go to S_ with their residuals
      // (which spare the chord test its first evaluation).
      const bool round = newton_ && k > 0 && k % options_.newton.round_iters == 0;
      running.clear();
      for (int j = 0; j < Ka; ++j) {
        if (!done[j] && !round) continue;
        S_.col(idx[j]) = Sa.col(j);
        if (newton_) {
          R_.col(idx[j]) = residual.col(j);
          has_residual_[idx[j]] = 1;
        }
        if (!done[j]) running.push_back(idx[j]);
      }
      for (int j = 0; j < Ka; ++j) {
        if (done[j]) continue;
        // Adaptive learning rate (FixedPointFinder): shrink when q went up, grow after a run of
        // decreases.
        if (k > 0) {
          if (q[j] > q_prev[j]) {
            lr[j] *= options_.lr_decrease_factor;
            n_decreases[j] = 0;
          } else if (++n_decreases[j] >= options_.lr_steps_per_increase) {
            lr[j] *= options_.lr_increase_factor;
            n_decreases[j] = 0;
          }
          lr[j] = std::clamp(lr[j], options_.lr_min, options_.lr_max);
        }
        q_prev[j] = q[j];
        auto m = Ma.col(j), v = Va.col(j);
        const auto g = grad.col(j);
        m = b1 * m + (1.0 - b1) * g;
        v = b2 * v + (1.0 - b2) * g.cwiseAbs2();
        step.col(j).array() = lr[j] * (m.array() / (1.0 - b1_t)) /
                              ((v.array() / (1.0 - b2_t)).sqrt() + options_.adam_epsilon);
      }
      // The round sees every running candidate at the state where q was just evaluated.
      if (round) {
        const auto start = std::chrono::steady_clock::now();
        resolve(running, /*in_adam=*/true);
        seconds_rounds_ += seconds_since(start);
        for (int j = 0; j < Ka; ++j) {
          if (!done[j] && resolved_[idx[j]]) done[j] = 1;  // S_ holds its resolved state
        }
      }
      for (int j = 0; j < Ka; ++j) {
        if (!done[j]) Sa.col(j) -= step.col(j);
      }
      // Compact the running candidates to the left.
      int kept = 0;
      for (int j = 0; j < Ka; ++j) {
        if (done[j]) continue;
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
  }

  /// One round over `pool` (unresolved candidates; states in S_): the chord test against the
  /// points known so far, then Newton tries in ascending q on the candidates not tried before.
  /// During Adam (in_adam) resolved candidates get stop kNewton, a failed try leaves the candidate
  /// as it was, and the tries end after kBarrenTries in a row without a new point. At the end every
  /// candidate is tried, and a failed try keeps the lowest q it reached.
  void resolve(std::vector<int> pool, bool in_adam) {
    std::stable_sort(pool.begin(), pool.end(),
                     [&](int a, int b) { return candidates_[a].q < candidates_[b].q; });
    in_adam_ = in_adam;
    for (const int i : pool) nearest_[i] = {-1, std::numeric_limits<double>::infinity()};
    for (std::size_t p = 0; p < known_.size(); ++p) update_nearest(p, pool);
    for (std::size_t p = 0; p < known_.size(); ++p) chord_test(p, pool);
    const double tol2 = options_.tol_unique * options_.tol_unique;
    int barren = 0;
    for (const int i : pool) {
      if (in_adam && barren >= kBarrenTries) break;
      if (resolved_[i] || tried_[i]) continue;
      tried_[i] = 1;
      ++barren;
      Candidate& c = candidates_[i];
      VectorXd s = S_.col(i);
      double q = c.q;
      bool local = true;
      const int n_steps = newton_refine(evaluator_, options_.newton, s, q, &adam_evaluator_,
                                        options_.tol_q, &local);
      if (!(q <= options_.tol_q)) {
        // At the end the candidate keeps Newton's best state and its q in double precision (Adam's
        // q may be single precision).
        if (!in_adam) {
          c.n_newton_iters += n_steps;
          set_state(i, s, q);
        }
        continue;
      }
      const auto same = std::find_if(known_.begin(), known_.end(), [&](const KnownPoint& p) {
        return (s - p.state).squaredNorm() <= tol2;
      });
      std::size_t p = same - known_.begin();
      const bool found = same == known_.end();
      if (found) {
        barren = 0;
        add_known_point(s, q, n_steps);
      }
      // During Adam, a run that left the region of quadratic convergence of the point it reached
      // says nothing about the point Adam would take the candidate to: the candidate stays in
      // Adam as it was (a new point it found is kept, to resolve the candidates that do come
      // near it). Without this, the candidates that Adam alone would bring to a point (for
      // instance the origin of the perfect flip-flop) can all be sent elsewhere.
      if (!in_adam || (local && settled(i, p))) {
        set_state(i, s, q);
        resolve_candidate(i, p);
      }
      if (found) {
        update_nearest(p, pool);
        chord_test(p, pool);
      }
    }
  }

  void set_state(int i, const Eigen::Ref<const VectorXd>& s, double q) {
    S_.col(i) = s;
    candidates_[i].q = q;
    has_residual_[i] = 0;
  }

  /// Marks candidate i resolved at known point p (its state is within tol_unique of the point).
  /// The first candidate resolved at a point represents it and takes its polished state and the
  /// Newton steps that found it; the others are its duplicates.
  void resolve_candidate(int i, std::size_t p) {
    KnownPoint& point = known_[p];
    resolved_[i] = 1;
    if (point.owner < 0) {
      point.owner = i;
      set_state(i, point.state, point.q);
      candidates_[i].n_newton_iters = point.n_newton_iters;
    }
    candidates_[i].joined = point.owner == i ? -1 : point.owner;
    if (in_adam_) candidates_[i].stop = FixedPointStop::kNewton;
  }

  /// Makes s (q <= tol_q) a known point, without a representative yet: factorises J - I there
  /// and, with that factorisation, polishes the point by chord steps while q falls (one
  /// evaluation each), to the rounding level.
  void add_known_point(const Eigen::Ref<const VectorXd>& s, double q, int n_newton_iters) {
    MatrixXd A;
    evaluator_.jacobian(s, A);
    A.diagonal().array() -= 1.0;
    KnownPoint p{s, q, -1, n_newton_iters, Eigen::PartialPivLU<MatrixXd>(A), false};
    p.usable = p.lu.rcond() >= options_.newton.min_rcond;
    if (p.usable) {
      VectorXd s_try, q_try(1);
      evaluator_.evaluate(p.state, q_try, nullptr);
      for (int k = 0; k < kPolishSteps && q_try[0] <= p.q; ++k) {
        p.q = q_try[0];
        s_try = p.state - p.lu.solve(evaluator_.residual().col(0));
        evaluator_.evaluate(s_try, q_try, nullptr);
        if (!(q_try[0] < p.q)) break;
        p.state = s_try;
      }
      p.q = std::min(p.q, q_try[0]);
    }
    known_.push_back(std::move(p));
  }

  /// Whether candidate i may leave Adam at known point p: always at the end; during Adam only once
  /// Adam has brought it within kSettledFraction of the distance from p to the nearest other known
  /// point (at least tol_unique, within which it is p's duplicate by FixedPointFinder's own rule;
  /// only tol_unique while p is the only point known). Which point a candidate ends at is Adam's to
  /// say, not Newton's: a candidate still on its way may pass near one point (at lr_initial = 1,
  /// past it) on its way to another, and resolving it early loses the points only such candidates
  /// reach (saddles, the flip-flop's origin). Deep inside a point's neighbourhood, a tenth of the
  /// way to the next point, Adam goes on to that point: trained_flip_flop_test finds every point
  /// Adam alone finds, and the rounds still spare Adam the slow end of its convergence.
  bool settled(int i, std::size_t p) const {
    if (!in_adam_) return true;
    double spacing = std::numeric_limits<double>::infinity();
    for (std::size_t o = 0; o < known_.size(); ++o) {
      if (o != p) spacing = std::min(spacing, (known_[o].state - known_[p].state).norm());
    }
    double radius = options_.tol_unique;
    if (std::isfinite(spacing)) radius = std::max(radius, kSettledFraction * spacing);
    return (S_.col(i) - known_[p].state).norm() <= radius;
  }

  /// Makes known point p the nearest known point of the unresolved candidates of `pool` it is
  /// nearer to than their present one.
  void update_nearest(std::size_t p, const std::vector<int>& pool) {
    const VectorXd& x = known_[p].state;
    for (const int i : pool) {
      if (resolved_[i]) continue;
      const double d = (S_.col(i) - x).squaredNorm();
      if (d < nearest_[i].second) nearest_[i] = {static_cast<int>(p), d};
    }
  }

  /// The chord iteration towards known point p for the unresolved candidates of `pool` whose
  /// nearest known point it is.
  void chord_test(std::size_t p, const std::vector<int>& pool) {
    const KnownPoint& point = known_[p];
    if (!point.usable) return;
    std::vector<int> batch;
    for (const int i : pool) {
      if (resolved_[i] || nearest_[i].first != static_cast<int>(p)) continue;
      if (!settled(i, p)) continue;
      // A candidate that failed against this point is tested again only once it is half as far.
      const auto& [last_point, last_d2] = last_test_[i];
      if (last_point == static_cast<int>(p) && nearest_[i].second > 0.25 * last_d2) continue;
      last_test_[i] = nearest_[i];
      batch.push_back(i);
    }
    int B = static_cast<int>(batch.size());
    if (B == 0) return;
    const Eigen::Index n = S_.rows();
    const VectorXd& x = point.state;
    MatrixXd Sb(n, B), D;
    for (int j = 0; j < B; ++j) Sb.col(j) = S_.col(batch[j]);
    VectorXd q(B), r_norm(B);
    const bool cached =
        std::all_of(batch.begin(), batch.end(), [&](int i) { return has_residual_[i] != 0; });
    if (cached) {
      MatrixXd R(n, B);
      for (int j = 0; j < B; ++j) {
        R.col(j) = R_.col(batch[j]);
        q[j] = candidates_[batch[j]].q;
      }
      D = point.lu.solve(R);
    }
    const double tol2 = options_.tol_unique * options_.tol_unique;
    for (int it = 0; B > 0; ++it) {
      if (it > 0 || !cached) {
        evaluator_.evaluate(Sb.leftCols(B), q, nullptr);
        D = point.lu.solve(evaluator_.residual());
      }
      int kept = 0;
      for (int j = 0; j < B; ++j) {
        const int i = batch[j];
        if (q[j] <= options_.tol_q && (Sb.col(j) - x).squaredNorm() <= tol2) {
          set_state(i, Sb.col(j), q[j]);
          resolve_candidate(i, p);
          continue;
        }
        // Quadratic convergence at the point: the first step must bring the candidate
        // kChordContraction times closer, each later step shrink its residual as much.
        const double norm = std::sqrt(2.0 * q[j]);
        const bool failed = !std::isfinite(norm) || it >= kChordMaxIters ||
                            (it == 0 && (Sb.col(j) - D.col(j) - x).norm() >
                                            kChordContraction * (Sb.col(j) - x).norm()) ||
                            (it > 0 && norm > kChordContraction * r_norm[j]);
        if (failed) continue;
        if (kept != j) batch[kept] = i;
        Sb.col(kept) = Sb.col(j) - D.col(j);
        r_norm[kept] = norm;
        ++kept;
      }
      B = kept;
    }
  }

  const FixedPointOptions& options_;
  StepEvaluator& evaluator_;
  FloatStepEvaluator& adam_evaluator_;  // Adam's evaluations when newton_ (see there)
  MatrixXd& S_;                         // [n_state, K], every candidate's latest state
  std::vector<Candidate>& candidates_;
  FixedPointSummary& summary_;
  const bool newton_;
  MatrixXd R_;  // F(s) - s at S_.col(i) where has_residual_[i]
  std::vector<char> has_residual_;
  std::vector<char> resolved_;                     // a known point, or joined one
  std::vector<char> tried_;                        // had a Newton try (reset for the last round)
  std::vector<std::pair<int, double>> nearest_;    // nearest known point, squared distance
  std::vector<std::pair<int, double>> last_test_;  // the last chord test: point, squared distance
  std::vector<KnownPoint> known_;
  bool in_adam_ = false;
  double seconds_rounds_ = 0.0;  // time in the rounds during Adam
};

}  // namespace

constexpr EnumName<FixedPointStop> kFixedPointStopNames[] = {
    {FixedPointStop::kTolQ, "tol_q"},
    {FixedPointStop::kTolDq, "tol_dq"},
    {FixedPointStop::kMaxIters, "max_iters"},
    {FixedPointStop::kNonFinite, "non_finite"},
    {FixedPointStop::kNewton, "newton"}};

std::string_view to_string(FixedPointStop stop) {
  return enum_to_string<FixedPointStop>(kFixedPointStopNames, stop);
}

namespace {

using NewtonField = OptionField<NewtonOptions>;
using N = NewtonOptions;
constexpr NewtonField kNewtonFields[] = {
    {"enabled", &N::enabled, Rule::none(), "refine with Newton; false: Adam alone, to its own end",
     kStored},
    {"max_iters", &N::max_iters, Rule::at_least(0).noting("0 disables Newton"),
     "Newton steps per try"},
    {"round_iters", &N::round_iters, Rule::at_least(1),
     "Adam iterations between the Newton rounds"},
    {"tol_q", &N::tol_q, Rule::at_least(0).and_finite(), "stop refining once q <= this"},
    {"max_backtracks", &N::max_backtracks, Rule::at_least(0),
     "halvings of a step before giving up on a candidate"},
    {"min_rcond", &N::min_rcond, Rule::in_closed_open(0, 1),
     "J - I is singular below this reciprocal condition estimate (then Levenberg-Marquardt)"},
    {"lm_damping", &N::lm_damping, Rule::greater_than(0).and_finite(),
     "Levenberg-Marquardt damping, mu = lm_damping * ||J - I||_F^2"},
};

using FixedPointField = OptionField<FixedPointOptions>;
using F = FixedPointOptions;
constexpr FixedPointField kFixedPointFields[] = {
    {"tol_q", &F::tol_q, Rule::at_least(0).and_finite(),
     "a point is fixed when q = |F(s) - s|^2 / 2 <= this, else slow"},
    {"tol_dq", &F::tol_dq, Rule::at_least(0).and_finite(),
     "stalled when |q_k - q_{k-1}| < this x the learning rate"},
    {"max_iters", &F::max_iters, Rule::at_least(0).noting("0 = Newton only"),
     "Adam iterations per initial state"},
    {"adam_beta1", &F::adam_beta1, Rule::in_closed_open(0, 1), "Adam's decay of the mean"},
    {"adam_beta2", &F::adam_beta2, Rule::in_closed_open(0, 1),
     "Adam's decay of the squared gradient"},
    {"adam_epsilon", &F::adam_epsilon, Rule::greater_than(0).and_finite(),
     "Adam's offset of the denominator"},
    {"lr_initial", &F::lr_initial, Rule::greater_than(0).and_finite(),
     "initial Adam learning rate (FixedPointFinder's 1.0 loses gated networks' fixed points)"},
    {"lr_min", &F::lr_min, Rule::greater_than(0).noting("and <= lr_initial"),
     "floor of the adaptive learning rate"},
    {"lr_max", &F::lr_max, Rule::number().and_finite().noting(">= lr_initial"),
     "ceiling of the adaptive learning rate"},
    {"lr_decrease_factor", &F::lr_decrease_factor,
     Rule::bounded(Rule::End::kOpen, 0, Rule::End::kOpen, 1),
     "the rate is multiplied by this whenever q increases"},
    {"lr_increase_factor", &F::lr_increase_factor, Rule::at_least(1).and_finite(),
     "... and by this after lr_steps_per_increase consecutive decreases of q"},
    {"lr_steps_per_increase", &F::lr_steps_per_increase, Rule::at_least(1),
     "consecutive decreases of q before the rate increases"},
    {"tol_unique", &F::tol_unique, Rule::at_least(0).and_finite(),
     "points closer than this are one (the lower q is kept)"},
    {"outlier_distance_scale", &F::outlier_distance_scale,
     Rule::at_least(0).and_finite().noting("0 disables outlier exclusion"),
     "points farther from the initial states' centroid than this x their mean distance to it are "
     "dropped"},
};

}  // namespace

const Schema<NewtonOptions>& NewtonOptions::schema() {
  static constexpr Schema<NewtonOptions> kSchema{kNewtonFields};
  return kSchema;
}

void NewtonOptions::validate() const { schema().validate(*this); }

const Schema<FixedPointOptions>& FixedPointOptions::schema() {
  static constexpr Schema<FixedPointOptions> kSchema{kFixedPointFields};
  return kSchema;
}

void FixedPointOptions::validate() const {
  schema().validate(*this);
  internal::validate_within("newton", newton);
  RNNATLAS_CHECK_FIELD(lr_min, lr_min <= lr_initial, "in (0, lr_initial]");
  RNNATLAS_CHECK_FIELD(lr_max, lr_max >= lr_initial, ">= lr_initial and finite");
}

void InitialStateOptions::validate() const {
  RNNATLAS_CHECK_FIELD(n_states, n_states >= 1, ">= 1");
  RNNATLAS_CHECK_FIELD(n_trials, n_trials >= 1, ">= 1");
  RNNATLAS_CHECK_FIELD(noise_scale, noise_scale >= 0 && std::isfinite(noise_scale),
                       ">= 0 and finite");
}

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
  MatrixXd S = initial_states;
  std::vector<Candidate> candidates(K);
  StepEvaluator evaluator(network, input);
  FloatStepEvaluator adam_evaluator(network, input);
  Search(options, evaluator, adam_evaluator, S, candidates, summary).run();

  // ---- Classification (each candidate by its own final q) -------------------------------------
  for (const Candidate& c : candidates) {
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

  // ---- De-duplication (greedy in ascending q: a point joins the first kept point within
  // tol_unique, else is kept), weighted by the candidates that joined each point in the Newton
  // stage; then outliers
  // ---------------------------------------------------------------------------
  std::vector<int> weight(K, 0);
  std::vector<int> order;
  for (int i = 0; i < K; ++i) {
    const Candidate& c = candidates[i];
    if (c.stop == FixedPointStop::kNonFinite) continue;
    if (c.joined >= 0) {
      ++weight[c.joined];
      ++summary.n_merged;
    } else {
      ++weight[i];
      order.push_back(i);
    }
  }
  std::stable_sort(order.begin(), order.end(),
                   [&](int a, int b) { return candidates[a].q < candidates[b].q; });
  const double tol2 = options.tol_unique * options.tol_unique;
  std::vector<int> unique, merged_into;
  for (const int i : order) {
    bool merged = false;
    for (std::size_t u = 0; u < unique.size(); ++u) {
      if ((S.col(i) - S.col(unique[u])).squaredNorm() <= tol2) {
        merged_into[u] += weight[i];
        summary.n_merged += weight[i];
        merged = true;
        break;
      }
    }
    if (!merged) {
      unique.push_back(i);
      merged_into.push_back(weight[i]);
    }
  }

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
