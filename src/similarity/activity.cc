// Network activity on shared held-out trials.
#include "rnnatlas/similarity/activity.h"

#include <string>

#include "rnnatlas/enum_names.h"
#include "rnnatlas/error.h"
#include "similarity/checks.h"

namespace rnnatlas::similarity {

constexpr EnumName<StateSelection> kStateSelectionNames[] = {
    {StateSelection::kHidden, "h", "hidden state"}, {StateSelection::kFull, "hc", "LSTM: [h; c]"}};

std::string_view to_string(StateSelection selection) {
  return enum_to_string<StateSelection>(kStateSelectionNames, selection);
}

StateSelection parse_state_selection(std::string_view name) {
  return parse_enum<StateSelection>(kStateSelectionNames, name, "state selection");
}

std::vector<std::string> state_selection_names() {
  return enum_names<StateSelection>(kStateSelectionNames);
}

namespace {

constexpr OptionField<ActivityOptions> kActivityFields[] = {
    {"n_trials", &ActivityOptions::n_trials, Rule::at_least(1),
     "held-out trials every network is run on"},
    {"seed", &ActivityOptions::seed, Rule::none(), "stream of the trials"},
    {"first_step", &ActivityOptions::first_step, Rule::at_least(0).noting("and < n_time"),
     "first time step kept"},
    {"step_stride", &ActivityOptions::step_stride, Rule::at_least(1),
     "keep every step_stride-th step from first_step"},
};

}  // namespace

const Schema<ActivityOptions>& ActivityOptions::schema() {
  static constexpr Schema<ActivityOptions> kSchema{kActivityFields};
  return kSchema;
}

void ActivityOptions::validate() const { schema().validate(*this); }

int ActivityOptions::n_steps(int n_time) const {
  return n_time > first_step ? (n_time - first_step + step_stride - 1) / step_stride : 0;
}

namespace {

void check_first_step(const ActivityOptions& options, int n_time) {
  if (options.first_step >= n_time) {
    throw InvalidArgument("first_step", std::to_string(options.first_step),
                          "< the task's n_time = " + std::to_string(n_time));
  }
}

}  // namespace

TrialBatch activity_trials(const ActivityOptions& options, const Task& task) {
  options.validate();
  check_first_step(options, task.n_time());
  return task.sample(options.n_trials, options.seed);
}

Eigen::MatrixXd network_activity(const ActivityOptions& options,
                                 const Network& network,
                                 const TrialBatch& trials) {
  options.validate();
  check_first_step(options, trials.n_time);
  const Architecture& a = network.architecture();
  RNNATLAS_CHECK_ARG(trials.n_input() == a.n_input,
                     "network_activity: the trials have "
                         << trials.n_input() << " input channels, the network takes " << a.n_input
                         << "; use trials of the network's task");
  const Network::Trajectory run = network.run(trials.inputs, trials.n_batch);
  const int n_units = options.state == StateSelection::kFull ? a.n_state() : a.n_hidden;
  const int n_trials = trials.n_batch;
  const int n_steps = options.n_steps(trials.n_time);
  // run.states is [n_state, n_time * n_batch] with column t * n_batch + b, and [h; c] for LSTM,
  // so step t's activity is the top n_units rows of one block of columns, transposed.
  Eigen::MatrixXd activity(static_cast<Eigen::Index>(n_steps) * n_trials, n_units);
  for (int s = 0; s < n_steps; ++s) {
    const Eigen::Index t = options.first_step + static_cast<Eigen::Index>(s) * options.step_stride;
    activity.middleRows(static_cast<Eigen::Index>(s) * n_trials, n_trials) =
        run.states.block(0, t * n_trials, n_units, n_trials).transpose();
  }
  return activity;
}

}  // namespace rnnatlas::similarity
