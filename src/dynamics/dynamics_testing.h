// Networks with known dynamics, shared by the dynamics tests.
#pragma once

#include <Eigen/Core>
#include <cmath>

#include "rnnatlas/models/network.h"

namespace rnnatlas::testing {

/// Vanilla network h' = phi(W h) with one (unused, zero-weight) input and no biases.
inline Network recurrent_only(Activation activation, const Eigen::MatrixXd& W_hh) {
  Architecture arch;
  arch.cell = CellKind::kVanilla;
  arch.activation = activation;
  arch.n_input = 1;
  arch.n_hidden = static_cast<int>(W_hh.rows());
  arch.n_output = 1;
  Network network(arch, /*seed=*/1);
  network.set_parameters(Eigen::VectorXd::Zero(network.n_params()));
  network.set_parameter("weight_hh_l0", W_hh);
  return network;
}

/// tanh network with W_hh = a I: 3^N fixed points, each coordinate 0 or +/- x*, x* = tanh(a x*).
inline Network scaled_identity_tanh(int n_hidden, double a) {
  return recurrent_only(Activation::kTanh, a * Eigen::MatrixXd::Identity(n_hidden, n_hidden));
}

/// The positive root of x = tanh(a x) for a > 1, by fixed-point iteration (a contraction there).
inline double tanh_fixed_point(double a) {
  double x = 1.0;
  for (int i = 0; i < 500; ++i) x = std::tanh(a * x);
  return x;
}

/// r R(theta): rotation by theta scaled by r.
inline Eigen::MatrixXd rotation_scaling(double r, double theta) {
  Eigen::MatrixXd W(2, 2);
  W << std::cos(theta), -std::sin(theta), std::sin(theta), std::cos(theta);
  return r * W;
}

}  // namespace rnnatlas::testing
