// Vanilla RNN, as torch.nn.RNN: h' = phi(W_ih x + b_ih + W_hh h + b_hh).
#include "models/cell_impl.h"

namespace rnnatlas {
namespace {

using namespace internal;

template <typename Scalar>
class VanillaCell final : public DispatchingCell<VanillaCell<Scalar>, Scalar> {
 public:
  using MatS = Mat<Scalar>;
  using VecS = Vec<Scalar>;
  using DispatchingCell<VanillaCell<Scalar>, Scalar>::DispatchingCell;

  CellKind kind() const override { return CellKind::kVanilla; }
  int n_gates() const override { return 1; }

 private:
  friend DispatchingCell<VanillaCell<Scalar>, Scalar>;

  ParamViews<Scalar> views(const Scalar* theta) const {
    return ParamViews<Scalar>(theta, this->n_hidden_, this->n_input_, this->n_hidden_, true);
  }

  template <Activation A>
  void forward_impl(const Scalar* theta,
                    const Eigen::Ref<const MatS>& X,
                    const Eigen::Ref<const MatS>& S0,
                    int n_time,
                    SequenceCache<Scalar>& cache) const {
    const ParamViews<Scalar> p = views(theta);
    const int B = begin_forward(*this, X, S0, n_time, cache);
    const InputProjection<Scalar> project(p.W_ih, p.b_ih + p.b_hh);
    cache.gates.resize(this->n_hidden_, Eigen::Index(n_time) * B);
    for (int k = 0; k < n_time; ++k) {
      auto a = cache.gates.middleCols(Eigen::Index(k) * B, B);
      project(X.middleCols(Eigen::Index(k) * B, B), a);
      add_product(a, p.W_hh, cache.states.middleCols(Eigen::Index(k) * B, B));
      cache.states.middleCols(Eigen::Index(k + 1) * B, B) = Phi<A>::value(a.array());
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
    MatS& dA = cache.d_pre;
    dA.resize(N, Eigen::Index(T) * B);
    MatS dh = G_final ? *G_final : MatS::Zero(N, B);
    for (int k = T - 1; k >= 0; --k) {
      const Eigen::Index col = Eigen::Index(k) * B;
      if (G_h) dh += G_h->middleCols(col, B);
      auto dA_k = dA.middleCols(col, B);
      dA_k.array() = dh.array() * Phi<A>::slope(cache.states.middleCols(col + B, B).array());
      assign_product(dh, p.W_hh.transpose(), dA_k);
    }
    if (G_S0) *G_S0 = dh;
    if (G_X) input_gradient<Scalar>(p.W_ih, dA, *G_X);
    if (g_theta) {
      GradViews<Scalar> g(g_theta, N, this->n_input_, N, true);
      accumulate_param_gradients<Scalar>(dA, nullptr, 0, cache.states.leftCols(Eigen::Index(T) * B),
                                         X, g);
    }
  }

  // h' = phi(a): J = diag(phi'(a)) W_hh, B = diag(phi'(a)) W_ih.
  template <Activation A>
  void jacobians_impl(const Scalar* theta,
                      const Eigen::Ref<const VecS>& /*s*/,
                      const SequenceCache<Scalar>& step,
                      MatS& J,
                      MatS* B) const {
    const ParamViews<Scalar> p = views(theta);
    const VecS d = Phi<A>::slope(step.states.col(1).array()).matrix();
    scaled_gate_rows(p.W_hh, {&d}, J);
    if (B) scaled_gate_rows(p.W_ih, {&d}, *B);
  }
};

}  // namespace

template <typename Scalar>
std::unique_ptr<Cell<Scalar>> make_vanilla_cell(Activation activation, int n_input, int n_hidden) {
  return std::make_unique<VanillaCell<Scalar>>(activation, n_input, n_hidden);
}
template std::unique_ptr<Cell<float>> make_vanilla_cell<float>(Activation, int, int);
template std::unique_ptr<Cell<double>> make_vanilla_cell<double>(Activation, int, int);

}  // namespace rnnatlas
