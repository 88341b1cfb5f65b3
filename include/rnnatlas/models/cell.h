// Recurrent cells: the update S' = F(S, X; theta), its BPTT backward pass and its Jacobians.
//
// Equations (phi = the activation, sigma = logistic; PyTorch's nn.RNN / nn.GRU / nn.LSTM exactly):
//   vanilla  h' = phi(W_ih x + b_ih + W_hh h + b_hh)
//   gru      r = sigma(W_ir x + b_ir + W_hr h + b_hr), z = sigma(W_iz x + b_iz + W_hz h + b_hz),
//            n = phi(W_in x + b_in + r * (W_hn h + b_hn)),  h' = (1 - z) * n + z * h
//   lstm     i, f, o = sigma(W_i* x + b_i* + W_h* h + b_h*),  g = phi(W_ig x + b_ig + W_hg h +
//   b_hg)
//            c' = f * c + i * g,  h' = o * phi(c');  the state is S = [h; c] (n_state = 2 n_hidden)
//   ugrnn    g = sigma(W_ig x + W_hg h + b_g),  c = phi(W_ic x + W_hc h + b_c),  h' = g * h + (1 -
//   g) * c
//            (Collins, Sohl-Dickstein & Sussillo 2017)
// For LSTM, `phi` also replaces tanh in the cell candidate g and in h' = o * phi(c'), as PyTorch's
// tanh does; the gates always use sigma.
//
// Parameters theta are one flat array: the PyTorch tensors, each flattened row-major (C order), in
// the order of parameters(); gate blocks are stacked in PyTorch's order (gru: r, z, n; lstm:
// i, f, g, o; ugrnn: g, c). A Cell holds only sizes and the activation, never weights, so one Cell
// serves any number of networks, and every method is const and thread-safe.
//
// Scalar is float for training and double for analysis: one template, two instantiations.
#pragma once

#include <Eigen/Core>
#include <memory>
#include <string>
#include <vector>

#include "rnnatlas/types.h"

namespace rnnatlas {

template <typename Scalar>
using Mat = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;
template <typename Scalar>
using Vec = Eigen::Matrix<Scalar, Eigen::Dynamic, 1>;

/// One named parameter tensor inside a flat parameter array.
struct ParameterInfo {
  std::string name;  ///< PyTorch name: weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, ...
  int rows = 0;      ///< a bias has cols == 1 and is a 1-D tensor [rows]
  int cols = 0;
  int offset = 0;  ///< into the flat array
  bool is_bias = false;
  int size() const { return rows * cols; }
};

/// What forward() keeps for backward(). Reused across calls: buffers grow, never shrink, so a
/// training loop allocates only on its first iteration.
template <typename Scalar>
struct SequenceCache {
  int n_time = 0;
  int n_batch = 0;
  /// [n_state, (n_time + 1) * n_batch]: block t (columns t*n_batch ...) is S_t; block 0 is S_0.
  Mat<Scalar> states;
  /// Per-cell activations saved for backward ([n_gates * n_hidden, n_time * n_batch]).
  Mat<Scalar> gates;
  /// Per-cell extra storage (GRU: W_hn h + b_hn; LSTM: phi(c')).
  Mat<Scalar> extra;
  /// Scratch used by backward(): gradients w.r.t. the gate pre-activations.
  Mat<Scalar> d_pre;
  Mat<Scalar> scratch;
};

template <typename Scalar>
class Cell {
 public:
  using MatS = Mat<Scalar>;
  using VecS = Vec<Scalar>;

  Cell(Activation activation, int n_input, int n_hidden);
  virtual ~Cell() = default;

  virtual CellKind kind() const = 0;
  Activation activation() const { return activation_; }
  int n_input() const { return n_input_; }
  int n_hidden() const { return n_hidden_; }
  /// n_hidden, or 2 n_hidden for LSTM ([h; c]).
  virtual int n_state() const { return n_hidden_; }
  /// Rows of W_ih / W_hh: n_hidden times the number of gate blocks.
  virtual int n_gates() const = 0;
  /// Length of theta.
  int n_params() const;
  /// Names, shapes and offsets of the tensors in theta, in storage order.
  virtual std::vector<ParameterInfo> parameters() const;

  /// Runs n_time steps for a batch. X: [n_input, n_time * n_batch], column t*n_batch + b (see
  /// TrialBatch); S0: [n_state, n_batch]. Fills cache.states (S_1..S_T after S_0) and what backward
  /// needs. n_time = 1 is a single batched step.
  virtual void forward(const Scalar* theta,
                       const Eigen::Ref<const MatS>& X,
                       const Eigen::Ref<const MatS>& S0,
                       int n_time,
                       SequenceCache<Scalar>& cache) const = 0;

  /// Backpropagation through the n_time steps of the last forward() on `cache`.
  /// G_h: [n_hidden, n_time * n_batch], dL/dh_t for t = 1..T through paths other than the
  /// recurrence
  ///      (the readout), or nullptr for none;
  /// G_final: [n_state, n_batch], dL/dS_T, or nullptr for none.
  /// ADDS dL/dtheta to g_theta[0 .. n_params) unless g_theta is null; writes dL/dS_0 to *G_S0 and
  /// dL/dX to *G_X when non-null (resized as needed). X must be the same as in forward().
  virtual void backward(const Scalar* theta,
                        const Eigen::Ref<const MatS>& X,
                        SequenceCache<Scalar>& cache,
                        const MatS* G_h,
                        const MatS* G_final,
                        Scalar* g_theta,
                        MatS* G_S0,
                        MatS* G_X) const = 0;

  /// The Jacobians of one step at state s [n_state] and input x [n_input]:
  /// J = dF/ds [n_state, n_state] and, when B is non-null, dF/dx [n_state, n_input].
  /// Exact, from the cell's equations: after a forward step of the one state, every block of J is
  /// a sum of row-scaled blocks of W_hh plus a diagonal (B: of W_ih), so the cost is O(n_state^2),
  /// not the O(n_state^3) of a backward() seeded with the identity (which gives the same matrix).
  void jacobians(const Scalar* theta,
                 const Eigen::Ref<const VecS>& s,
                 const Eigen::Ref<const VecS>& x,
                 MatS& J,
                 MatS* B) const;

 protected:
  /// jacobians() after its argument checks.
  virtual void step_jacobians(const Scalar* theta,
                              const Eigen::Ref<const VecS>& s,
                              const Eigen::Ref<const VecS>& x,
                              MatS& J,
                              MatS* B) const = 0;

  Activation activation_;
  int n_input_;
  int n_hidden_;
};

/// Builds the cell. Throws InvalidArgument for n_input < 1 or n_hidden < 1.
template <typename Scalar>
std::unique_ptr<Cell<Scalar>> make_cell(CellKind kind,
                                        Activation activation,
                                        int n_input,
                                        int n_hidden);

extern template class Cell<float>;
extern template class Cell<double>;

}  // namespace rnnatlas
