// The activity of a network on held-out trials: the input of every activity-based similarity
// metric.
//
// Every network of a population is run on the SAME trials (one fixed seed), so row i of one
// network's activity and row i of another's are the same trial at the same time step, which is what
// metrics.h requires. The trials are drawn once with activity_trials() and shared.
//
// Row order: the kept steps are t_s = first_step + s * step_stride (s = 0, 1, ... while t_s <
// n_time); row s * n_trials + b is step t_s of trial b (time-major, like TrialBatch's columns).
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "rnnatlas/models/network.h"
#include "rnnatlas/schema.h"
#include "rnnatlas/tasks/task.h"

namespace rnnatlas::similarity {

/// Which part of the recurrent state is the activity.
enum class StateSelection {
  kHidden,  ///< h: n_hidden units (the state itself for vanilla, UGRNN and GRU)
  kFull,    ///< the whole state S: [h; c] for LSTM (2 n_hidden units), h for the other cells
};
/// "h", "hc".
std::string_view to_string(StateSelection selection);
/// Parses "h" and "hc"; throws InvalidArgument listing them.
StateSelection parse_state_selection(std::string_view name);
std::vector<std::string> state_selection_names();  ///< {"h", "hc"}

struct ActivityOptions {
  /// Held-out trials every network is run on, >= 1. Samples = n_trials x kept steps.
  int n_trials = 32;
  /// Stream of the trials (Task::sample). Fixed, so that every network and every run of the
  /// pipeline sees the same inputs; distinct from the training streams and from TrainOptions's
  /// eval_seed.
  std::uint64_t seed = 1729;
  /// First time step kept, in [0, n_time): later steps skip the transient from the zero state.
  int first_step = 0;
  /// Keep every step_stride-th step from first_step, >= 1 (fewer, less correlated samples).
  int step_stride = 1;
  StateSelection state = StateSelection::kHidden;

  /// Every field but state (an enum), with its rule and help (rnnatlas/schema.h).
  static const Schema<ActivityOptions>& schema();
  /// Throws InvalidArgument naming the field, its value and the rule (first_step is checked
  /// against the task by activity_trials() and network_activity()).
  void validate() const;
  /// Kept steps of an n_time-step trial: ceil((n_time - first_step) / step_stride).
  int n_steps(int n_time) const;
};

/// The shared held-out trials: task.sample(n_trials, seed). Throws InvalidArgument for invalid
/// options or first_step >= task.n_time().
TrialBatch activity_trials(const ActivityOptions& options, const Task& task);

/// The activity [n_trials * n_steps, n_units] of `network` run from the zero state on `trials`
/// (n_trials = trials.n_batch; n_units = n_hidden, or 2 n_hidden for LSTM with
/// StateSelection::kFull), rows as in the file comment. Throws InvalidArgument when the trials do
/// not fit the network (n_input) or first_step >= trials.n_time. Cost: one forward run,
/// O(n_time n_trials n_hidden^2).
Eigen::MatrixXd network_activity(const ActivityOptions& options,
                                 const Network& network,
                                 const TrialBatch& trials);

}  // namespace rnnatlas::similarity
