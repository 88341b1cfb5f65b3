#include <cmath>
#include <memory>
#include <string>

#include "common/random.h"
#include "rnnatlas/error.h"
#include "rnnatlas/format.h"
#include "rnnatlas/tasks/tasks.h"
#include "tasks/task_params.h"

namespace rnnatlas {
namespace {

constexpr auto kSineWaveFields = [](auto& options, auto&& f) {
  f("n_frequencies", options.n_frequencies);
  f("w_min", options.w_min);
  f("w_max", options.w_max);
  f("input_offset", options.input_offset);
  f("n_time", options.n_time);
};

class SineWaveTask final : public Task {
 public:
  explicit SineWaveTask(const SineWaveOptions& options) : options_(options) {}

  std::string_view name() const override { return "sine_wave"; }
  int n_input() const override { return 1; }
  int n_output() const override { return 1; }
  int n_time() const override { return options_.n_time; }
  TaskParams params() const override {
    return internal::params_from_options(options_, kSineWaveFields);
  }

 protected:
  // One draw per trial: the frequency index j.
  void generate_trial(internal::Rng& rng, int b, TrialBatch& batch) const override {
    const int j = 1 + static_cast<int>(rng.uniform_int(options_.n_frequencies));
    const double w = options_.frequency(j);
    const double u = options_.static_input(j);
    for (int t = 0; t < options_.n_time; ++t) {
      const Eigen::Index col = batch.column(t, b);
      batch.inputs(0, col) = u;
      batch.targets(0, col) = std::sin(w * t);
    }
  }

 private:
  SineWaveOptions options_;
};

}  // namespace

void SineWaveOptions::validate() const {
  RNNATLAS_CHECK_FIELD(n_frequencies, n_frequencies >= 1, ">= 1");
  RNNATLAS_CHECK_FIELD(w_min, std::isfinite(w_min) && w_min > 0.0, "finite and > 0");
  RNNATLAS_CHECK_FIELD(w_max, std::isfinite(w_max) && w_max >= w_min,
                       "finite and >= w_min (" + format_shortest(w_min) + ")");
  RNNATLAS_CHECK_FIELD(input_offset, std::isfinite(input_offset), "finite");
  RNNATLAS_CHECK_FIELD(n_time, n_time >= 1, ">= 1");
}

double SineWaveOptions::frequency(int j) const {
  RNNATLAS_CHECK_ARG(j >= 1 && j <= n_frequencies,
                     "frequency(j): j = " << j << ": must be in [1, " << n_frequencies << "]");
  if (n_frequencies == 1) return w_min;
  return w_min + (w_max - w_min) * (j - 1) / (n_frequencies - 1);
}

double SineWaveOptions::static_input(int j) const {
  RNNATLAS_CHECK_ARG(j >= 1 && j <= n_frequencies,
                     "static_input(j): j = " << j << ": must be in [1, " << n_frequencies << "]");
  return static_cast<double>(j) / n_frequencies + input_offset;
}

std::unique_ptr<Task> make_sine_wave(const SineWaveOptions& options) {
  options.validate();
  return std::make_unique<SineWaveTask>(options);
}

namespace internal {
SineWaveOptions sine_wave_options(const TaskParams& params) {
  return options_from_params<SineWaveOptions>("sine_wave", params, kSineWaveFields);
}
}  // namespace internal

}  // namespace rnnatlas
