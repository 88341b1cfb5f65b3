#include <cmath>
#include <memory>

#include "common/random.h"
#include "rnnatlas/error.h"
#include "rnnatlas/tasks/tasks.h"
#include "tasks/task_params.h"

namespace rnnatlas {
namespace {

constexpr auto kContextIntegrationFields = [](auto& options, auto&& f) {
  f("n_time", options.n_time);
  f("mu_max", options.mu_max);
  f("noise_std", options.noise_std);
  f("target_scale", options.target_scale);
};

class ContextIntegrationTask final : public Task {
 public:
  explicit ContextIntegrationTask(const ContextIntegrationOptions& options)
      : options_(options), scale_(options.effective_target_scale()) {}

  std::string_view name() const override { return "context_integration"; }
  int n_input() const override { return 4; }  // stream 0, stream 1, context 0, context 1
  int n_output() const override { return 1; }
  int n_time() const override { return options_.n_time; }
  TaskParams params() const override {
    return internal::params_from_options(options_, kContextIntegrationFields);
  }

 protected:
  // Draws: the context, mu_0, mu_1, then per step the noise of stream 0 and of stream 1.
  void generate_trial(internal::Rng& rng, int b, TrialBatch& batch) const override {
    const int context = static_cast<int>(rng.uniform_int(2));
    const double mu[2] = {rng.uniform(-options_.mu_max, options_.mu_max),
                          rng.uniform(-options_.mu_max, options_.mu_max)};
    double integral = 0.0;
    for (int t = 0; t < options_.n_time; ++t) {
      const Eigen::Index col = batch.column(t, b);
      const double s0 = mu[0] + options_.noise_std * rng.normal();
      const double s1 = mu[1] + options_.noise_std * rng.normal();
      batch.inputs(0, col) = s0;
      batch.inputs(1, col) = s1;
      batch.inputs(2 + context, col) = 1.0;
      integral += context == 0 ? s0 : s1;
      batch.targets(0, col) = scale_ * integral;
    }
  }

 private:
  ContextIntegrationOptions options_;
  double scale_;
};

}  // namespace

void ContextIntegrationOptions::validate() const {
  RNNATLAS_CHECK_FIELD(n_time, n_time >= 1, ">= 1");
  RNNATLAS_CHECK_FIELD(mu_max, std::isfinite(mu_max) && mu_max > 0.0, "finite and > 0");
  RNNATLAS_CHECK_FIELD(noise_std, std::isfinite(noise_std) && noise_std >= 0.0, "finite and >= 0");
  RNNATLAS_CHECK_FIELD(target_scale, std::isfinite(target_scale),
                       "finite (<= 0 selects 1 / (mu_max * n_time))");
}

double ContextIntegrationOptions::effective_target_scale() const {
  return target_scale > 0.0 ? target_scale : 1.0 / (mu_max * n_time);
}

std::unique_ptr<Task> make_context_integration(const ContextIntegrationOptions& options) {
  options.validate();
  return std::make_unique<ContextIntegrationTask>(options);
}

namespace internal {
ContextIntegrationOptions context_integration_options(const TaskParams& params) {
  return options_from_params<ContextIntegrationOptions>("context_integration", params,
                                                        kContextIntegrationFields);
}
}  // namespace internal

}  // namespace rnnatlas
