// Private helpers shared by the cell implementations: parameter views, activations, and the
// time-batched parts of forward and backward that every cell has in common.
#pragma once

#include <Eigen/Core>
#include <initializer_list>
#include <type_traits>

#include "models/gemm.h"
#include "rnnatlas/error.h"
#include "rnnatlas/models/cell.h"

namespace rnnatlas::internal {

template <typename Scalar>
using RowMat = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <typename Scalar>
using ConstRowMap = Eigen::Map<const RowMat<Scalar>>;
template <typename Scalar>
using RowMap = Eigen::Map<RowMat<Scalar>>;
template <typename Scalar>
using ConstVecMap = Eigen::Map<const Vec<Scalar>>;
template <typename Scalar>
using VecMap = Eigen::Map<Vec<Scalar>>;

/// The activation phi and its derivative written in terms of its output y = phi(a), which is what
/// the caches keep: tanh' = 1 - y^2, relu' = [y > 0], softplus' = sigma(a) = 1 - e^{-y}, linear'
/// = 1.
template <Activation A>
struct Phi;

template <>
struct Phi<Activation::kTanh> {
  template <typename E>
  static auto value(const E& a) {
    return a.tanh();
  }
  template <typename E>
  static auto slope(const E& y) {
    using S = typename E::Scalar;
    return S(1) - y.square();
  }
};

template <>
struct Phi<Activation::kRelu> {
  template <typename E>
  static auto value(const E& a) {
    using S = typename E::Scalar;
    return a.max(S(0));
  }
  template <typename E>
  static auto slope(const E& y) {
    using S = typename E::Scalar;
    return (y > S(0)).template cast<S>();
  }
};

template <>
struct Phi<Activation::kSoftplus> {
  // log(1 + e^a) = max(a, 0) + log1p(e^{-|a|}): no overflow for large |a|.
  template <typename E>
  static auto value(const E& a) {
    using S = typename E::Scalar;
    return a.max(S(0)) + (-a.abs()).exp().log1p();
  }
  template <typename E>
  static auto slope(const E& y) {
    using S = typename E::Scalar;
    return S(1) - (-y).exp();
  }
};

template <>
struct Phi<Activation::kLinear> {
  template <typename E>
  static auto value(const E& a) {
    return a;
  }
  template <typename E>
  static auto slope(const E& y) {
    using S = typename E::Scalar;
    return y * S(0) + S(1);
  }
};

/// sigma(a) = 1 / (1 + e^{-a}); sigma' = y (1 - y).
template <typename E>
auto sigmoid(const E& a) {
  return a.logistic();
}
template <typename E>
auto sigmoid_slope(const E& y) {
  using S = typename E::Scalar;
  return y * (S(1) - y);
}

/// Calls f(std::integral_constant<Activation, A>{}) for the run-time activation, so that the
/// kernels are compiled once per activation with no branch inside the time loop.
template <typename F>
decltype(auto) dispatch_activation(Activation activation, F&& f) {
  switch (activation) {
    case Activation::kTanh:
      return f(std::integral_constant<Activation, Activation::kTanh>{});
    case Activation::kRelu:
      return f(std::integral_constant<Activation, Activation::kRelu>{});
    case Activation::kSoftplus:
      return f(std::integral_constant<Activation, Activation::kSoftplus>{});
    case Activation::kLinear:
      return f(std::integral_constant<Activation, Activation::kLinear>{});
  }
  RNNATLAS_ASSERT(false, "unhandled activation");
}

/// Views of the standard parameter layout: W_ih [G, n_input], W_hh [G, n_hidden], then the biases
/// (b_ih [G] and b_hh [G], or one bias [G] for cells with a single bias), G = n_gates * n_hidden.
template <typename Scalar>
struct ParamViews {
  ConstRowMap<Scalar> W_ih;
  ConstRowMap<Scalar> W_hh;
  ConstVecMap<Scalar> b_ih;
  ConstVecMap<Scalar> b_hh;  ///< size 0 for single-bias cells

  ParamViews(const Scalar* theta, int G, int n_input, int n_hidden, bool two_biases)
      : W_ih(theta, G, n_input),
        W_hh(theta + G * n_input, G, n_hidden),
        b_ih(theta + G * (n_input + n_hidden), G),
        b_hh(theta + G * (n_input + n_hidden + 1), two_biases ? G : 0) {}
};

template <typename Scalar>
struct GradViews {
  RowMap<Scalar> W_ih;
  RowMap<Scalar> W_hh;
  VecMap<Scalar> b_ih;
  VecMap<Scalar> b_hh;

  GradViews(Scalar* g, int G, int n_input, int n_hidden, bool two_biases)
      : W_ih(g, G, n_input),
        W_hh(g + G * n_input, G, n_hidden),
        b_ih(g + G * (n_input + n_hidden), G),
        b_hh(g + G * (n_input + n_hidden + 1), two_biases ? G : 0) {}
};

/// Sizes the cache for a forward pass and stores S_0; returns n_batch.
template <typename Scalar>
int begin_forward(const Cell<Scalar>& cell,
                  const Eigen::Ref<const Mat<Scalar>>& X,
                  const Eigen::Ref<const Mat<Scalar>>& S0,
                  int n_time,
                  SequenceCache<Scalar>& cache) {
  RNNATLAS_CHECK_ARG(n_time >= 1, "n_time = " << n_time << ": must be >= 1");
  RNNATLAS_CHECK_ARG(S0.rows() == cell.n_state() && S0.cols() >= 1,
                     "initial state has shape [" << S0.rows() << ", " << S0.cols()
                                                 << "], expected [" << cell.n_state()
                                                 << ", n_batch >= 1]");
  const int n_batch = static_cast<int>(S0.cols());
  RNNATLAS_CHECK_ARG(X.rows() == cell.n_input() && X.cols() == Eigen::Index(n_time) * n_batch,
                     "inputs have shape ["
                         << X.rows() << ", " << X.cols() << "], expected [" << cell.n_input()
                         << ", n_time * n_batch = " << Eigen::Index(n_time) * n_batch << "]");
  cache.n_time = n_time;
  cache.n_batch = n_batch;
  cache.states.resize(cell.n_state(), Eigen::Index(n_time + 1) * n_batch);
  cache.states.leftCols(n_batch) = S0;
  return n_batch;
}

/// Every column of M set to v. A column loop is a vectorized copy per column; Eigen's
/// `v.replicate(1, n)` takes a modulo per entry and cost 13% of a GRU training iteration.
template <typename Derived, typename V>
void fill_columns(Eigen::MatrixBase<Derived>& M, const Eigen::MatrixBase<V>& v) {
  const auto& column = v.eval();  // once, when v is an expression such as b_ih + b_hh
  for (Eigen::Index j = 0; j < M.cols(); ++j) M.col(j) = column;
}

/// Up to this many inputs, InputProjection forms P column by column instead of with gemm.
inline constexpr Eigen::Index kMaxFusedInputs = 16;

/// The inputs' share of the pre-activations, P = W_ih X + bias, formed one step at a time inside
/// the time loop: each step's block is written once, and is still in cache for the recurrent
/// product and the gates that follow. (Formed for the whole sequence first, P is larger than the
/// caches and made one more round trip through memory: 4-6% of a training iteration.)
template <typename Scalar>
class InputProjection {
 public:
  template <typename Bias>
  InputProjection(const ConstRowMap<Scalar>& W_ih, const Bias& bias) : W_ih_(W_ih), bias_(bias) {
    if (W_ih.cols() <= kMaxFusedInputs) W_ = W_ih;  // column-major: contiguous input columns
  }

  /// P = W_ih X + bias, P [G, X.cols()] (a block of the gate cache).
  template <typename XD, typename Out>
  void operator()(const Eigen::MatrixBase<XD>& X, Out&& P) const {
    if (X.rows() > kMaxFusedInputs) {
      // Bias first, then accumulate the product: one pass over P fewer than `P = W X; P += b`.
      fill_columns(P, bias_);
      add_product(P, W_ih_, X);
      return;
    }
    // The tasks have 1-4 inputs: a product this thin is bound by the passes over P, so each
    // column is formed in registers and cache from the bias and the input columns of W_ih.
    for (Eigen::Index j = 0; j < X.cols(); ++j) {
      auto p = P.col(j);
      p = bias_;
      for (Eigen::Index i = 0; i < X.rows(); ++i) p += X(i, j) * W_.col(i);
    }
  }

 private:
  ConstRowMap<Scalar> W_ih_;
  Vec<Scalar> bias_;
  Mat<Scalar> W_;
};

/// G_X = W_ih^T dA [n_input, T*B]: the input gradient from the gradient of W_ih's pre-activations.
template <typename Scalar, typename W, typename D>
void input_gradient(const Eigen::DenseBase<W>& W_ih,
                    const Eigen::DenseBase<D>& dA,
                    Mat<Scalar>& G_X) {
  G_X.resize(W_ih.cols(), dA.cols());
  assign_product(G_X, W_ih.transpose(), dA);
}

/// out += M summed over its columns. A column-by-column loop streams M once with contiguous
/// vector adds; Eigen's rowwise().sum() on a column-major matrix is 3-4x slower here.
template <typename Scalar, typename Derived, typename Out>
void add_column_sum(const Eigen::MatrixBase<Derived>& M, Out&& out) {
  for (Eigen::Index j = 0; j < M.cols(); ++j) out += M.col(j);
}

/// After the time loop of backward(): the parameter gradients from the gate-gradient matrices.
/// dQ [G, T*B] is dL/d(W_hh h + b_hh) and dP [G, T*B] is dL/d(W_ih x + b_ih) (the same matrix for
/// every cell but GRU). H_prev [n_hidden, T*B] are the hidden states each step started from.
template <typename Scalar, typename HPrev>
void accumulate_param_gradients(const Mat<Scalar>& dQ,
                                const Mat<Scalar>* dP_rows,
                                int dP_first_row,
                                const HPrev& H_prev,
                                const Eigen::Ref<const Mat<Scalar>>& X,
                                GradViews<Scalar>& g) {
  add_product(g.W_hh, dQ, H_prev.transpose());
  const Eigen::Index n_rows_shared = dP_rows ? dP_first_row : dQ.rows();
  add_product(g.W_ih.topRows(n_rows_shared), dQ.topRows(n_rows_shared), X.transpose());
  Vec<Scalar> dQ_sum = Vec<Scalar>::Zero(dQ.rows());
  add_column_sum<Scalar>(dQ, dQ_sum);
  g.b_ih.head(n_rows_shared) += dQ_sum.head(n_rows_shared);
  if (g.b_hh.size() > 0) g.b_hh += dQ_sum;
  if (dP_rows) {
    const Eigen::Index n_rest = dQ.rows() - dP_first_row;
    add_product(g.W_ih.bottomRows(n_rest), *dP_rows, X.transpose());
    add_column_sum<Scalar>(*dP_rows, g.b_ih.tail(n_rest));
  }
}

/// M = sum_k diag(d_k) W_k [n_hidden, W.cols()], where W_k is gate block k of W (W_ih or W_hh, in
/// the cell's gate order) and d_k the coefficients of that block; a null d_k skips the block. A
/// step Jacobian of every cell is built from such sums (with diagonal terms): O(n_hidden^2).
template <typename Scalar, typename Out>
void scaled_gate_rows(const ConstRowMap<Scalar>& W,
                      std::initializer_list<std::type_identity_t<const Vec<Scalar>*>> d,
                      Out&& M) {
  const Eigen::Index N = W.rows() / static_cast<Eigen::Index>(d.size());
  bool first = true;
  Eigen::Index k = 0;
  for (const Vec<Scalar>* d_k : d) {
    if (d_k != nullptr) {
      if (first) {
        M.noalias() = d_k->asDiagonal() * W.middleRows(k * N, N);
      } else {
        M += d_k->asDiagonal() * W.middleRows(k * N, N);
      }
      first = false;
    }
    ++k;
  }
}

/// A cell whose virtual methods dispatch once on the activation to its kernels, compiled once per
/// activation with no branch inside the time loop. Derived befriends this class and provides:
/// - forward_impl<A>(theta, X, S0, n_time, cache): Cell::forward;
/// - backward_impl<A>(theta, X, cache, G_h, G_final, g_theta, G_S0, G_X): Cell::backward;
/// - jacobians_impl<A>(theta, s, step, J, B): Cell::jacobians at s, given `step`, the cache of
///   forward_impl<A> for one step of the one state s.
template <typename Derived, typename Scalar>
class DispatchingCell : public Cell<Scalar> {
 public:
  using MatS = Mat<Scalar>;
  using VecS = Vec<Scalar>;
  using Cell<Scalar>::Cell;

  void forward(const Scalar* theta,
               const Eigen::Ref<const MatS>& X,
               const Eigen::Ref<const MatS>& S0,
               int n_time,
               SequenceCache<Scalar>& cache) const final {
    dispatch_activation(this->activation_, [&](auto a) {
      self().template forward_impl<decltype(a)::value>(theta, X, S0, n_time, cache);
    });
  }

  void backward(const Scalar* theta,
                const Eigen::Ref<const MatS>& X,
                SequenceCache<Scalar>& cache,
                const MatS* G_h,
                const MatS* G_final,
                Scalar* g_theta,
                MatS* G_S0,
                MatS* G_X) const final {
    dispatch_activation(this->activation_, [&](auto a) {
      self().template backward_impl<decltype(a)::value>(theta, X, cache, G_h, G_final, g_theta,
                                                        G_S0, G_X);
    });
  }

 protected:
  void step_jacobians(const Scalar* theta,
                      const Eigen::Ref<const VecS>& s,
                      const Eigen::Ref<const VecS>& x,
                      MatS& J,
                      MatS* B) const final {
    dispatch_activation(this->activation_, [&](auto a) {
      constexpr Activation kA = decltype(a)::value;
      SequenceCache<Scalar> step;
      self().template forward_impl<kA>(theta, x, s, 1, step);
      self().template jacobians_impl<kA>(theta, s, step, J, B);
    });
  }

 private:
  const Derived& self() const { return static_cast<const Derived&>(*this); }
};

}  // namespace rnnatlas::internal
