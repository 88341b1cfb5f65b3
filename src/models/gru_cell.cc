// GRU, as torch.nn.GRU (gate order r, z, n):
//   r = sigma(W_ir x + b_ir + W_hr h + b_hr),  z = sigma(W_iz x + b_iz + W_hz h + b_hz)
//   n = phi(W_in x + b_in + r * (W_hn h + b_hn)),  h' = (1 - z) * n + z * h
#include "models/cell_impl.h"

namespace rnnatlas {
namespace {

using namespace internal;

template <typename Scalar>
class GruCell final : public DispatchingCell<GruCell<Scalar>, Scalar> {
 public:
  using MatS = Mat<Scalar>;
  using VecS = Vec<Scalar>;
  using DispatchingCell<GruCell<Scalar>, Scalar>::DispatchingCell;

  CellKind kind() const override { return CellKind::kGru; }
  int n_gates() const override { return 3; }

 private:
  friend DispatchingCell<GruCell<Scalar>, Scalar>;

  ParamViews<Scalar> views(const Scalar* theta) const {
    return ParamViews<Scalar>(theta, 3 * this->n_hidden_, this->n_input_, this->n_hidden_, true);
  }

  // cache.gates [3N, T*B] holds r, z, n; cache.extra [N, T*B] holds W_hn h + b_hn.
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
    cache.gates.resize(3 * N, Eigen::Index(n_time) * B);
    cache.extra.resize(N, Eigen::Index(n_time) * B);
    MatS& Q = cache.scratch;  // W_hh h + b_hh for one step, [3N, B]
    Q.resize(3 * N, B);
    for (int k = 0; k < n_time; ++k) {
      const Eigen::Index col = Eigen::Index(k) * B;
      const auto h = cache.states.middleCols(col, B);
      fill_columns(Q, p.b_hh);
      add_product(Q, p.W_hh, h);
      auto gates = cache.gates.middleCols(col, B);
      project(X.middleCols(col, B), gates);
      auto r = gates.topRows(N).array();
      auto z = gates.middleRows(N, N).array();
      auto n = gates.bottomRows(N).array();
      r = sigmoid(r + Q.topRows(N).array());
      z = sigmoid(z + Q.middleRows(N, N).array());
      auto hn = cache.extra.middleCols(col, B);
      hn = Q.bottomRows(N);
      n = Phi<A>::value(n + r * hn.array());
      cache.states.middleCols(col + B, B).array() = (Scalar(1) - z) * n + z * h.array();
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
    MatS& dQ = cache.d_pre;      // dL/d(W_hh h + b_hh), [3N, T*B]
    MatS& dP_n = cache.scratch;  // dL/d(W_in x + b_in), [N, T*B]; the r, z rows equal dQ's
    dQ.resize(3 * N, Eigen::Index(T) * B);
    dP_n.resize(N, Eigen::Index(T) * B);
    MatS dh = G_final ? *G_final : MatS::Zero(N, B);
    MatS dh_prev(N, B);
    for (int k = T - 1; k >= 0; --k) {
      const Eigen::Index col = Eigen::Index(k) * B;
      // One pass per trial: its gate values are read once and stay in L1 for all its terms
      // (a pass per expression over the whole [N, B] block reread them from L2).
      for (int j = 0; j < B; ++j) {
        const Eigen::Index cj = col + j;
        auto dh_j = dh.col(j).array();
        if (G_h) dh_j += G_h->col(cj).array();
        const auto gates = cache.gates.col(cj);
        const auto r = gates.head(N).array();
        const auto z = gates.segment(N, N).array();
        const auto n = gates.tail(N).array();
        const auto hn = cache.extra.col(cj).array();
        const auto h = cache.states.col(cj).array();
        auto dq = dQ.col(cj);
        auto dA_n = dP_n.col(cj).array();
        dA_n = dh_j * (Scalar(1) - z) * Phi<A>::slope(n);
        dq.segment(N, N).array() = dh_j * (h - n) * sigmoid_slope(z);
        dq.head(N).array() = dA_n * hn * sigmoid_slope(r);
        dq.tail(N).array() = dA_n * r;
        dh_prev.col(j).array() = dh_j * z;
      }
      add_product(dh_prev, p.W_hh.transpose(), dQ.middleCols(col, B));
      dh.swap(dh_prev);
    }
    if (G_S0) *G_S0 = dh;
    if (G_X) {
      input_gradient<Scalar>(p.W_ih.topRows(2 * N), dQ.topRows(2 * N), *G_X);
      add_product(*G_X, p.W_ih.bottomRows(N).transpose(), dP_n);
    }
    if (g_theta) {
      GradViews<Scalar> g(g_theta, 3 * N, this->n_input_, N, true);
      accumulate_param_gradients<Scalar>(dQ, &dP_n, 2 * N,
                                         cache.states.leftCols(Eigen::Index(T) * B), X, g);
    }
  }

  // h' = (1 - z) n + z h. With d_n, d_z, d_r the derivatives of h' with respect to the
  // pre-activations of n, z and r (n's taken before the product with r):
  //   J = diag(z) + diag(d_r) W_hr + diag(d_z) W_hz + diag(d_n r) W_hn,
  //   B = diag(d_r) W_ir + diag(d_z) W_iz + diag(d_n) W_in.
  template <Activation A>
  void jacobians_impl(const Scalar* theta,
                      const Eigen::Ref<const VecS>& s,
                      const SequenceCache<Scalar>& step,
                      MatS& J,
                      MatS* B) const {
    const ParamViews<Scalar> p = views(theta);
    const int N = this->n_hidden_;
    const auto gates = step.gates.col(0);
    const auto r = gates.head(N).array();
    const auto z = gates.segment(N, N).array();
    const auto n = gates.tail(N).array();
    const VecS d_n = ((Scalar(1) - z) * Phi<A>::slope(n)).matrix();
    const VecS d_z = ((s.array() - n) * sigmoid_slope(z)).matrix();
    const VecS d_r = (d_n.array() * step.extra.col(0).array() * sigmoid_slope(r)).matrix();
    const VecS d_n_r = (d_n.array() * r).matrix();
    scaled_gate_rows(p.W_hh, {&d_r, &d_z, &d_n_r}, J);
    J.diagonal() += z.matrix();
    if (B) scaled_gate_rows(p.W_ih, {&d_r, &d_z, &d_n}, *B);
  }
};

}  // namespace

template <typename Scalar>
std::unique_ptr<Cell<Scalar>> make_gru_cell(Activation activation, int n_input, int n_hidden) {
  return std::make_unique<GruCell<Scalar>>(activation, n_input, n_hidden);
}
template std::unique_ptr<Cell<float>> make_gru_cell<float>(Activation, int, int);
template std::unique_ptr<Cell<double>> make_gru_cell<double>(Activation, int, int);

}  // namespace rnnatlas
