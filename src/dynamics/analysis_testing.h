// Hand-built networks that solve the study's tasks with known dynamics, shared by the tests of
// the analysis, the dynamics file and the population driver.
#pragma once

#include <Eigen/Core>
#include <cmath>

#include "rnnatlas/models/network.h"

namespace rnnatlas::testing {

/// A vanilla network with every parameter zero but W_hh, W_ih and W_out.
inline Network vanilla_network(Activation activation,
                               const Eigen::MatrixXd& W_hh,
                               const Eigen::MatrixXd& W_ih,
                               const Eigen::MatrixXd& W_out) {
  Architecture arch;
  arch.cell = CellKind::kVanilla;
  arch.activation = activation;
  arch.n_input = static_cast<int>(W_ih.cols());
  arch.n_hidden = static_cast<int>(W_hh.rows());
  arch.n_output = static_cast<int>(W_out.rows());
  Network network(arch, /*seed=*/1);
  network.set_parameters(Eigen::VectorXd::Zero(network.n_params()));
  network.set_parameter("weight_hh_l0", W_hh);
  network.set_parameter("weight_ih_l0", W_ih);
  network.set_parameter("readout.weight", W_out);
  return network;
}

/// A perfect 3-bit flip-flop: h' = tanh(2 h + 3 u), y = h. Each coordinate has the fixed points
/// 0 and +/- x* (x* = tanh(2 x*) ~ 0.9575), so the 27 points are the corners (8, stable), the
/// saddles with one zero coordinate (12, one unstable dimension) and two (6, two), and the origin
/// (three); a pulse of +/-1 on a channel sets that coordinate to +/- x*.
inline Network flip_flop_network() {
  const Eigen::MatrixXd I = Eigen::MatrixXd::Identity(3, 3);
  return vanilla_network(Activation::kTanh, 2.0 * I, 3.0 * I, I);
}

/// A linear rotation: h' = r R(theta) h + (1, 0)^T u, y = h_0. At any constant u its one fixed
/// point has the eigenvalues r e^{+/- i theta}; for r = 1 the output oscillates at exactly theta.
inline Network rotation_network(double r, double theta) {
  Eigen::MatrixXd W(2, 2);
  W << std::cos(theta), -std::sin(theta), std::sin(theta), std::cos(theta);
  Eigen::MatrixXd W_ih(2, 1), W_out(1, 2);
  W_ih << 1.0, 0.0;
  W_out << 1.0, 0.0;
  return vanilla_network(Activation::kLinear, r * W, W_ih, W_out);
}

/// A sine-wave-shaped network (1 input, unused; 1 output, y = h_0) h' = tanh(W h), whose origin
/// is a fixed point at every input. With W = 1.05 R(0.3) the origin is an unstable focus and the
/// runs from it settle on an attracting invariant curve (frequency ~0.2994 rad/step); with
/// W = [-a], a > 1, on the stable period-2 orbit c -> -c, c = tanh(a c).
inline Network autonomous_tanh_network(const Eigen::MatrixXd& W) {
  const auto n = W.rows();
  Eigen::MatrixXd W_out = Eigen::MatrixXd::Zero(1, n);
  W_out(0, 0) = 1.0;
  return vanilla_network(Activation::kTanh, W, Eigen::MatrixXd::Zero(n, 1), W_out);
}

/// A linear context-dependent integrator with a line attractor: h' = diag(1, 0.8, 0.3) h + W_ih u,
/// y = h_0 + h_1 + h_2. Stream 0 drives (1, 2, 0), stream 1 drives (1, 0, 0.5), context c
/// drives e_{1 + c}. At either context the fixed points fill the line along e_0.
inline Network line_attractor_network() {
  Eigen::MatrixXd W_ih(3, 4), W_out(1, 3);
  W_ih << 1.0, 1.0, 0.0, 0.0,  //
      2.0, 0.0, 1.0, 0.0,      //
      0.0, 0.5, 0.0, 1.0;
  W_out << 1.0, 1.0, 1.0;
  const Eigen::Vector3d lambda(1.0, 0.8, 0.3);
  return vanilla_network(Activation::kLinear, lambda.asDiagonal().toDenseMatrix(), W_ih, W_out);
}

}  // namespace rnnatlas::testing
