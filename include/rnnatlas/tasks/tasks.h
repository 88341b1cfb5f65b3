// The concrete tasks and their options. Defaults follow docs/study.md section 2.
#pragma once

#include "rnnatlas/tasks/task.h"

namespace rnnatlas {

/// n-bit flip-flop (Sussillo & Barak 2013). n_input = n_output = n_bits. At every step each input
/// channel independently gets a one-step pulse with probability pulse_probability, of sign +1 or -1
/// with equal probability (0 otherwise); the matching output channel holds the sign of the last
/// pulse on its channel (the pulse at step t already counts at step t). has_sign_targets() is true.
struct FlipFlopOptions {
  int n_bits = 3;                   ///< input = output channels, >= 1
  int n_time = 100;                 ///< steps per trial, >= 1
  double pulse_probability = 0.05;  ///< per channel per step, in [0, 1]
  bool force_initial_pulse = true;  ///< a pulse at t = 0 on every channel so the target is defined
                                    ///< from the start; when false, unscored (mask 0) until the
                                    ///< first pulse of each channel
  /// Throws InvalidArgument naming the field, its value and the allowed range.
  void validate() const;
};

/// Sine-wave generation. A static input u_j = j / n_frequencies + input_offset, held for the whole
/// trial, selects the frequency w_j = w_min + (w_max - w_min) (j - 1) / (n_frequencies - 1)
/// rad/step, j = 1..n_frequencies; the target is sin(w_j t), t = 0..n_time-1. Each trial draws j
/// uniformly. n_input = n_output = 1; the mask is all ones.
struct SineWaveOptions {
  int n_frequencies = 51;      ///< >= 1 (1 means w_min only)
  double w_min = 0.1;          ///< rad/step, > 0
  double w_max = 0.6;          ///< rad/step, >= w_min
  double input_offset = 0.25;  ///< u_j = j / n_frequencies + input_offset
  int n_time = 300;            ///< >= 1
  void validate() const;

  double frequency(int j) const;     ///< w_j; InvalidArgument unless 1 <= j <= n_frequencies
  double static_input(int j) const;  ///< u_j; same range of j
};

/// Context-dependent integration (after Mante, Sussillo et al. 2013).
/// Inputs (n_input = 4): rows 0 and 1 are the noisy evidence streams
/// s_i(t) = mu_i + noise_std * N(0, 1), with mu_i ~ U[-mu_max, mu_max] drawn per trial;
/// rows 2 and 3 are the static one-hot context: row 2 + c is 1 when stream c is selected,
/// c uniform per trial.
/// Target (n_output = 1): target_scale * sum_{t' <= t} s_c(t') for the selected stream c; the
/// other stream is ignored. target_scale <= 0 means 1 / (mu_max * n_time), which keeps |target| of
/// order 1. The mask is all ones.
struct ContextIntegrationOptions {
  int n_time = 100;           ///< >= 1
  double mu_max = 0.1;        ///< > 0
  double noise_std = 0.1;     ///< >= 0
  double target_scale = 0.0;  ///< <= 0: automatic, see above
  void validate() const;
  double effective_target_scale() const;  ///< target_scale if > 0, else 1 / (mu_max * n_time)
};

/// The tasks from typed options; each validates its options (InvalidArgument naming the field).
std::unique_ptr<Task> make_flip_flop(const FlipFlopOptions& options = {});
std::unique_ptr<Task> make_sine_wave(const SineWaveOptions& options = {});
std::unique_ptr<Task> make_context_integration(const ContextIntegrationOptions& options = {});

}  // namespace rnnatlas
