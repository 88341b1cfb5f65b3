// Dynamical similarity analysis.
#include "rnnatlas/similarity/dsa.h"

#include <Eigen/Eigenvalues>
#include <Eigen/LU>
#include <Eigen/QR>
#include <algorithm>
#include <cmath>
#include <deque>
#include <numeric>
#include <utility>
#include <vector>

#include "common/random.h"
#include "similarity/checks.h"
#include "similarity/dsa_internal.h"

namespace rnnatlas::similarity {
namespace {

using Eigen::Index;
using Eigen::MatrixXd;
using Eigen::VectorXd;

// Domain tag of the random starts' streams (see common/random.h).
constexpr std::uint64_t kStartDomain = 0x647361;  // "dsa"

// A start whose normalised residual ||A - C B C^T||_F falls below this has found the global
// minimum 0 to this precision; the remaining starts are skipped.
constexpr double kExactFit = 1e-8;

// L-BFGS: pairs kept, Armijo constant, step shrink factor and halvings before giving up.
constexpr int kMemory = 8;
constexpr double kArmijo = 1e-4;
constexpr double kShrink = 0.5;
constexpr int kMaxBacktracks = 50;

// Eigenvectors of the symmetric m, by ascending eigenvalue.
MatrixXd sorted_eigenvectors(const MatrixXd& m) {
  return Eigen::SelfAdjointEigenSolver<MatrixXd>(m).eigenvectors();
}

// A canonical basis of the skew-symmetric part S = (M - M^T)/2: columns u_1, v_1, u_2, v_2, ...
// with S u_i = w_i v_i, w_1 >= w_2 >= ... (real Schur form of S, blocks [[0, -w], [w, 0]]), then
// the null space. From the eigenvectors of S^T S = -S^2, whose eigenvalues w^2 come in pairs.
MatrixXd skew_canonical_basis(const MatrixXd& m) {
  const Index n = m.rows();
  const MatrixXd s = 0.5 * (m - m.transpose());
  const Eigen::SelfAdjointEigenSolver<MatrixXd> eig(s.transpose() * s);  // ascending
  const double floor = 1e-12 * std::max(eig.eigenvalues()(n - 1), 1e-300);
  MatrixXd basis(n, n);
  Index filled = 0;
  const auto add = [&](VectorXd v) {  // Gram-Schmidt against the columns so far
    for (int pass = 0; pass < 2; ++pass)
      v -= basis.leftCols(filled) * (basis.leftCols(filled).transpose() * v);
    const double norm = v.norm();
    if (norm < 0.5 || filled == n) return false;
    basis.col(filled++) = v / norm;
    return true;
  };
  for (Index k = n; k-- > 0 && filled < n;) {
    if (!add(eig.eigenvectors().col(k))) continue;
    if (eig.eigenvalues()(k) > floor) add(s * basis.col(filled - 1));
  }
  // Rounding may leave the basis slightly non-orthogonal: its Q factor, columns signed alike.
  const Eigen::HouseholderQR<MatrixXd> qr(basis);
  MatrixXd q = qr.householderQ();
  for (Index j = 0; j < n; ++j)
    if (qr.matrixQR()(j, j) < 0.0) q.col(j) = -q.col(j);
  return q;
}

// C_0 = P_a D P_b^T with greedy signs D (see DsaAlignmentOptions).
MatrixXd matched_start(const MatrixXd& a,
                       const MatrixXd& b,
                       const MatrixXd& pa,
                       const MatrixXd& pb) {
  const VectorXd d = internal::greedy_signs(pa.transpose() * a * pa, pb.transpose() * b * pb);
  return pa * d.asDiagonal() * pb.transpose();
}

// A Haar-distributed orthogonal matrix: Q of the QR of a Gaussian matrix, with the signs of R's
// diagonal moved into Q (Mezzadri 2007).
MatrixXd random_orthogonal(Index n, ::rnnatlas::internal::Rng& rng) {
  MatrixXd g(n, n);
  for (Index j = 0; j < n; ++j)
    for (Index i = 0; i < n; ++i) g(i, j) = rng.normal();
  const Eigen::HouseholderQR<MatrixXd> qr(g);
  MatrixXd q = qr.householderQ();
  for (Index j = 0; j < n; ++j)
    if (qr.matrixQR()(j, j) < 0.0) q.col(j) = -q.col(j);
  return q;
}

// The nearest orthogonal matrix (polar factor) of a matrix within rounding of orthogonal, which
// the Cayley steps leave: two Newton-Schulz steps C <- C (3 I - C^T C) / 2, each squaring the
// error ||C^T C - I||. Much cheaper than an SVD for small matrices.
MatrixXd nearest_orthogonal(MatrixXd c) {
  for (int step = 0; step < 2; ++step) {
    MatrixXd correction = -0.5 * (c.transpose() * c);
    correction.diagonal().array() += 1.5;
    c = c * correction;
  }
  return c;
}

// Canonical order of a pair, so that d(A, B) and d(B, A) run the same computation.
bool precedes(const MatrixXd& a, const MatrixXd& b) {
  const double na = a.squaredNorm(), nb = b.squaredNorm();
  if (na != nb) return na < nb;
  for (Index i = 0; i < a.size(); ++i)
    if (a.data()[i] != b.data()[i]) return a.data()[i] < b.data()[i];
  return false;
}

// [n, n] with m in its top-left corner and zeros elsewhere.
MatrixXd zero_padded(const Eigen::Ref<const MatrixXd>& m, Index n) {
  MatrixXd padded = MatrixXd::Zero(n, n);
  padded.topLeftCorner(m.rows(), m.cols()) = m;
  return padded;
}

void check_operator(const Eigen::Ref<const MatrixXd>& m, const char* name) {
  RNNATLAS_CHECK_ARG(m.rows() >= 1 && m.rows() == m.cols(),
                     "operator_distance: " << name << internal::shape_of(m)
                                           << " must be a non-empty square matrix [n, n]");
  internal::check_finite(m, "operator_distance", name);
}

// True when the run has found C B C^T = A (unit norms) to within kExactFit: the global optimum.
bool exact_fit(const MatrixXd& a, const MatrixXd& b, const internal::AlignmentRun& run) {
  return run.value >= 1.0 - kExactFit && (a - run.c * b * run.c.transpose()).norm() <= kExactFit;
}

// Aligns b to a (both [n, n]) and fills the result; a precedes b or equals it.
DsaResult align_ordered(const DsaOptions& options, const MatrixXd& a, const MatrixXd& b) {
  const Index n = a.rows();
  DsaResult result;
  const double norm_a = a.norm(), norm_b = b.norm();
  if (norm_a == 0.0 || norm_b == 0.0) {
    // A zero operator is at the same distance from every rotation of the other.
    result.alignment = MatrixXd::Identity(n, n);
    result.euclidean = std::max(norm_a, norm_b);
    result.angular = norm_a == norm_b ? 0.0 : 0.5 * M_PI;
    result.converged = true;
  } else {
    const MatrixXd unit_a = a / norm_a, unit_b = b / norm_b;
    const DsaAlignmentOptions& o = options.alignment;
    const std::vector<MatrixXd> starts = internal::alignment_starts(unit_a, unit_b, o);
    // Screening: every start runs a few iterations; only the n_refined best go on.
    DsaAlignmentOptions screening = o;
    screening.max_iterations = std::min(o.n_screening_iterations, o.max_iterations);
    std::vector<internal::AlignmentRun> runs;
    for (const MatrixXd& start : starts) {
      runs.push_back(internal::maximise_alignment(unit_a, unit_b, start, screening));
      result.n_iterations += runs.back().n_iterations;
      if (exact_fit(unit_a, unit_b, runs.back())) break;
    }
    result.n_starts = static_cast<int>(runs.size());
    std::vector<int> order(runs.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](int i, int j) { return runs[i].value > runs[j].value; });
    DsaAlignmentOptions refining = o;
    refining.max_iterations = o.max_iterations - screening.max_iterations;
    for (int rank = 0; rank < std::min<int>(o.n_refined, static_cast<int>(runs.size())); ++rank) {
      internal::AlignmentRun& run = runs[order[rank]];
      if (run.converged || refining.max_iterations == 0 || exact_fit(unit_a, unit_b, run)) continue;
      const int screened = run.n_iterations;
      run = internal::maximise_alignment(unit_a, unit_b, run.c, refining);
      result.n_iterations += run.n_iterations;
      run.n_iterations += screened;
    }
    result.best_start = 0;
    for (int k = 1; k < static_cast<int>(runs.size()); ++k)
      if (runs[k].value > runs[result.best_start].value) result.best_start = k;
    internal::AlignmentRun& best = runs[result.best_start];
    const double best_chord = (unit_a - best.c * unit_b * best.c.transpose()).norm();
    result.alignment = std::move(best.c);
    result.gradient_norm = best.gradient_norm;
    result.converged = best.converged || best_chord <= kExactFit;
    // ||A^ - C B^ C^T||_F = 2 sin(theta / 2) for unit-norm A^, B^: full precision near theta = 0,
    // where arccos of the inner product would lose half the digits.
    result.angular = 2.0 * std::asin(std::min(1.0, 0.5 * best_chord));
    result.euclidean = (a - result.alignment * b * result.alignment.transpose()).norm();
  }
  result.distance = options.distance == ShapeDistance::kAngular ? result.angular : result.euclidean;
  return result;
}

DsaResult compare_operators(const DsaOptions& options, const MatrixXd& a, const MatrixXd& b) {
  const Index n = std::max(a.rows(), b.rows());
  const MatrixXd pa = a.rows() == n ? a : zero_padded(a, n);
  const MatrixXd pb = b.rows() == n ? b : zero_padded(b, n);
  if (!precedes(pb, pa)) return align_ordered(options, pa, pb);
  DsaResult result = align_ordered(options, pb, pa);
  result.alignment.transposeInPlace();  // C B C^T ~ A  <=>  C^T A C ~ B
  return result;
}

}  // namespace

// ---- the alignment (internal) ----------------------------------------------------------------

double internal::alignment_value(const MatrixXd& a, const MatrixXd& b, const MatrixXd& c) {
  return a.cwiseProduct(c * b * c.transpose()).sum();
}

MatrixXd internal::alignment_gradient(const MatrixXd& a, const MatrixXd& m) {
  const MatrixXd amt = a * m.transpose();
  const MatrixXd mta = m.transpose() * a;
  return 0.5 * ((amt - mta) - (amt - mta).transpose());
}

MatrixXd internal::cayley(const MatrixXd& k, double t) {
  // (I - X)^-1 (I + X) = 2 (I - X)^-1 - I with X = t/2 K.
  const Index n = k.rows();
  MatrixXd r = 2.0 * (MatrixXd::Identity(n, n) - (0.5 * t) * k).partialPivLu().inverse();
  r.diagonal().array() -= 1.0;
  return r;
}

VectorXd internal::greedy_signs(const MatrixXd& a, const MatrixXd& b) {
  const Index n = a.rows();
  // h(d) = const + d^T W d / 2 with W = (a o b) + (a o b)^T off the diagonal. Start from the
  // spectral relaxation, the signs of W's leading eigenvector (for b = D a D, W = D |W| D and this
  // recovers D), and from d = 1; improve each by single flips, which change h by
  // -2 d_k sum_{j != k} w_kj d_j; keep the better.
  const MatrixXd ab = a.cwiseProduct(b);
  MatrixXd w = ab + ab.transpose();
  w.diagonal().setZero();
  const double floor = 1e-14 * w.cwiseAbs().sum();
  const auto improve = [&](VectorXd d) {
    for (bool flipped = true; flipped;) {  // h grows by more than `floor` per flip: terminates
      flipped = false;
      for (Index k = 0; k < n; ++k) {
        if (d(k) * w.row(k).dot(d) < -floor) {
          d(k) = -d(k);
          flipped = true;
        }
      }
    }
    return d;
  };
  const VectorXd leading = Eigen::SelfAdjointEigenSolver<MatrixXd>(w).eigenvectors().col(n - 1);
  const VectorXd spectral =
      improve(leading.unaryExpr([](double v) { return v < 0.0 ? -1.0 : 1.0; }));
  const VectorXd ones = improve(VectorXd::Ones(n));
  return spectral.dot(w * spectral) > ones.dot(w * ones) ? spectral : ones;
}

std::vector<MatrixXd> internal::alignment_starts(const MatrixXd& a,
                                                 const MatrixXd& b,
                                                 const DsaAlignmentOptions& options) {
  const Index n = a.rows();
  const MatrixXd identity = MatrixXd::Identity(n, n);
  std::vector<MatrixXd> starts;
  starts.push_back(matched_start(a, b, identity, identity));
  starts.push_back(matched_start(a, b, sorted_eigenvectors(0.5 * (a + a.transpose())),
                                 sorted_eigenvectors(0.5 * (b + b.transpose()))));
  starts.push_back(matched_start(a, b, skew_canonical_basis(a), skew_canonical_basis(b)));
  starts.push_back(matched_start(a, b, sorted_eigenvectors(a.transpose() * a),
                                 sorted_eigenvectors(b.transpose() * b)));
  for (int k = 0; k < options.n_random_starts; ++k) {
    ::rnnatlas::internal::Rng rng(::rnnatlas::internal::derive_seed(
        options.seed, static_cast<std::uint64_t>(k), kStartDomain));
    starts.push_back(random_orthogonal(n, rng));
  }
  return starts;
}

internal::AlignmentRun internal::maximise_alignment(const MatrixXd& a,
                                                    const MatrixXd& b,
                                                    const MatrixXd& c0,
                                                    const DsaAlignmentOptions& options) {
  // L-BFGS on O(n), trivialised: the iterate is C, moved by left rotations C <- R C, R =
  // cayley(K, t), and tangent vectors are skew matrices K (the direction K C). The gradient there
  // is Omega = skew(A M^T - M^T A), M = C B C^T, and the L-BFGS pairs (step, change of gradient)
  // are kept as skew matrices (identity transport). Working with M makes an iteration cost about
  // six n x n products: R (one LU inverse), M <- R M R^T, the gradient, and C <- R C.
  AlignmentRun run;
  MatrixXd c = c0;
  MatrixXd m = c * b * c.transpose();
  double value = a.cwiseProduct(m).sum();
  MatrixXd omega = alignment_gradient(a, m);
  std::deque<MatrixXd> steps, changes;  // s_i, y_i (for the minimisation of -g)
  std::deque<double> curvatures;        // 1 / <s_i, y_i>
  for (;;) {
    if (omega.norm() <= options.tolerance) {
      run.converged = true;
      break;
    }
    if (run.n_iterations >= options.max_iterations) break;
    ++run.n_iterations;

    // Two-loop recursion: direction = H omega, H the inverse-Hessian estimate of -g.
    MatrixXd direction = omega;
    std::vector<double> alpha(steps.size());
    for (std::size_t i = steps.size(); i-- > 0;) {
      alpha[i] = curvatures[i] * steps[i].cwiseProduct(direction).sum();
      direction -= alpha[i] * changes[i];
    }
    if (!steps.empty())
      direction *= steps.back().cwiseProduct(changes.back()).sum() / changes.back().squaredNorm();
    for (std::size_t i = 0; i < steps.size(); ++i) {
      const double beta = curvatures[i] * changes[i].cwiseProduct(direction).sum();
      direction += (alpha[i] - beta) * steps[i];
    }
    double slope = omega.cwiseProduct(direction).sum();
    if (!(slope > 0.0)) {  // not an ascent direction: restart from the gradient
      steps.clear();
      changes.clear();
      curvatures.clear();
      direction = omega;
      slope = omega.squaredNorm();
    }

    // Backtracking (Armijo) along R(t) = cayley(direction, t); the first trial is t = 1.
    double t = 1.0;
    MatrixXd rotation, next_m;
    double next_value = value;
    bool accepted = false;
    for (int k = 0; k <= kMaxBacktracks; ++k, t *= kShrink) {
      rotation = cayley(direction, t);
      next_m = rotation * m * rotation.transpose();
      next_value = a.cwiseProduct(next_m).sum();
      if (next_value >= value + kArmijo * t * slope) {
        accepted = true;
        break;
      }
    }
    if (!accepted) break;  // no ascent left within rounding

    const MatrixXd next_omega = alignment_gradient(a, next_m);
    MatrixXd step = t * direction;
    MatrixXd change = omega - next_omega;  // change of the gradient of -g
    const double sy = step.cwiseProduct(change).sum();
    if (sy > 1e-14 * step.norm() * change.norm()) {  // keep the estimate positive definite
      if (steps.size() == static_cast<std::size_t>(kMemory)) {
        steps.pop_front();
        changes.pop_front();
        curvatures.pop_front();
      }
      steps.push_back(std::move(step));
      changes.push_back(std::move(change));
      curvatures.push_back(1.0 / sy);
    }
    c = rotation * c;
    m = std::move(next_m);
    value = next_value;
    omega = next_omega;
  }
  run.c = nearest_orthogonal(c);
  const MatrixXd final_m = run.c * b * run.c.transpose();
  run.value = a.cwiseProduct(final_m).sum();
  run.gradient_norm = alignment_gradient(a, final_m).norm();
  return run;
}

// ---- options ---------------------------------------------------------------------------------

namespace {

using Alignment = DsaAlignmentOptions;
constexpr OptionField<Alignment> kAlignmentFields[] = {
    {"n_random_starts", &Alignment::n_random_starts, Rule::at_least(0),
     "random orthogonal starts besides the identity"},
    {"n_screening_iterations", &Alignment::n_screening_iterations, Rule::at_least(1),
     "iterations each start gets before the best are refined"},
    {"n_refined", &Alignment::n_refined, Rule::at_least(1), "starts refined to convergence"},
    {"max_iterations", &Alignment::max_iterations, Rule::at_least(1),
     "iterations of a refined start"},
    {"tolerance", &Alignment::tolerance,
     Rule::bounded(Rule::End::kOpen, 0, Rule::End::kOpen, 1)
         .noting("norm of the Riemannian gradient for unit-norm operators"),
     "a start has converged when the gradient's norm is below this"},
    {"seed", &Alignment::seed, Rule::none(), "stream of the random starts"},
};

constexpr OptionField<DsaOptions> kDsaFields[] = {
    {"n_steps", &DsaOptions::n_steps, Rule::at_least(0).noting("0 = unset"),
     "kept steps per trial (the activity's rows are n_trials x n_steps)"},
    {"n_delays", &DsaOptions::n_delays, Rule::at_least(1).noting("1 = no delay embedding"),
     "delay vectors per embedded sample"},
    {"delay_interval", &DsaOptions::delay_interval, Rule::at_least(1), "steps between delays"},
    {"rank", &DsaOptions::rank, Rule::at_least(1), "principal coordinates of the operator"},
    {"rank_tolerance", &DsaOptions::rank_tolerance,
     Rule::in_closed_open(1e-7, 1).noting("directions come from Z^T Z, which resolves ~sqrt(eps)"),
     "singular values below this x the largest count as zero"},
};

}  // namespace

const Schema<DsaAlignmentOptions>& DsaAlignmentOptions::schema() {
  static constexpr Schema<DsaAlignmentOptions> kSchema{kAlignmentFields};
  return kSchema;
}

void DsaAlignmentOptions::validate() const { schema().validate(*this); }

const Schema<DsaOptions>& DsaOptions::schema() {
  static constexpr Schema<DsaOptions> kSchema{kDsaFields};
  return kSchema;
}

void DsaOptions::validate() const {
  schema().validate(*this);
  rnnatlas::internal::validate_within("alignment", alignment);
}

void DsaOptions::check_activity_shape(int n_samples, int n_units) const {
  RNNATLAS_CHECK_ARG(
      n_steps >= 1,
      "n_steps = " << n_steps
                   << ": unset; set it to the kept time steps per trial (the activity's "
                      "rows are n_trials x n_steps), so "
                      "that the delay embedding does not join trials");
  RNNATLAS_CHECK_ARG(n_samples % n_steps == 0,
                     "n_steps = " << n_steps << " does not divide the " << n_samples
                                  << " samples (rows); the rows must be n_trials x "
                                     "n_steps");
  const long long window = static_cast<long long>(n_delays - 1) * delay_interval;
  RNNATLAS_CHECK_ARG(n_steps - window >= 2,
                     "n_steps = " << n_steps << " leaves " << n_steps - window
                                  << " embedded step(s) per trial with n_delays = " << n_delays
                                  << " and delay_interval = " << delay_interval << " (window "
                                  << window
                                  << "); need n_steps >= window + 2: use fewer or "
                                     "shorter delays");
  const long long n_trials = n_samples / n_steps;
  const long long n_pairs = (n_steps - window - 1) * n_trials;
  RNNATLAS_CHECK_ARG(n_pairs >= rank + 2,
                     "rank = " << rank << ": the activity has only " << n_pairs
                               << " one-step pairs (" << n_trials << " trials x "
                               << n_steps - window - 1
                               << "), fewer than rank + 2 for the affine fit; use "
                                  "a lower rank or more trials");
  RNNATLAS_CHECK_ARG(static_cast<long long>(rank) <= static_cast<long long>(n_delays) * n_units,
                     "rank = " << rank << " exceeds the " << n_delays << " x " << n_units
                               << " dimensions of the delay embedding; "
                                  "must be <= "
                               << static_cast<long long>(n_delays) * n_units);
}

// ---- fitting ---------------------------------------------------------------------------------

MatrixXd PreparedDsa::embedding_dynamics() const {
  return directions * singular_values.asDiagonal() * dynamics *
         singular_values.cwiseInverse().asDiagonal() * directions.transpose();
}

PreparedDsa prepare_dsa(const DsaOptions& options, const Eigen::Ref<const MatrixXd>& x) {
  options.validate();
  internal::check_activity(x, "dsa", "X", 2);
  options.check_activity_shape(static_cast<int>(x.rows()), static_cast<int>(x.cols()));
  const Index p = x.cols();
  const Index n_trials = x.rows() / options.n_steps;
  const Index d = options.n_delays, tau = options.delay_interval;
  const Index window = (d - 1) * tau;
  const Index m = (options.n_steps - window) * n_trials;  // embedded samples
  const Index dp = d * p;

  // Rows are time-major (s * n_trials + b), so the lag-k part of the delay vectors of steps
  // [window, n_steps) of every trial is one contiguous block of rows: Z = [block(0), ...,
  // block(d - 1)] is never formed. Centring X first keeps Z^T Z - m mu mu^T accurate.
  const MatrixXd xc = internal::centre_columns(x);
  const auto block = [&](Index k) { return xc.middleRows((window - k * tau) * n_trials, m); };
  VectorXd mean(dp);
  for (Index k = 0; k < d; ++k) mean.segment(k * p, p) = block(k).colwise().mean().transpose();
  MatrixXd gram(dp, dp);  // lower triangle of Z_c^T Z_c
  for (Index k = 0; k < d; ++k) {
    MatrixXd diagonal = MatrixXd::Zero(p, p);
    diagonal.selfadjointView<Eigen::Lower>().rankUpdate(block(k).transpose());
    gram.block(k * p, k * p, p, p) = diagonal;
    for (Index l = 0; l < k; ++l)
      gram.block(k * p, l * p, p, p).noalias() = block(k).transpose() * block(l);
  }
  for (Index k = 0; k < d; ++k)
    for (Index l = 0; l <= k; ++l)
      gram.block(k * p, l * p, p, p) -=
          static_cast<double>(m) * mean.segment(k * p, p) * mean.segment(l * p, p).transpose();

  const Eigen::SelfAdjointEigenSolver<MatrixXd> eig(gram);  // reads the lower triangle; ascending
  const VectorXd s = eig.eigenvalues().reverse().cwiseMax(0.0).cwiseSqrt();
  RNNATLAS_CHECK_ARG(s(0) > 0.0, "dsa: X" << internal::shape_of(x)
                                          << " is constant in every column (numerical rank 0)");
  Index numerical_rank = 0;
  while (numerical_rank < s.size() && s(numerical_rank) > options.rank_tolerance * s(0))
    ++numerical_rank;
  const Index r = options.rank;
  RNNATLAS_CHECK_ARG(r <= numerical_rank,
                     "rank = " << r << " exceeds the numerical rank " << numerical_rank
                               << " of the delay embedding of X" << internal::shape_of(x)
                               << " (n_delays = " << d << "); must be <= " << numerical_rank);

  PreparedDsa prepared;
  prepared.n_samples = static_cast<int>(x.rows());
  prepared.n_units = static_cast<int>(p);
  prepared.n_steps = options.n_steps;
  prepared.n_delays = options.n_delays;
  prepared.delay_interval = options.delay_interval;
  prepared.directions = eig.eigenvectors().rightCols(r).rowwise().reverse();
  prepared.singular_values = s.head(r);

  // Whitened principal coordinates U_r = Z_c W_r S_r^-1 [m, r].
  MatrixXd u = MatrixXd::Zero(m, r);
  for (Index k = 0; k < d; ++k) u.noalias() += block(k) * prepared.directions.middleRows(k * p, p);
  u.rowwise() -= mean.transpose() * prepared.directions;
  u *= prepared.singular_values.cwiseInverse().asDiagonal();

  // The successor of row i (same trial, next step) is row i + n_trials. The affine least-squares
  // fit u+ = A u- + c is the plain fit of the centred pairs.
  const Index n_pairs = m - n_trials;
  const MatrixXd current = u.topRows(n_pairs).rowwise() - u.topRows(n_pairs).colwise().mean();
  const MatrixXd next = u.bottomRows(n_pairs).rowwise() - u.bottomRows(n_pairs).colwise().mean();
  const MatrixXd coefficients = current.colPivHouseholderQr().solve(next);  // next ~ current M
  prepared.dynamics = coefficients.transpose();
  const double next_norm = next.norm();
  prepared.fit_residual =
      next_norm > 0.0 ? (next - current * coefficients).norm() / next_norm : 0.0;
  return prepared;
}

// ---- comparison ------------------------------------------------------------------------------

DsaResult operator_distance(const DsaOptions& options,
                            const Eigen::Ref<const MatrixXd>& a,
                            const Eigen::Ref<const MatrixXd>& b) {
  options.alignment.validate();
  check_operator(a, "A");
  check_operator(b, "B");
  return compare_operators(options, a, b);
}

DsaResult dsa(const DsaOptions& options, const PreparedDsa& x, const PreparedDsa& y) {
  options.alignment.validate();
  return compare_operators(options, x.dynamics, y.dynamics);
}

DsaResult dsa(const DsaOptions& options,
              const Eigen::Ref<const MatrixXd>& x,
              const Eigen::Ref<const MatrixXd>& y) {
  return dsa(options, prepare_dsa(options, x), prepare_dsa(options, y));
}

}  // namespace rnnatlas::similarity
