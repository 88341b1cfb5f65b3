// LSTM, as torch.nn.LSTM (gate order i, f, g, o); the state is S = [h; c]:
//   i, f, o = sigma(W_i* x + b_i* + W_h* h + b_h*),  g = phi(W_ig x + b_ig + W_hg h + b_hg)
//   c' = f * c + i * g,  h' = o * phi(c')
#include "models/cell_impl.h"

namespace rnnatlas {
namespace {

using namespace internal;

template <typename Scalar>
class LstmCell final : public DispatchingCell<LstmCell<Scalar>, Scalar> {
 public:
  using MatS = Mat<Scalar>;
  using VecS = Vec<Scalar>;
  using DispatchingCell<LstmCell<Scalar>, Scalar>::DispatchingCell;

  CellKind kind() const override { return CellKind::kLstm; }
  int n_gates() const override { return 4; }
  int n_state() const override { return 2 * this->n_hidden_; }

 private:
  friend DispatchingCell<LstmCell<Scalar>, Scalar>;

  ParamViews<Scalar> views(const Scalar* theta) const {
    return ParamViews<Scalar>(theta, 4 * this->n_hidden_, this->n_input_, this->n_hidden_, true);
  }

  // cache.gates [4N, T*B] holds i, f, g, o; cache.extra [N, T*B] holds phi(c').
  template <Activation A>
  void forward_impl(const Scalar* theta,
                    const Eigen::Ref<const MatS>& X,
                    const Eigen::Ref<const MatS>& S0,
                    int n_time,
                    SequenceCache<Scalar>& cache) const {
    const ParamViews<Scalar> p = views(theta);
    const int N = this->n_hidden_;
    const int B = begin_forward(*this, X, S0, n_time, cache);
    const InputProjection<Scalar> project(p.W_ih, p.b_ih + p.b_hh);
    cache.gates.resize(4 * N, Eigen::Index(n_time) * B);
    cache.extra.resize(N, Eigen::Index(n_time) * B);
    for (int k = 0; k < n_time; ++k) {
      const Eigen::Index col = Eigen::Index(k) * B;
      const auto S = cache.states.middleCols(col, B);
      auto gates = cache.gates.middleCols(col, B);
      project(X.middleCols(col, B), gates);
      add_product(gates, p.W_hh, S.topRows(N));
      auto i = gates.topRows(N).array();
      auto f = gates.middleRows(N, N).array();
      auto g = gates.middleRows(2 * N, N).array();
      auto o = gates.bottomRows(N).array();
      i = sigmoid(i);
      f = sigmoid(f);
      g = Phi<A>::value(g);
      o = sigmoid(o);
      auto S_next = cache.states.middleCols(col + B, B);
      auto c_next = S_next.bottomRows(N).array();
      auto tc = cache.extra.middleCols(col, B).array();
      c_next = f * S.bottomRows(N).array() + i * g;
      tc = Phi<A>::value(c_next);
      S_next.topRows(N).array() = o * tc;
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
    MatS& dA = cache.d_pre;  // dL/d(pre-activations), [4N, T*B]
    dA.resize(4 * N, Eigen::Index(T) * B);
    MatS dh = G_final ? MatS(G_final->topRows(N)) : MatS::Zero(N, B);
    MatS dc = G_final ? MatS(G_final->bottomRows(N)) : MatS::Zero(N, B);
    for (int k = T - 1; k >= 0; --k) {
      const Eigen::Index col = Eigen::Index(k) * B;
      // One pass per trial: its gate values are read once and stay in L1 for all its terms
      // (a pass per expression over the whole [N, B] block reread them from L2).
      for (int j = 0; j < B; ++j) {
        const Eigen::Index cj = col + j;
        auto dh_j = dh.col(j).array();
        auto dc_j = dc.col(j).array();
        if (G_h) dh_j += G_h->col(cj).array();
        const auto gates = cache.gates.col(cj);
        const auto i = gates.head(N).array();
        const auto f = gates.segment(N, N).array();
        const auto g = gates.segment(2 * N, N).array();
        const auto o = gates.tail(N).array();
        const auto tc = cache.extra.col(cj).array();
        const auto c = cache.states.col(cj).tail(N).array();
        auto dA_s = dA.col(cj);
        dc_j += dh_j * o * Phi<A>::slope(tc);
        dA_s.head(N).array() = dc_j * g * sigmoid_slope(i);
        dA_s.segment(N, N).array() = dc_j * c * sigmoid_slope(f);
        dA_s.segment(2 * N, N).array() = dc_j * i * Phi<A>::slope(g);
        dA_s.tail(N).array() = dh_j * tc * sigmoid_slope(o);
        dc_j *= f;
      }
      assign_product(dh, p.W_hh.transpose(), dA.middleCols(col, B));
    }
    if (G_S0) {
      G_S0->resize(2 * N, B);
      G_S0->topRows(N) = dh;
      G_S0->bottomRows(N) = dc;
    }
    if (G_X) input_gradient<Scalar>(p.W_ih, dA, *G_X);
    if (g_theta) {
      GradViews<Scalar> grad(g_theta, 4 * N, this->n_input_, N, true);
      accumulate_param_gradients<Scalar>(
          dA, nullptr, 0, cache.states.leftCols(Eigen::Index(T) * B).topRows(N), X, grad);
    }
  }

  // c' = f c + i g and h' = o phi(c'). With C = dc'/dh = diag(c sigma'(f)) W_hf +
  // diag(g sigma'(i)) W_hi + diag(i phi'(g)) W_hg and k = o phi'(c'), the blocks of J over [h; c]:
  //   dh'/dh = diag(phi(c') sigma'(o)) W_ho + diag(k) C,  dh'/dc = diag(k f),
  //   dc'/dh = C,                                        dc'/dc = diag(f);
  // B likewise, with W_i* in place of W_h*.
  template <Activation A>
  void jacobians_impl(const Scalar* theta,
                      const Eigen::Ref<const VecS>& s,
                      const SequenceCache<Scalar>& step,
                      MatS& J,
                      MatS* B) const {
    const ParamViews<Scalar> p = views(theta);
    const int N = this->n_hidden_;
    const auto gates = step.gates.col(0);
    const auto i = gates.head(N).array();
    const auto f = gates.segment(N, N).array();
    const auto g = gates.segment(2 * N, N).array();
    const auto o = gates.tail(N).array();
    const auto tc = step.extra.col(0).array();
    const VecS d_i = (g * sigmoid_slope(i)).matrix();
    const VecS d_f = (s.tail(N).array() * sigmoid_slope(f)).matrix();
    const VecS d_g = (i * Phi<A>::slope(g)).matrix();
    const VecS d_o = (tc * sigmoid_slope(o)).matrix();
    const VecS k = (o * Phi<A>::slope(tc)).matrix();
    // [dh'; dc'] with respect to one of h or x, from the weights W [4N, n] acting on it.
    auto fill = [&](const ConstRowMap<Scalar>& W, auto&& dh, auto&& dc) {
      scaled_gate_rows(W, {&d_i, &d_f, &d_g, nullptr}, dc);
      scaled_gate_rows(W, {nullptr, nullptr, nullptr, &d_o}, dh);
      dh += k.asDiagonal() * dc;
    };
    J.resize(2 * N, 2 * N);
    fill(p.W_hh, J.topLeftCorner(N, N), J.bottomLeftCorner(N, N));
    J.rightCols(N).setZero();
    J.topRightCorner(N, N).diagonal() = (k.array() * f).matrix();
    J.bottomRightCorner(N, N).diagonal() = f.matrix();
    if (B) {
      B->resize(2 * N, this->n_input_);
      fill(p.W_ih, B->topRows(N), B->bottomRows(N));
    }
  }
};

}  // namespace

template <typename Scalar>
std::unique_ptr<Cell<Scalar>> make_lstm_cell(Activation activation, int n_input, int n_hidden) {
  return std::make_unique<LstmCell<Scalar>>(activation, n_input, n_hidden);
}
template std::unique_ptr<Cell<float>> make_lstm_cell<float>(Activation, int, int);
template std::unique_ptr<Cell<double>> make_lstm_cell<double>(Activation, int, int);

}  // namespace rnnatlas
