#include "rnnatlas/dynamics/limit_cycles.h"

#include <Eigen/Cholesky>
#include <Eigen/Eigenvalues>
#include <Eigen/LU>
#include <Eigen/QR>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numbers>
#include <numeric>
#include <sstream>

#include "common/parallel.h"
#include "rnnatlas/enum_names.h"
#include "rnnatlas/error.h"

namespace rnnatlas {
namespace {

using Eigen::MatrixXd;
using Eigen::VectorXd;

constexpr double kPi = std::numbers::pi;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
/// Steps per forward() call when simulating: bounds the cell's cache, not the result.
constexpr int kChunk = 256;

void check_input(const Network& network, const Eigen::Ref<const VectorXd>& input) {
  RNNATLAS_CHECK_ARG(input.size() == network.architecture().n_input,
                     "input has size " << input.size() << ", the network takes n_input = "
                                       << network.architecture().n_input);
  RNNATLAS_CHECK_ARG(input.allFinite(), "input has non-finite values");
}

void check_state(const Network& network, const Eigen::Ref<const VectorXd>& state) {
  RNNATLAS_CHECK_ARG(state.size() == network.architecture().n_state(),
                     "state has size " << state.size() << ", expected n_state = "
                                       << network.architecture().n_state());
  RNNATLAS_CHECK_ARG(state.allFinite(), "state has non-finite values");
}

/// x wrapped into (-pi, pi].
double wrap_angle(double x) {
  x = std::remainder(x, 2.0 * kPi);  // in [-pi, pi]
  return x <= -kPi ? x + 2.0 * kPi : x;
}

/// The autonomous map s -> F(s, u) of one network at one input, with its exact Jacobians. Owns
/// its buffers: one instance per thread.
class MapEvaluator {
 public:
  MapEvaluator(const Network& network, const Eigen::Ref<const VectorXd>& input)
      : cell_(network.cell()), theta_(network.parameters().data()), input_(input) {}

  struct Run {
    int n_steps = 0;        ///< steps taken (the last one is the offending state if diverged)
    bool diverged = false;  ///< a state was not finite or its norm exceeded the limit
  };

  /// Advances s by up to n_steps steps, stopping at the first state that is not finite or whose
  /// norm exceeds `limit`; s ends as the last state computed. When `window` is non-null its column
  /// t receives the state after step t + 1.
  Run simulate(VectorXd& s, int n_steps, double limit, MatrixXd* window) {
    Run run;
    while (run.n_steps < n_steps && !run.diverged) {
      const int chunk = std::min(kChunk, n_steps - run.n_steps);
      if (X_.cols() < chunk) X_ = input_.replicate(1, kChunk);
      cell_.forward(theta_, X_.leftCols(chunk), s, chunk, cache_);
      int t = 0;
      for (; t < chunk; ++t) {
        const auto state = cache_.states.col(t + 1);
        const double norm = state.norm();
        if (window) window->col(run.n_steps + t) = state;
        if (!(norm <= limit)) {  // also catches NaN
          run.diverged = true;
          ++t;
          break;
        }
      }
      s = cache_.states.col(t);
      run.n_steps += t;
    }
    return run;
  }

  /// F(s).
  VectorXd step(const VectorXd& s) {
    cell_.forward(theta_, input_, s, 1, cache_);
    return cache_.states.col(1);
  }

  /// F^n(s), and the Jacobian of the n-step map when `jacobian` is non-null.
  VectorXd iterate(VectorXd s, int n_steps, MatrixXd* jacobian) {
    if (jacobian) jacobian->setIdentity(s.size(), s.size());
    MatrixXd J;
    for (int t = 0; t < n_steps; ++t) {
      if (jacobian) {
        cell_.jacobians(theta_, s, input_, J, nullptr);
        *jacobian = J * *jacobian;
      }
      s = step(s);
    }
    return s;
  }

  /// J(s)^T Q for Q [n_state, k]: one batched reverse-mode step seeded with Q.
  void adjoint(const Eigen::Ref<const VectorXd>& s, const MatrixXd& Q, MatrixXd& out) {
    const Eigen::Index k = Q.cols();
    if (Xk_.cols() != k) Xk_ = input_.replicate(1, k);
    cell_.forward(theta_, Xk_, s.replicate(1, k), 1, cache_);
    cell_.backward(theta_, Xk_, cache_, nullptr, &Q, nullptr, &out, nullptr);
  }

 private:
  const Cell<double>& cell_;
  const double* theta_;
  VectorXd input_;
  MatrixXd X_, Xk_;
  SequenceCache<double> cache_;
};

/// The n_exponents leading Lyapunov exponents along the consecutive states of `window`
/// [n_state, N]: QR on J(x_{N-1})^T, ..., J(x_0)^T (see the header), NaN when a product is not
/// finite.
VectorXd window_lyapunov(MapEvaluator& evaluator,
                         const Eigen::Ref<const MatrixXd>& window,
                         int n_exponents) {
  const Eigen::Index n = window.rows(), N = window.cols();
  MatrixXd Q = MatrixXd::Identity(n, n_exponents), Z;
  VectorXd sum = VectorXd::Zero(n_exponents);
  for (Eigen::Index t = N - 1; t >= 0; --t) {
    evaluator.adjoint(window.col(t), Q, Z);
    if (!Z.allFinite()) return VectorXd::Constant(n_exponents, kNaN);
    const Eigen::HouseholderQR<MatrixXd> qr(Z);
    Q = qr.householderQ() * MatrixXd::Identity(n, n_exponents);
    sum.array() += qr.matrixQR().diagonal().head(n_exponents).array().abs().log();
  }
  // The diagonal of R need not come out ordered at finite N; the exponents are sorted.
  std::sort(sum.data(), sum.data() + sum.size(), std::greater<>());
  return sum / static_cast<double>(N);
}

/// The weights w(x) = exp(-1 / (x (1 - x))), x = (t + 1) / (m + 1), t = 0 .. m - 1, of a weighted
/// Birkhoff average of m values, normalised to sum 1.
VectorXd birkhoff_weights(Eigen::Index m) {
  VectorXd w(m);
  for (Eigen::Index t = 0; t < m; ++t) {
    const double x = static_cast<double>(t + 1) / static_cast<double>(m + 1);
    w[t] = std::exp(-1.0 / (x * (1.0 - x)));
  }
  return w / w.sum();
}

/// Weighted Birkhoff average of values[begin, end).
double weighted_birkhoff(const VectorXd& values, Eigen::Index begin, Eigen::Index end) {
  if (end <= begin) return kNaN;
  return birkhoff_weights(end - begin).dot(values.segment(begin, end - begin));
}

/// Mean and the leading principal directions ([n, n_directions], by variance descending) of the
/// columns of `points`, with their variances.
struct Plane {
  VectorXd center;
  MatrixXd directions;
  VectorXd variances;
};

Plane principal_plane(const Eigen::Ref<const MatrixXd>& points, int n_directions) {
  Plane plane;
  plane.center = points.rowwise().mean();
  const MatrixXd centered = points.colwise() - plane.center;
  const MatrixXd covariance = centered * centered.transpose() / static_cast<double>(points.cols());
  const Eigen::SelfAdjointEigenSolver<MatrixXd> solver(covariance);  // ascending
  const Eigen::Index n = points.rows();
  const int m = static_cast<int>(std::min<Eigen::Index>(n_directions, n));
  plane.directions = solver.eigenvectors().rightCols(m).rowwise().reverse();
  plane.variances = solver.eigenvalues().tail(m).reverse();
  return plane;
}

/// The angle of each point around `center` in the plane of the first two columns of `directions`.
VectorXd plane_angles(const Eigen::Ref<const MatrixXd>& points,
                      const VectorXd& center,
                      const MatrixXd& directions) {
  const MatrixXd projected = directions.leftCols(2).transpose() * (points.colwise() - center);
  VectorXd angles(points.cols());
  for (Eigen::Index t = 0; t < points.cols(); ++t) {
    angles[t] = std::atan2(projected(1, t), projected(0, t));
  }
  return angles;
}

/// Largest distance between neighbours when the points are sorted by angle (cyclically).
double max_sorted_gap(const Eigen::Ref<const MatrixXd>& points, const VectorXd& angles) {
  const Eigen::Index N = points.cols();
  if (N < 2) return kInf;
  std::vector<Eigen::Index> order(N);
  std::iota(order.begin(), order.end(), Eigen::Index(0));
  std::sort(order.begin(), order.end(),
            [&](Eigen::Index a, Eigen::Index b) { return angles[a] < angles[b]; });
  double gap = 0.0;
  for (Eigen::Index i = 0; i < N; ++i) {
    const Eigen::Index next = order[(i + 1) % N];
    gap = std::max(gap, (points.col(next) - points.col(order[i])).norm());
  }
  return gap;
}

/// Angle-sorted gap of an InvariantCurve's kept points (absolute, state units).
double kept_points_gap(const InvariantCurve& curve) {
  if (curve.points.cols() < 2 || curve.plane.cols() < 2) return kInf;
  return max_sorted_gap(curve.points,
                        plane_angles(curve.points, curve.amplitude.center, curve.plane));
}

std::string format_exponents(const VectorXd& exponents) {
  std::ostringstream ss;
  ss << "[";
  for (Eigen::Index i = 0; i < exponents.size(); ++i) ss << (i ? ", " : "") << exponents[i];
  ss << "]";
  return ss.str();
}

}  // namespace

// ==== Options ====================================================================================

namespace {

using ShootingField = OptionField<ShootingOptions>;
constexpr ShootingField kShootingFields[] = {
    {"tol_residual", &ShootingOptions::tol_residual, Rule::greater_than(0).and_finite(),
     "the orbit is converged when ||F^P(s) - s|| <= this (state units)"},
    {"stability_tol", &ShootingOptions::stability_tol, Rule::in_closed_open(0, 1),
     "Floquet multipliers within this of modulus 1 are marginal"},
};

using C = LimitCycleOptions;
constexpr OptionField<C> kLimitCycleFields[] = {
    {"n_transient", &C::n_transient, Rule::at_least(0),
     "steps discarded before the analysis (on top of the transition's max_steps)"},
    {"n_record", &C::n_record, Rule::at_least(16).noting("and >= 2 max_period + 1"),
     "steps recorded and analysed"},
    {"divergence_norm", &C::divergence_norm, Rule::greater_than(0).and_finite(),
     "a run diverged when a state's norm exceeds this"},
    {"max_period", &C::max_period, Rule::at_least(1), "periods 1 .. max_period are tried"},
    {"tol_recurrence", &C::tol_recurrence, Rule::greater_than(0).and_finite(),
     "a period P is a candidate when the window recurs within this after P steps"},
    {"tol_match", &C::tol_match, Rule::greater_than(0).and_finite(),
     "the refined orbit must pass within this of the last recorded state"},
    {"min_turns", &C::min_turns, Rule::greater_than(0).and_finite(),
     "turns an invariant curve makes around its mean over the window, at least"},
    {"min_winding_consistency", &C::min_winding_consistency, Rule::in_open_closed(0.5, 1),
     "fraction of the steps that turn in the dominant direction, at least"},
    {"max_curve_gap", &C::max_curve_gap, Rule::greater_than(0).and_finite(),
     "largest gap between angle-sorted window points over the RMS radius, at most"},
    {"max_radius_drift", &C::max_radius_drift, Rule::greater_than(0).and_finite(),
     "change of the mean radius between the window's halves, relative, at most"},
    {"n_curve_points", &C::n_curve_points, Rule::at_least(0),
     "window points kept for an invariant curve"},
    {"n_lyapunov", &C::n_lyapunov, Rule::at_least(1),
     "Lyapunov exponents computed for non-periodic runs (capped at n_state)"},
    {"tol_lyapunov", &C::tol_lyapunov, Rule::greater_than(0).and_finite(),
     "|Lyapunov exponent| <= this counts as zero (per step)"},
    {"tol_unique", &C::tol_unique, Rule::at_least(0).and_finite(),
     "two runs reached the same orbit or curve when within this"},
};

}  // namespace

const Schema<ShootingOptions>& ShootingOptions::schema() {
  static constexpr Schema<ShootingOptions> kSchema{kShootingFields};
  return kSchema;
}

void ShootingOptions::validate() const {
  schema().validate(*this);
  internal::validate_within("newton", newton);
}

const Schema<LimitCycleOptions>& LimitCycleOptions::schema() {
  static constexpr Schema<LimitCycleOptions> kSchema{kLimitCycleFields};
  return kSchema;
}

void LimitCycleOptions::validate() const {
  schema().validate(*this);
  RNNATLAS_CHECK_FIELD(n_record, n_record >= 2 * max_period + 1,
                       ">= 16 and >= 2 max_period + 1 = " + std::to_string(2 * max_period + 1));
  internal::validate_within("shooting", shooting);
}

constexpr EnumName<AttractorKind> kAttractorKindNames[] = {
    {AttractorKind::kFixedPoint, "fixed_point"},
    {AttractorKind::kPeriodicOrbit, "periodic_orbit"},
    {AttractorKind::kInvariantCurve, "invariant_curve"},
    {AttractorKind::kChaotic, "chaotic"},
    {AttractorKind::kUnresolved, "unresolved"},
    {AttractorKind::kDiverged, "diverged"}};

std::string_view to_string(AttractorKind kind) {
  return enum_to_string<AttractorKind>(kAttractorKindNames, kind);
}

// ==== Orbits and their measures ==================================================================

OrbitAmplitude orbit_amplitude(const Eigen::Ref<const MatrixXd>& points) {
  RNNATLAS_CHECK_ARG(points.cols() >= 1 && points.rows() >= 1,
                     "orbit points have shape [" << points.rows() << ", " << points.cols()
                                                 << "], expected [n_state, n >= 1]");
  OrbitAmplitude amplitude;
  amplitude.center = points.rowwise().mean();
  amplitude.half_range = 0.5 * (points.rowwise().maxCoeff() - points.rowwise().minCoeff());
  const VectorXd radii = (points.colwise() - amplitude.center).colwise().norm().transpose();
  amplitude.rms_radius = std::sqrt(radii.squaredNorm() / static_cast<double>(radii.size()));
  amplitude.max_radius = radii.maxCoeff();
  return amplitude;
}

Eigen::VectorXd iterate_map(const Network& network,
                            const Eigen::Ref<const VectorXd>& state,
                            const Eigen::Ref<const VectorXd>& input,
                            int n_steps,
                            MatrixXd* jacobian) {
  check_input(network, input);
  check_state(network, state);
  RNNATLAS_CHECK_ARG(n_steps >= 0, "iterate_map: n_steps = " << n_steps << ": must be >= 0");
  MapEvaluator evaluator(network, input);
  return evaluator.iterate(state, n_steps, jacobian);
}

// ==== (a) Periodic orbits ========================================================================

Eigen::VectorXd PeriodicOrbit::lyapunov_exponents() const {
  if (period < 1) return VectorXd();
  return multipliers.cwiseAbs().array().log() / static_cast<double>(period);
}

PeriodicOrbit refine_periodic_orbit(const Network& network,
                                    const Eigen::Ref<const VectorXd>& state,
                                    const Eigen::Ref<const VectorXd>& input,
                                    int period,
                                    const ShootingOptions& options) {
  options.validate();
  check_input(network, input);
  check_state(network, state);
  RNNATLAS_CHECK_ARG(period >= 1, "refine_periodic_orbit: period = " << period << ": must be >= 1");
  const Eigen::Index n = state.size();
  const NewtonOptions& newton = options.newton;
  MapEvaluator evaluator(network, input);

  PeriodicOrbit orbit;
  orbit.input = input;
  VectorXd s = state;
  MatrixXd M;
  VectorXd g = evaluator.iterate(s, period, &M) - s;  // G(s) = F^P(s) - s
  double q = 0.5 * g.squaredNorm();
  orbit.residual_history.push_back(g.norm());

  // Damped Newton on G with DG = M - I, as newton_refine() in fixed_points.cc: backtrack until q
  // decreases; Levenberg-Marquardt when M - I is numerically singular.
  VectorXd ds, s_try, g_try;
  const int max_iters = newton.enabled ? newton.max_iters : 0;
  for (int it = 0; it < max_iters && q > newton.tol_q && std::isfinite(q); ++it) {
    const MatrixXd A = M - MatrixXd::Identity(n, n);
    const Eigen::PartialPivLU<MatrixXd> lu(A);
    if (lu.rcond() >= newton.min_rcond) {
      ds = lu.solve(-g);
    } else {
      double mu = newton.lm_damping * A.squaredNorm();
      if (!(mu > 0.0)) mu = newton.lm_damping;
      MatrixXd normal = A.transpose() * A;
      normal.diagonal().array() += mu;
      ds = normal.ldlt().solve(-(A.transpose() * g));
    }
    if (!ds.allFinite()) break;
    bool accepted = false;
    double alpha = 1.0;
    for (int b = 0; b <= newton.max_backtracks; ++b, alpha *= 0.5) {
      s_try = s + alpha * ds;
      g_try = evaluator.iterate(s_try, period, nullptr) - s_try;
      const double q_try = 0.5 * g_try.squaredNorm();
      if (std::isfinite(q_try) && q_try < q) {
        accepted = true;
        break;
      }
    }
    if (!accepted) break;
    s = s_try;
    g = evaluator.iterate(s, period, &M) - s;
    q = 0.5 * g.squaredNorm();
    orbit.residual_history.push_back(g.norm());
    ++orbit.n_newton_iters;
  }
  orbit.residual = g.norm();

  // The minimal period of a converged orbit: the smallest divisor d of P at which it already
  // closes.
  orbit.period = period;
  const double tol_close = std::max(options.tol_residual, 2.0 * orbit.residual);
  for (int d = 1; d < period && orbit.residual <= options.tol_residual; ++d) {
    if (period % d != 0) continue;
    const VectorXd g_d = evaluator.iterate(s, d, nullptr) - s;
    if (g_d.norm() <= tol_close) {
      orbit.period = d;
      g = evaluator.iterate(s, d, &M) - s;
      orbit.residual = g.norm();
      break;
    }
  }
  orbit.converged = orbit.residual <= options.tol_residual;
  const int P = orbit.period;

  orbit.points.resize(n, P);
  orbit.points.col(0) = s;
  for (int k = 1; k < P; ++k) orbit.points.col(k) = evaluator.step(orbit.points.col(k - 1));
  orbit.monodromy = M;
  if (M.allFinite()) {
    LinearizationOptions floquet;
    floquet.stability_tol = options.stability_tol;
    floquet.compute_eigenvectors = false;
    const Linearization lin = analyze_jacobian(M, floquet);
    orbit.multipliers = lin.eigenvalues;
    orbit.n_unstable = lin.n_unstable;
    orbit.n_marginal = lin.n_marginal;
    orbit.stability = lin.stability;
  } else {
    orbit.multipliers = Eigen::VectorXcd::Constant(n, kNaN);
    orbit.n_unstable = static_cast<int>(n);
    orbit.stability = StabilityClass::kUnstable;
  }
  orbit.amplitude = orbit_amplitude(orbit.points);

  // Frequency from the winding of the closed polygon through the points around their mean.
  if (P == 1) {
    orbit.frequency = 0.0;
  } else if (P == 2) {
    orbit.frequency = kPi;
  } else if (n < 2) {
    orbit.frequency = kNaN;
  } else {
    const Plane plane = principal_plane(orbit.points, 2);
    const VectorXd angles = plane_angles(orbit.points, plane.center, plane.directions);
    double total = 0.0;
    for (int k = 0; k < P; ++k) total += wrap_angle(angles[(k + 1) % P] - angles[k]);
    orbit.winding_number = static_cast<int>(std::lround(total / (2.0 * kPi)));
    orbit.frequency = 2.0 * kPi * std::abs(orbit.winding_number) / P;
  }
  return orbit;
}

// ==== Lyapunov exponents =========================================================================

Eigen::VectorXd lyapunov_exponents(const Network& network,
                                   const Eigen::Ref<const VectorXd>& state,
                                   const Eigen::Ref<const VectorXd>& input,
                                   int n_steps,
                                   int n_exponents,
                                   int n_transient) {
  check_input(network, input);
  check_state(network, state);
  const int n = network.architecture().n_state();
  RNNATLAS_CHECK_ARG(n_steps >= 1, "lyapunov_exponents: n_steps = " << n_steps << ": must be >= 1");
  RNNATLAS_CHECK_ARG(n_exponents >= 1 && n_exponents <= n,
                     "lyapunov_exponents: n_exponents = "
                         << n_exponents << ": must be in [1, n_state = " << n << "]");
  RNNATLAS_CHECK_ARG(n_transient >= 0,
                     "lyapunov_exponents: n_transient = " << n_transient << ": must be >= 0");
  MapEvaluator evaluator(network, input);
  VectorXd s = state;
  if (evaluator.simulate(s, n_transient, kInf, nullptr).diverged) {
    return VectorXd::Constant(n_exponents, kNaN);
  }
  // The window holds x_0 = s and the states after the first n_steps - 1 steps: n_steps Jacobians.
  MatrixXd window(n, n_steps);
  window.col(0) = s;
  if (n_steps > 1) {
    auto rest = MatrixXd(n, n_steps - 1);
    if (evaluator.simulate(s, n_steps - 1, kInf, &rest).diverged) {
      return VectorXd::Constant(n_exponents, kNaN);
    }
    window.rightCols(n_steps - 1) = rest;
  }
  return window_lyapunov(evaluator, window, n_exponents);
}

// ==== (b) Invariant curves =======================================================================

InvariantCurve analyze_curve(const Eigen::Ref<const MatrixXd>& window, int n_points) {
  const Eigen::Index n = window.rows(), N = window.cols();
  RNNATLAS_CHECK_ARG(n >= 1 && N >= 3,
                     "window has shape [" << n << ", " << N << "], expected [n_state, N >= 3]");
  RNNATLAS_CHECK_ARG(window.allFinite(), "window has non-finite values");
  RNNATLAS_CHECK_ARG(n_points >= 0 && n_points <= N,
                     "n_points = " << n_points << ": must be in [0, N = " << N << "]");
  InvariantCurve curve;
  // Center and RMS radius as weighted Birkhoff means: on a quasi-periodic curve they converge
  // much faster than the plain window means (which err by O(1/N)).
  const VectorXd weights = birkhoff_weights(N);
  curve.amplitude = orbit_amplitude(window);
  curve.amplitude.center = window * weights;
  const VectorXd radius = (window.colwise() - curve.amplitude.center).colwise().norm().transpose();
  curve.amplitude.rms_radius = std::sqrt(weights.dot(radius.cwiseAbs2()));
  curve.amplitude.max_radius = radius.maxCoeff();
  curve.points = window.rightCols(n_points);
  if (n < 2) {  // no plane to turn in
    curve.frequency = curve.frequency_error = curve.period = kNaN;
    curve.curve_gap = kInf;
    curve.plane = MatrixXd::Zero(n, 2);
    return curve;
  }
  const Plane plane = principal_plane(window, 2);
  curve.plane = plane.directions;
  curve.plane_variance = plane.variances;
  const VectorXd angles = plane_angles(window, curve.amplitude.center, curve.plane);
  curve.plane_radius =
      weights.dot((curve.plane.transpose() * (window.colwise() - curve.amplitude.center))
                      .colwise()
                      .norm()
                      .transpose());

  // Angular advance per step and its weighted Birkhoff averages.
  VectorXd advance(N - 1);
  for (Eigen::Index t = 0; t + 1 < N; ++t) advance[t] = wrap_angle(angles[t + 1] - angles[t]);
  const double total = advance.sum();
  curve.n_turns = std::abs(total) / (2.0 * kPi);
  const double direction = total >= 0.0 ? 1.0 : -1.0;
  curve.winding_consistency =
      static_cast<double>((direction * advance.array() > 0.0).count()) / static_cast<double>(N - 1);
  curve.frequency = std::abs(weighted_birkhoff(advance, 0, N - 1));
  const Eigen::Index half = (N - 1) / 2;
  curve.frequency_error =
      std::abs(weighted_birkhoff(advance, 0, half) - weighted_birkhoff(advance, half, N - 1));
  curve.period = curve.frequency > 0.0 ? 2.0 * kPi / curve.frequency : kInf;

  // Thin closed curve: neighbours in angle are neighbours in state space.
  const double gap = max_sorted_gap(window, angles);
  curve.curve_gap = curve.amplitude.rms_radius > 0.0 ? gap / curve.amplitude.rms_radius : kInf;

  // Radius drift between the two halves of the window (weighted Birkhoff means).
  const double first = weighted_birkhoff(radius, 0, N / 2);
  const double second = weighted_birkhoff(radius, N / 2, N);
  curve.radius_drift =
      first + second > 0.0 ? 2.0 * std::abs(second - first) / (first + second) : 0.0;
  return curve;
}

// ==== Classification =============================================================================

namespace {

/// Everything after the transient for one run that has not diverged: the recorded window,
/// recurrence, shooting, curve measures and Lyapunov exponents.
void analyze_run(const Network& network,
                 const VectorXd& input,
                 const LimitCycleOptions& options,
                 MapEvaluator& evaluator,
                 VectorXd s,
                 Attractor& a) {
  const int n = network.architecture().n_state();
  const int N = options.n_record;
  const int k = std::min(options.n_lyapunov, n);
  std::ostringstream msg;
  msg.precision(4);

  MatrixXd window(n, N);
  const MapEvaluator::Run run = evaluator.simulate(s, N, options.divergence_norm, &window);
  a.n_steps += run.n_steps;
  a.final_state = s;
  if (run.diverged) {
    a.kind = AttractorKind::kDiverged;
    msg << "diverged at step " << a.n_steps << ": ||s|| = " << s.norm()
        << " (divergence_norm = " << options.divergence_norm << ")";
    a.message = msg.str();
    return;
  }

  // Recurrence: d_P over the last max_period steps of the window.
  const int P_max = options.max_period;
  int candidate = 0;
  double d_candidate = kInf;
  a.recurrence_distance = kInf;
  for (int P = 1; P <= P_max; ++P) {
    double d = 0.0;
    for (int t = N - P - P_max; t <= N - 1 - P; ++t) {
      d = std::max(d, (window.col(t + P) - window.col(t)).norm());
    }
    if (candidate == 0 && d <= options.tol_recurrence) {
      candidate = P;
      d_candidate = d;
    }
    if (d < a.recurrence_distance) {
      a.recurrence_distance = d;
      a.recurrence_period = P;
    }
  }

  std::string shooting_note;
  if (candidate > 0) {
    a.orbit = refine_periodic_orbit(network, s, input, candidate, options.shooting);
    const double moved = (a.orbit.points.col(0) - s).norm();
    const bool refined = a.orbit.converged || !options.shooting.newton.enabled;
    if (refined && moved <= options.tol_match) {
      a.kind = a.orbit.period == 1 ? AttractorKind::kFixedPoint : AttractorKind::kPeriodicOrbit;
      a.lyapunov_exponents = a.orbit.lyapunov_exponents().head(k);
      msg << (a.orbit.period == 1 ? "fixed point" : "periodic orbit") << " of period "
          << a.orbit.period << ": recurrence d_" << candidate << " = " << d_candidate
          << " <= tol_recurrence; shooting: ||F^P(s) - s|| = " << a.orbit.residual << " after "
          << a.orbit.n_newton_iters << " Newton steps, moved " << moved
          << " from the simulated state; max |mu| = " << std::abs(a.orbit.multipliers[0]) << " ("
          << to_string(a.orbit.stability) << ")";
      a.message = msg.str();
      return;
    }
    std::ostringstream note;
    note.precision(4);
    note << "; recurrence at P = " << candidate << " (d = " << d_candidate << ") but shooting "
         << (refined ? "moved " : "did not converge (residual ")
         << (refined ? moved : a.orbit.residual) << (refined ? " > tol_match" : ")");
    shooting_note = note.str();
  }

  a.curve = analyze_curve(window, std::min(options.n_curve_points, N));
  a.lyapunov_exponents = window_lyapunov(evaluator, window, k);
  const double l1 = a.lyapunov_exponents[0];
  const double l2 = k >= 2 ? a.lyapunov_exponents[1] : kNaN;
  const InvariantCurve& c = a.curve;
  a.curve.attracting = l2 < -options.tol_lyapunov;

  std::vector<std::string> failed;
  const auto test = [&](bool ok, const std::string& what) {
    if (!ok) failed.push_back(what);
  };
  std::ostringstream numbers;
  numbers.precision(4);
  numbers << "n_turns " << c.n_turns << " (min " << options.min_turns << ")";
  test(c.n_turns >= options.min_turns, numbers.str());
  numbers.str("");
  numbers << "winding consistency " << c.winding_consistency << " (min "
          << options.min_winding_consistency << ")";
  test(c.winding_consistency >= options.min_winding_consistency, numbers.str());
  numbers.str("");
  numbers << "curve gap " << c.curve_gap << " (max " << options.max_curve_gap << ")";
  test(c.curve_gap <= options.max_curve_gap, numbers.str());
  numbers.str("");
  numbers << "radius drift " << c.radius_drift << " (max " << options.max_radius_drift << ")";
  test(c.radius_drift <= options.max_radius_drift, numbers.str());
  numbers.str("");
  numbers << "|lambda_1| = " << std::abs(l1) << " (max tol_lyapunov " << options.tol_lyapunov
          << ")";
  test(std::abs(l1) <= options.tol_lyapunov, numbers.str());

  if (l1 > options.tol_lyapunov) {
    a.kind = AttractorKind::kChaotic;
    msg << "chaotic: lambda_1 = " << l1 << " > tol_lyapunov = " << options.tol_lyapunov;
  } else if (failed.empty()) {
    a.kind = AttractorKind::kInvariantCurve;
    msg << (c.attracting ? "attracting" : "neutral") << " invariant curve: frequency "
        << c.frequency << " rad/step (+/- " << c.frequency_error << "), period " << c.period
        << " steps, " << c.n_turns << " turns, rms radius " << c.amplitude.rms_radius
        << ", curve gap " << c.curve_gap << ", radius drift " << c.radius_drift;
  } else {
    a.kind = AttractorKind::kUnresolved;
    msg << "unresolved";
    if (l1 < -options.tol_lyapunov) msg << " (still converging: increase n_transient)";
    msg << ": failed ";
    for (std::size_t i = 0; i < failed.size(); ++i) msg << (i ? ", " : "") << failed[i];
  }
  msg << "; lyapunov exponents " << format_exponents(a.lyapunov_exponents) << shooting_note;
  a.message = msg.str();
}

/// Whether run a reached the attractor of representative run b (same kind).
bool same_attractor(const Attractor& a, const Attractor& b, double b_gap, double tol) {
  if (a.kind != b.kind) return false;
  if (a.kind == AttractorKind::kInvariantCurve) {
    if (b.curve.points.cols() == 0) return false;
    const double d = (b.curve.points.colwise() - a.final_state).colwise().norm().minCoeff();
    return d <= tol + b_gap;
  }
  if (a.orbit.period != b.orbit.period) return false;
  const double d = (b.orbit.points.colwise() - a.orbit.points.col(0)).colwise().norm().minCoeff();
  return d <= tol;
}

}  // namespace

std::string AttractorResult::brief_report() const {
  std::ostringstream ss;
  ss << runs.size() << " runs:";
  for (int k = 0; k < static_cast<int>(counts.size()); ++k) {
    ss << (k ? ", " : " ") << counts[k] << " " << to_string(static_cast<AttractorKind>(k));
  }
  ss << "; " << n_unique << " distinct attractors";
  return ss.str();
}

AttractorResult classify_attractors(const Network& network,
                                    const Eigen::Ref<const MatrixXd>& initial_states,
                                    const Eigen::Ref<const VectorXd>& input,
                                    const LimitCycleOptions& options,
                                    const Execution& execution) {
  options.validate();
  execution.validate();
  check_input(network, input);
  const int n = network.architecture().n_state();
  RNNATLAS_CHECK_ARG(initial_states.rows() == n && initial_states.cols() >= 1,
                     "initial_states have shape ["
                         << initial_states.rows() << ", " << initial_states.cols()
                         << "], expected [n_state = " << n << ", n_init >= 1]");
  RNNATLAS_CHECK_ARG(initial_states.allFinite(), "initial_states have non-finite values");
  const int K = static_cast<int>(initial_states.cols());

  AttractorResult result;
  result.input = input;
  result.runs.resize(K);

  // ---- Transient, all runs batched; a diverged run leaves the batch -----------------------------
  const Cell<double>& cell = network.cell();
  const double* theta = network.parameters().data();
  MatrixXd S = initial_states;
  std::vector<int> idx(K);
  std::iota(idx.begin(), idx.end(), 0);
  std::vector<char> diverged(K, 0);
  SequenceCache<double> cache;
  MatrixXd X;
  int n_active = K;
  for (int step = 0; step < options.n_transient && n_active > 0; ++step) {
    if (X.cols() != n_active) X = input.replicate(1, n_active);
    cell.forward(theta, X, S.leftCols(n_active), 1, cache);
    int kept = 0;
    for (int j = 0; j < n_active; ++j) {
      const auto next = cache.states.col(n_active + j);
      const double norm = next.norm();
      Attractor& a = result.runs[idx[j]];
      a.n_steps = step + 1;
      if (!(norm <= options.divergence_norm)) {
        diverged[idx[j]] = 1;
        a.kind = AttractorKind::kDiverged;
        a.final_state = next;
        std::ostringstream msg;
        msg.precision(4);
        msg << "diverged at step " << step + 1 << " of the transient: ||s|| = " << norm
            << " (divergence_norm = " << options.divergence_norm << ")";
        a.message = msg.str();
        continue;
      }
      S.col(kept) = next;
      idx[kept] = idx[j];
      ++kept;
    }
    n_active = kept;
  }
  MatrixXd after_transient(n, K);
  for (int j = 0; j < n_active; ++j) after_transient.col(idx[j]) = S.col(j);

  // ---- Per-run analysis
  // ---------------------------------------------------------------------------
  std::vector<int> active;
  for (int i = 0; i < K; ++i) {
    result.runs[i].initial_index = i;
    if (!diverged[i]) active.push_back(i);
  }
  const VectorXd u = input;
  internal::parallel_ranges(
      static_cast<int>(active.size()), execution.n_threads, [&](int begin, int end, int) {
        MapEvaluator evaluator(network, u);
        for (int r = begin; r < end; ++r) {
          const int i = active[r];
          analyze_run(network, u, options, evaluator, after_transient.col(i), result.runs[i]);
        }
      });

  // ---- Which runs reached the same attractor ----------------------------------------------------
  std::vector<int> representatives;
  std::vector<double> gaps(K, 0.0);
  for (int i = 0; i < K; ++i) {
    Attractor& a = result.runs[i];
    ++result.counts[static_cast<int>(a.kind)];
    if (a.kind != AttractorKind::kFixedPoint && a.kind != AttractorKind::kPeriodicOrbit &&
        a.kind != AttractorKind::kInvariantCurve) {
      a.same_as = -1;
      continue;
    }
    a.same_as = i;
    for (const int j : representatives) {
      if (same_attractor(a, result.runs[j], gaps[j], options.tol_unique)) {
        a.same_as = j;
        break;
      }
    }
    if (a.same_as == i) {
      representatives.push_back(i);
      if (a.kind == AttractorKind::kInvariantCurve) gaps[i] = kept_points_gap(a.curve);
      ++result.n_unique;
    }
  }
  return result;
}

}  // namespace rnnatlas
