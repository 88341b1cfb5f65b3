// Private helpers of the task generators: conversion between TaskParams (string -> double) and the
// typed options structs, and the messages of the options' validate().
//
// Each task describes its options once, as a "field list": a generic lambda
//   [](auto& options, auto&& f) { f("n_time", options.n_time); ... }
// that calls f(key, field) for every field (int, double or bool). Parsing and params() both walk
// that list, so the keys accepted by make_task() and those written by params() cannot drift apart.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "rnnatlas/tasks/task.h"
#include "rnnatlas/tasks/tasks.h"

namespace rnnatlas::internal {

/// Throws InvalidArgument naming the first key of `params` that is not in `allowed`, and listing
/// `allowed`.
void check_known_keys(std::string_view task,
                      const TaskParams& params,
                      const std::vector<std::string_view>& allowed);

/// Stores `value`, the parameter `key` of task `task`, into a field. Integer fields take whole
/// numbers within int range, bool fields take 0 or 1; anything else throws InvalidArgument.
void set_field(std::string_view task, std::string_view key, double value, int& field);
void set_field(std::string_view task, std::string_view key, double value, double& field);
void set_field(std::string_view task, std::string_view key, double value, bool& field);

/// Options with defaults, overridden by `params`, then validated.
template <typename Options, typename FieldList>
Options options_from_params(std::string_view task, const TaskParams& params, FieldList fields) {
  Options options;
  std::vector<std::string_view> keys;
  fields(options, [&](const char* key, auto&) { keys.emplace_back(key); });
  check_known_keys(task, params, keys);
  fields(options, [&](const char* key, auto& field) {
    if (const auto it = params.find(key); it != params.end())
      set_field(task, key, it->second, field);
  });
  options.validate();
  return options;
}

/// Every field of `options` as TaskParams (bools as 0/1).
template <typename Options, typename FieldList>
TaskParams params_from_options(const Options& options, FieldList fields) {
  TaskParams params;
  fields(options, [&](const char* key, const auto& field) {
    params.emplace(key, static_cast<double>(field));
  });
  return params;
}

/// Options parsed from TaskParams; defined beside each task.
FlipFlopOptions flip_flop_options(const TaskParams& params);
SineWaveOptions sine_wave_options(const TaskParams& params);
ContextIntegrationOptions context_integration_options(const TaskParams& params);

}  // namespace rnnatlas::internal
