#include "rnnatlas/training/train.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "common/random.h"
#include "rnnatlas/error.h"
#include "training/objective.h"

namespace rnnatlas {
namespace {

// Domain tag that keeps training-trial seeds apart from every other use of the seed.
constexpr std::uint64_t kTrainTrialDomain = 0x7472616e;  // "tran"

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

namespace {

using Field = OptionField<TrainOptions>;
using T = TrainOptions;

// The order is the order of the stored record and of --help.
constexpr Field kTrainFields[] = {
    {"n_iterations", &T::n_iterations, Rule::at_least(1), "minibatch updates"},
    {"n_batch", &T::n_batch, Rule::at_least(1), "trials per minibatch"},
    {"learning_rate", &T::learning_rate, Rule::greater_than(0).and_finite(), "Adam step size"},
    {"adam_beta1", &T::adam_beta1, Rule::in_closed_open(0, 1), "Adam's decay of the mean"},
    {"adam_beta2", &T::adam_beta2, Rule::in_closed_open(0, 1),
     "Adam's decay of the squared gradient"},
    {"adam_epsilon", &T::adam_epsilon, Rule::greater_than(0).and_finite(),
     "Adam's offset of the denominator"},
    {"lr_decay_rate", &T::lr_decay_rate, Rule::in_open_closed(0, 1),
     "decay of the learning rate, lr_i = learning_rate * lr_decay_rate^(i / lr_decay_steps); "
     "1 = constant"},
    {"lr_decay_steps", &T::lr_decay_steps, Rule::at_least(1),
     "iterations over which the learning rate decays by lr_decay_rate"},
    {"gradient_clip_norm", &T::gradient_clip_norm, Rule::number().noting("<= 0 disables"),
     "bound on the global gradient norm"},
    {"l2", &T::l2, Rule::at_least(0).and_finite(), "weight of ||W_ih||^2 + ||W_hh||^2 in the loss"},
    {"divergence_factor", &T::divergence_factor,
     Rule::greater_than(1).noting("inf = only a non-finite loss or gradient stops"),
     "diverged when the loss > this x the largest of the first 10 losses"},
    {"seed", &T::seed, Rule::none(), "seed of the training trials (not of the weights)"},
    {"eval_seed", &T::eval_seed, Rule::none(), "seed of the held-out trials"},
    {"n_eval_batch", &T::n_eval_batch, Rule::at_least(1), "held-out trials of the final metrics"},
    {"progress_every", &T::progress_every, Rule::at_least(1),
     "iterations between progress callbacks", kStored},
    {"checkpoint_every", &T::checkpoint_every, Rule::at_least(0).noting("0 = only when stopped"),
     "iterations between checkpoints", 0},
};

}  // namespace

const Schema<TrainOptions>& TrainOptions::schema() {
  static constexpr Schema<TrainOptions> kSchema{kTrainFields};
  return kSchema;
}

void TrainOptions::validate() const { schema().validate(*this); }

std::string TrainSummary::brief_report() const {
  char buf[256];
  const double last = loss_history.empty() ? std::nan("") : loss_history.back();
  std::snprintf(buf, sizeof buf,
                "%s after %d iterations in %.1f s: final loss %.4g, held-out normalized MSE %.4g",
                std::string(to_string(termination)).c_str(), n_iterations_done, seconds, last,
                eval.normalized_mse);
  std::string out = buf;
  if (!std::isnan(eval.sign_accuracy)) {
    std::snprintf(buf, sizeof buf, ", sign accuracy %.4f", eval.sign_accuracy);
    out += buf;
  }
  return out;
}

template <typename Scalar>
double masked_mse(const Mat<Scalar>& outputs, const TrialBatch& batch, Mat<Scalar>* grad) {
  RNNATLAS_CHECK_ARG(
      outputs.rows() == batch.targets.rows() && outputs.cols() == batch.targets.cols(),
      "outputs have shape [" << outputs.rows() << ", " << outputs.cols() << "], targets ["
                             << batch.targets.rows() << ", " << batch.targets.cols() << "]");
  const double n_scored = batch.mask.sum();
  if (grad) grad->resize(outputs.rows(), outputs.cols());
  if (n_scored <= 0) {
    if (grad) grad->setZero();
    return 0.0;
  }
  // One pass, no temporaries: accumulated in double whatever Scalar is.
  const double scale = 2.0 / n_scored;
  double sum = 0;
  for (Eigen::Index j = 0; j < outputs.cols(); ++j) {
    for (Eigen::Index i = 0; i < outputs.rows(); ++i) {
      const double d =
          (static_cast<double>(outputs(i, j)) - batch.targets(i, j)) * batch.mask(i, j);
      sum += d * d;
      if (grad) (*grad)(i, j) = static_cast<Scalar>(scale * d);
    }
  }
  return sum / n_scored;
}

template double masked_mse<float>(const Mat<float>&, const TrialBatch&, Mat<float>*);
template double masked_mse<double>(const Mat<double>&, const TrialBatch&, Mat<double>*);

EvalMetrics evaluate(const Network& network, const Task& task, int n_batch, std::uint64_t seed) {
  RNNATLAS_CHECK_ARG(n_batch >= 1, "n_eval_batch = " << n_batch << ": must be >= 1");
  const Architecture& arch = network.architecture();
  RNNATLAS_CHECK_ARG(task.n_input() == arch.n_input && task.n_output() == arch.n_output,
                     "task '" << task.name() << "' has " << task.n_input() << " inputs and "
                              << task.n_output() << " outputs, the network " << arch.n_input
                              << " and " << arch.n_output);
  const TrialBatch batch = task.sample(n_batch, seed);
  const Network::Trajectory run = network.run(batch.inputs, n_batch);
  EvalMetrics m;
  m.n_trials = n_batch;
  m.mse = masked_mse<double>(run.outputs, batch, nullptr);
  const double n_scored = batch.mask.sum();
  if (n_scored > 0) {
    const double mean = (batch.targets.array() * batch.mask.array()).sum() / n_scored;
    const double var =
        ((batch.targets.array() - mean).square() * batch.mask.array()).sum() / n_scored;
    m.normalized_mse = var > 0 ? m.mse / var : std::numeric_limits<double>::infinity();
    if (task.has_sign_targets()) {
      const Eigen::ArrayXXd agree =
          ((run.outputs.array() > 0) == (batch.targets.array() > 0)).cast<double>();
      m.sign_accuracy = (agree * batch.mask.array()).sum() / n_scored;
    }
  }
  return m;
}

TrainSummary train(const TrainOptions& options,
                   const Task& task,
                   Network& network,
                   const TrainState* resume) {
  options.validate();
  const Architecture arch = network.architecture();
  RNNATLAS_CHECK_ARG(task.n_input() == arch.n_input && task.n_output() == arch.n_output,
                     "task '" << task.name() << "' has " << task.n_input() << " inputs and "
                              << task.n_output() << " outputs, but the network has n_input = "
                              << arch.n_input << " and n_output = " << arch.n_output);
  using VecF = Vec<float>;
  const auto start = std::chrono::steady_clock::now();
  const auto cell = make_cell<float>(arch.cell, arch.activation, arch.n_input, arch.n_hidden);
  internal::Objective<float> objective(*cell, arch.n_output, options.l2);
  const int n_params = network.n_params();
  RNNATLAS_ASSERT(objective.n_params() == n_params, "parameter count mismatch");

  VecF theta = network.parameters().cast<float>();
  VecF theta_good = theta;  // the last parameters whose loss was finite
  VecF grad(n_params);
  VecF adam_m = VecF::Zero(n_params), adam_v = VecF::Zero(n_params);

  TrainSummary summary;
  summary.loss_history.reserve(options.n_iterations);
  double seconds_before = 0;  // training time of the calls that came before a resumed one
  int first = 0;
  if (resume) {
    const TrainState& r = *resume;
    RNNATLAS_CHECK_ARG(r.n_iterations_done >= 0 && r.n_iterations_done <= options.n_iterations,
                       "the state to resume has n_iterations_done = "
                           << r.n_iterations_done
                           << ", outside [0, n_iterations = " << options.n_iterations << "]");
    RNNATLAS_CHECK_ARG(r.loss_history.size() == static_cast<std::size_t>(r.n_iterations_done),
                       "the state to resume has " << r.loss_history.size() << " losses for "
                                                  << r.n_iterations_done << " iterations done");
    for (const VecF* v : {&r.parameters, &r.previous_parameters, &r.adam_m, &r.adam_v}) {
      RNNATLAS_CHECK_ARG(v->size() == n_params, "the state to resume has vectors of "
                                                    << v->size() << " values; the network has "
                                                    << n_params << " parameters");
    }
    theta = r.parameters;
    theta_good = r.previous_parameters;
    adam_m = r.adam_m;
    adam_v = r.adam_v;
    summary.loss_history = r.loss_history;
    summary.n_iterations_done = r.n_iterations_done;
    seconds_before = r.seconds;
    first = r.n_iterations_done;
  }
  double loss_scale = 0;  // the largest of the first losses, for the explosion test
  for (int i = 0; i < std::min<int>(10, static_cast<int>(summary.loss_history.size())); ++i)
    loss_scale = std::max(loss_scale, summary.loss_history[i]);
  double lr = options.learning_rate;
  auto report = [&](int done, double loss) {
    if (!options.progress) return;
    options.progress(
        TrainProgress{done, options.n_iterations, loss, lr, seconds_since(start), first});
  };
  auto save_state = [&](int done) {
    if (!options.checkpoint) return;
    TrainState state;
    state.n_iterations_done = done;
    state.parameters = theta;
    state.previous_parameters = theta_good;
    state.adam_m = adam_m;
    state.adam_v = adam_v;
    state.loss_history = summary.loss_history;
    state.seconds = seconds_before + seconds_since(start);
    options.checkpoint(state);
  };

  TrialBatch batch;
  for (int it = first; it < options.n_iterations; ++it) {
    if (options.stop && options.stop->load(std::memory_order_relaxed)) {
      summary.termination = Termination::kInterrupted;
      summary.message = "interrupted after " + std::to_string(it) + " of " +
                        std::to_string(options.n_iterations) + " iterations";
      save_state(it);
      break;
    }
    task.sample_into(batch, options.n_batch,
                     internal::derive_seed(options.seed, it, kTrainTrialDomain));
    double loss = 0;
    objective.evaluate(theta.data(), batch, grad.data(), &loss);

    // Divergence: a non-finite loss or gradient, or a loss far above where training started.
    if (it < 10) loss_scale = std::max(loss_scale, loss);
    const bool finite = std::isfinite(loss) && grad.allFinite();
    if (!finite || loss > options.divergence_factor * loss_scale) {
      summary.termination = Termination::kDiverged;
      std::ostringstream ss;
      ss << "diverged at iteration " << it + 1 << ": loss "
         << (std::isnan(loss) ? std::string("NaN") : std::to_string(loss))
         << (finite ? " exceeds divergence_factor times the initial loss"
                    : " or its gradient is not finite")
         << "; the network keeps the last parameters with a finite loss. Try a lower "
            "learning_rate"
         << (finite ? ", or divergence_factor = inf to train through a transient spike"
                    : " or a tighter gradient_clip_norm")
         << ".";
      summary.message = ss.str();
      theta = theta_good;
      break;
    }
    theta_good = theta;
    summary.loss_history.push_back(loss);
    summary.n_iterations_done = it + 1;

    // Global-norm clipping, then Adam with PyTorch's bias correction.
    if (options.gradient_clip_norm > 0) {
      const double norm = grad.template cast<double>().norm();
      if (norm > options.gradient_clip_norm)
        grad *= static_cast<float>(options.gradient_clip_norm / norm);
    }
    lr = options.learning_rate *
         std::pow(options.lr_decay_rate, static_cast<double>(it) / options.lr_decay_steps);
    const double b1 = options.adam_beta1, b2 = options.adam_beta2;
    const double correction1 = 1 - std::pow(b1, it + 1);
    const double correction2 = 1 - std::pow(b2, it + 1);
    const float step = static_cast<float>(lr / correction1);
    const float inv_sqrt_c2 = static_cast<float>(1 / std::sqrt(correction2));
    const float eps = static_cast<float>(options.adam_epsilon);
    adam_m = float(b1) * adam_m + float(1 - b1) * grad;
    adam_v = float(b2) * adam_v + float(1 - b2) * grad.cwiseAbs2();
    theta.array() -= step * adam_m.array() / (adam_v.array().sqrt() * inv_sqrt_c2 + eps);

    if ((it + 1) % options.progress_every == 0 || it + 1 == options.n_iterations)
      report(it + 1, loss);
    if (options.checkpoint_every > 0 && (it + 1) % options.checkpoint_every == 0 &&
        it + 1 < options.n_iterations)
      save_state(it + 1);
  }
  if (summary.termination == Termination::kNotRun) {
    summary.termination = Termination::kCompleted;
    summary.message = "completed " + std::to_string(summary.n_iterations_done) + " iterations";
  }
  // The last update may itself have produced non-finite values; keep the last good ones then.
  if (!theta.allFinite()) theta = theta_good;
  network.set_parameters(theta.cast<double>());
  summary.seconds = seconds_before + seconds_since(start);
  if (summary.termination != Termination::kInterrupted)
    summary.eval = evaluate(network, task, options.n_eval_batch, options.eval_seed);
  return summary;
}

}  // namespace rnnatlas
