#include <memory>
#include <vector>

#include "common/random.h"
#include "rnnatlas/error.h"
#include "rnnatlas/tasks/tasks.h"
#include "tasks/task_params.h"

namespace rnnatlas {
namespace {

constexpr auto kFlipFlopFields = [](auto& options, auto&& f) {
  f("n_bits", options.n_bits);
  f("n_time", options.n_time);
  f("pulse_probability", options.pulse_probability);
  f("force_initial_pulse", options.force_initial_pulse);
};

class FlipFlopTask final : public Task {
 public:
  explicit FlipFlopTask(const FlipFlopOptions& options) : options_(options) {}

  std::string_view name() const override { return "flip_flop"; }
  int n_input() const override { return options_.n_bits; }
  int n_output() const override { return options_.n_bits; }
  int n_time() const override { return options_.n_time; }
  TaskParams params() const override {
    return internal::params_from_options(options_, kFlipFlopFields);
  }
  bool has_sign_targets() const override { return true; }

 protected:
  // Draws, step by step and channel by channel: one uniform for "pulse?" (skipped for the forced
  // pulse at t = 0), then one bit for the sign of each pulse.
  void generate_trial(internal::Rng& rng, int b, TrialBatch& batch) const override {
    const int n_bits = options_.n_bits;
    const double p = options_.pulse_probability;
    std::vector<double> last(n_bits, 0.0);  // sign of the last pulse; 0 = none yet
    for (int t = 0; t < options_.n_time; ++t) {
      const Eigen::Index col = batch.column(t, b);
      const bool forced = t == 0 && options_.force_initial_pulse;
      for (int c = 0; c < n_bits; ++c) {
        if (forced || rng.uniform() < p) {
          const double sign = (rng.next_u64() >> 63) != 0 ? 1.0 : -1.0;
          batch.inputs(c, col) = sign;
          last[c] = sign;
        }
        batch.targets(c, col) = last[c];
        if (last[c] == 0.0) batch.mask(c, col) = 0.0;
      }
    }
  }

 private:
  FlipFlopOptions options_;
};

}  // namespace

void FlipFlopOptions::validate() const {
  RNNATLAS_CHECK_FIELD(n_bits, n_bits >= 1, ">= 1");
  RNNATLAS_CHECK_FIELD(n_time, n_time >= 1, ">= 1");
  RNNATLAS_CHECK_FIELD(pulse_probability, pulse_probability >= 0.0 && pulse_probability <= 1.0,
                       "in [0, 1]");
}

std::unique_ptr<Task> make_flip_flop(const FlipFlopOptions& options) {
  options.validate();
  return std::make_unique<FlipFlopTask>(options);
}

namespace internal {
FlipFlopOptions flip_flop_options(const TaskParams& params) {
  return options_from_params<FlipFlopOptions>("flip_flop", params, kFlipFlopFields);
}
}  // namespace internal

}  // namespace rnnatlas
