// Test helpers: the training recipe with which every architecture learns the 3-bit flip-flop at a
// small size. train_convergence_test asserts that it does (held-out normalized MSE < 0.01);
// trained_flip_flop_test analyses the networks it gives.
#pragma once

#include <memory>

#include "rnnatlas/models/network.h"
#include "rnnatlas/tasks/tasks.h"
#include "rnnatlas/training/train.h"

namespace rnnatlas::testing {

/// The 3-bit flip-flop with trials of 50 steps.
inline std::unique_ptr<Task> recipe_flip_flop() {
  FlipFlopOptions options;
  options.n_time = 50;
  return make_flip_flop(options);
}

/// A fresh network of the recipe: 32 units, tanh, seed 1.
inline Network recipe_network(CellKind cell) {
  return Network(Architecture{cell, Activation::kTanh, 3, 32, 3}, /*seed=*/1);
}

/// 1500 Adam updates of 64 trials, learning rate 1e-2 halved every 500 updates, clipping at 1,
/// held-out evaluation on 256 trials; no L2 unless the caller sets it.
inline TrainOptions recipe_train_options() {
  TrainOptions options;
  options.n_iterations = 1500;
  options.n_batch = 64;
  options.learning_rate = 1e-2;
  options.lr_decay_rate = 0.5;
  options.lr_decay_steps = 500;
  options.gradient_clip_norm = 1.0;
  options.n_eval_batch = 256;
  return options;
}

}  // namespace rnnatlas::testing
