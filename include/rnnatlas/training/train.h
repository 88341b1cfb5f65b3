// Training one network by backpropagation through time.
//
// Loss per minibatch (masked mean squared error plus L2 on the recurrent cell's weight matrices):
//   L = sum_{o,t,b} m (y - y*)^2 / sum m  +  l2 * (||W_ih||_F^2 + ||W_hh||_F^2)
// Optimiser: Adam (Kingma & Ba 2015) with bias correction; the global gradient norm is clipped to
// gradient_clip_norm before the update; the learning rate decays as
//   lr_i = learning_rate * lr_decay_rate^(i / lr_decay_steps)
// Every iteration draws fresh trials: iteration i uses task.sample(n_batch, trial seed (seed, i)).
// Held-out evaluation uses eval_seed, which by default is the same for every network so that a
// whole population is evaluated on identical trials.
//
// A run can be stopped and continued: TrainOptions::stop ends it between iterations, and the
// TrainState handed to TrainOptions::checkpoint (every checkpoint_every iterations and when
// stopped) continues it through train(options, task, network, &state) to the same weights, bit for
// bit, as a run that was never stopped.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "rnnatlas/models/network.h"
#include "rnnatlas/schema.h"
#include "rnnatlas/tasks/task.h"

namespace rnnatlas {

/// Reported to TrainOptions::progress every progress_every iterations and at the end.
struct TrainProgress {
  int iteration = 0;     ///< iterations done
  int n_iterations = 0;  ///< total
  double loss = 0.0;     ///< last minibatch loss
  double learning_rate = 0.0;
  double seconds = 0.0;     ///< since this call of train() started
  int first_iteration = 0;  ///< iterations already done when this call started (resumed runs)
};

/// Everything a run needs to continue after `n_iterations_done` iterations as if it had never
/// stopped: the optimiser's position (parameters, Adam moments; the step and the learning-rate
/// schedule follow from n_iterations_done), the losses so far (the divergence test uses the
/// first ten), and the parameters before the last update (kept if the next loss diverges).
struct TrainState {
  int n_iterations_done = 0;
  Vec<float> parameters;             ///< the network's parameters after the last update
  Vec<float> previous_parameters;    ///< before the last update (equal to parameters at 0)
  Vec<float> adam_m;                 ///< Adam's first moment
  Vec<float> adam_v;                 ///< Adam's second moment
  std::vector<double> loss_history;  ///< one loss per iteration done
  double seconds = 0.0;              ///< training time spent so far
};

struct TrainOptions {
  // Schedule ------------------------------------------------------------------------------
  int n_iterations = 2000;  ///< minibatch updates, >= 1
  int n_batch = 128;        ///< trials per minibatch, >= 1
  // Optimiser -----------------------------------------------------------------------------
  double learning_rate = 1e-3;       ///< Adam step size, > 0
  double adam_beta1 = 0.9;           ///< in [0, 1)
  double adam_beta2 = 0.999;         ///< in [0, 1)
  double adam_epsilon = 1e-8;        ///< > 0
  double lr_decay_rate = 1.0;        ///< in (0, 1]; 1 = constant learning rate
  int lr_decay_steps = 1000;         ///< >= 1
  double gradient_clip_norm = 10.0;  ///< global norm bound; <= 0 disables clipping
  double l2 = 0.0;                   ///< weight of ||W_ih||^2 + ||W_hh||^2, >= 0
  // Failure detection -----------------------------------------------------------------------
  /// Training stops as diverged when the loss is not finite or exceeds divergence_factor times the
  /// largest of the first 10 losses. > 1.
  double divergence_factor = 1e4;
  // Randomness and evaluation -----------------------------------------------------------------
  std::uint64_t seed = 0;              ///< stream of training trials (not the weights' seed)
  std::uint64_t eval_seed = 20190719;  ///< stream of held-out trials
  int n_eval_batch = 256;              ///< held-out trials, >= 1
  // Reporting ------------------------------------------------------------------------------
  int progress_every = 10;  ///< iterations between progress callbacks, >= 1
  std::function<void(const TrainProgress&)> progress;  ///< optional; called on this thread
  // Stopping and continuing -------------------------------------------------------------------
  /// Optional; read before every iteration. Once it holds true, training stops there with
  /// Termination::kInterrupted. Setting it from a signal handler is safe (a lock-free atomic).
  const std::atomic<bool>* stop = nullptr;
  /// Iterations between calls of `checkpoint`, >= 0; 0 calls it only when training is stopped.
  int checkpoint_every = 0;
  /// Optional; called on this thread with the state after every checkpoint_every iterations
  /// (not after the last one: the run is then finished) and when `stop` ends the run.
  std::function<void(const TrainState&)> checkpoint;

  /// Throws InvalidArgument naming the first field that breaks its rule.
  void validate() const;
  /// Every field but the callbacks and `stop`, with its rule and help (rnnatlas/schema.h). The
  /// kStored fields are written into a trained network's file; the kSettable ones are the
  /// [training] keys of a config, the flags of `rnnatlas train` and the keywords of
  /// rnnatlas.train_options.
  static const Schema<TrainOptions>& schema();
};

/// Held-out performance of a network on a task.
struct EvalMetrics {
  double mse = std::numeric_limits<double>::quiet_NaN();             ///< masked mean squared error
  double normalized_mse = std::numeric_limits<double>::quiet_NaN();  ///< mse / masked var(target)
  /// Fraction of scored (channel, step, trial) entries where sign(y) = sign(target); NaN for tasks
  /// whose targets are not signs.
  double sign_accuracy = std::numeric_limits<double>::quiet_NaN();
  int n_trials = 0;
};

struct TrainSummary {
  Termination termination = Termination::kNotRun;
  std::string message = "train() was not called.";
  int n_iterations_done = 0;
  std::vector<double> loss_history;  ///< one entry per iteration done
  EvalMetrics eval;                  ///< held-out metrics of the returned parameters
  double seconds = 0.0;              ///< wall time of the training loop
  /// One line for logs and the CLI.
  std::string brief_report() const;
};

/// Trains `network` in place on fresh trials of `task`. Throws InvalidArgument for invalid options
/// or a task whose input/output sizes differ from the network's. Divergence is not an exception:
/// the summary says kDiverged, and the network keeps the last parameters whose loss was finite.
/// A run stopped through options.stop ends as kInterrupted with the network at its last
/// parameters and no held-out evaluation (eval stays NaN).
/// Training runs on the calling thread only; results are bit-identical for the same inputs.
///
/// With `resume` (a state handed to options.checkpoint by an earlier call with the same options,
/// task and architecture), training continues from it: the network's parameters are replaced by
/// the state's, and the returned summary covers the whole run, loss history included. Throws
/// InvalidArgument when the state does not fit the network or is past options.n_iterations.
TrainSummary train(const TrainOptions& options,
                   const Task& task,
                   Network& network,
                   const TrainState* resume = nullptr);

/// Evaluates `network` on `n_batch` trials of stream `seed`.
EvalMetrics evaluate(const Network& network, const Task& task, int n_batch, std::uint64_t seed);

/// Masked MSE of outputs against a batch, and its gradient dL/dy (when non-null), in Scalar.
/// outputs, grad: [n_output, n_time * n_batch].
template <typename Scalar>
double masked_mse(const Mat<Scalar>& outputs, const TrialBatch& batch, Mat<Scalar>* grad);

}  // namespace rnnatlas
