// Update-gate RNN (Collins, Sohl-Dickstein & Sussillo 2017), gate order (g, c), one bias:
//   g = sigma(W_ig x + W_hg h + b_g),  c = phi(W_ic x + W_hc h + b_c),  h' = g * h + (1 - g) * c
// Parameters: weight_ih_l0 [2N, n_input], weight_hh_l0 [2N, N], bias_l0 [2N]. The gate bias starts
// at +1 (Network's initialisation), so a fresh UGRNN mostly keeps its state.
#include "models/cell_impl.h"

namespace rnnatlas {
namespace {

using namespace internal;

template <typename Scalar>
class UgrnnCell final : public DispatchingCell<UgrnnCell<Scalar>, Scalar> {
 public:
  using MatS = Mat<Scalar>;
  using VecS = Vec<Scalar>;
  using DispatchingCell<UgrnnCell<Scalar>, Scalar>::DispatchingCell;

  CellKind kind() const override { return CellKind::kUgrnn; }
  int n_gates() const override { return 2; }

  std::vector<ParameterInfo> parameters() const override {
    const int G = 2 * this->n_hidden_;
    const int n_ih = G * this->n_input_, n_hh = G * this->n_hidden_;
    return {ParameterInfo{"weight_ih_l0", G, this->n_input_, 0, false},
            ParameterInfo{"weight_hh_l0", G, this->n_hidden_, n_ih, false},
            ParameterInfo{"bias_l0", G, 1, n_ih + n_hh, true}};
  }

 private:
  friend DispatchingCell<UgrnnCell<Scalar>, Scalar>;

  ParamViews<Scalar> views(const Scalar* theta) const {
    return ParamViews<Scalar>(theta, 2 * this->n_hidden_, this->n_input_, this->n_hidden_, false);
  }

  // cache.gates [2N, T*B] holds g, c.
  template <Activation A>
  void forward_impl(const Scalar* theta,
                    const Eigen::Ref<const MatS>& X,
                    const Eigen::Ref<const MatS>& S0,
                    int n_time,
                    SequenceCache<Scalar>& cache) const {
    const ParamViews<Scalar> p = views(theta);
    const int N = this->n_hidden_;
    const int B = begin_forward(*this, X, S0, n_time, cache);
    const InputProjection<Scalar> project(p.W_ih, p.b_ih);
    cache.gates.resize(2 * N, Eigen::Index(n_time) * B);
    for (int k = 0; k < n_time; ++k) {
      const Eigen::Index col = Eigen::Index(k) * B;
      const auto h = cache.states.middleCols(col, B);
      auto gates = cache.gates.middleCols(col, B);
      project(X.middleCols(col, B), gates);
      add_product(gates, p.W_hh, h);
      auto g = gates.topRows(N).array();
      auto c = gates.bottomRows(N).array();
      g = sigmoid(g);
      c = Phi<A>::value(c);
      cache.states.middleCols(col + B, B).array() = g * h.array() + (Scalar(1) - g) * c;
    }
  }

  template <Activation A>
  void backward_impl(const Scalar* theta,
                     const Eigen::Ref<const MatS>& X,
                     SequenceCache<Scalar>& cache,
                     const MatS* G_h,
                     const MatS* G_final,
                     Scalar* g_theta,
                     MatS* G_S0,
                     MatS* G_X) const {
    const ParamViews<Scalar> p = views(theta);
    const int T = cache.n_time, B = cache.n_batch, N = this->n_hidden_;
    MatS& dA = cache.d_pre;  // [2N, T*B]
    dA.resize(2 * N, Eigen::Index(T) * B);
    MatS dh = G_final ? *G_final : MatS::Zero(N, B);
    MatS dh_prev(N, B);
    for (int k = T - 1; k >= 0; --k) {
      const Eigen::Index col = Eigen::Index(k) * B;
      if (G_h) dh += G_h->middleCols(col, B);
      const auto gates = cache.gates.middleCols(col, B);
      const auto g = gates.topRows(N).array();
      const auto c = gates.bottomRows(N).array();
      const auto h = cache.states.middleCols(col, B).array();
      auto dA_k = dA.middleCols(col, B);
      dA_k.topRows(N).array() = dh.array() * (h - c) * sigmoid_slope(g);
      dA_k.bottomRows(N).array() = dh.array() * (Scalar(1) - g) * Phi<A>::slope(c);
      dh_prev.array() = dh.array() * g;
      add_product(dh_prev, p.W_hh.transpose(), dA_k);
      dh.swap(dh_prev);
    }
    if (G_S0) *G_S0 = dh;
    if (G_X) input_gradient<Scalar>(p.W_ih, dA, *G_X);
    if (g_theta) {
      GradViews<Scalar> grad(g_theta, 2 * N, this->n_input_, N, false);
      accumulate_param_gradients<Scalar>(dA, nullptr, 0, cache.states.leftCols(Eigen::Index(T) * B),
                                         X, grad);
    }
  }

  // h' = g h + (1 - g) c:
  //   J = diag(g) + diag((h - c) sigma'(g)) W_hg + diag((1 - g) phi'(c)) W_hc, B likewise with
  //   W_i*.
  template <Activation A>
  void jacobians_impl(const Scalar* theta,
                      const Eigen::Ref<const VecS>& s,
                      const SequenceCache<Scalar>& step,
                      MatS& J,
                      MatS* B) const {
    const ParamViews<Scalar> p = views(theta);
    const int N = this->n_hidden_;
    const auto g = step.gates.col(0).head(N).array();
    const auto c = step.gates.col(0).tail(N).array();
    const VecS d_g = ((s.array() - c) * sigmoid_slope(g)).matrix();
    const VecS d_c = ((Scalar(1) - g) * Phi<A>::slope(c)).matrix();
    scaled_gate_rows(p.W_hh, {&d_g, &d_c}, J);
    J.diagonal() += g.matrix();
    if (B) scaled_gate_rows(p.W_ih, {&d_g, &d_c}, *B);
  }
};

}  // namespace

template <typename Scalar>
std::unique_ptr<Cell<Scalar>> make_ugrnn_cell(Activation activation, int n_input, int n_hidden) {
  return std::make_unique<UgrnnCell<Scalar>>(activation, n_input, n_hidden);
}
template std::unique_ptr<Cell<float>> make_ugrnn_cell<float>(Activation, int, int);
template std::unique_ptr<Cell<double>> make_ugrnn_cell<double>(Activation, int, int);

}  // namespace rnnatlas
