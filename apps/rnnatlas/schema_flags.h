// Command-line flags derived from an options schema (rnnatlas/schema.h): one per settable field,
// the field's name in kebab-case, its help the schema's, its rule and default shown beside its type
// ("--n-starts INT:>= 1=4"), and a value outside the rule refused while parsing ("--n-starts: must
// be >= 1, got 0").
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <type_traits>

#include "cli.h"
#include "rnnatlas/schema.h"

namespace rnnatlas::cli {

/// A CLI11 check of `rule` for a number ("must be >= 1, got 0").
CLI::Validator rule_check(const Rule& rule);

/// Adds a flag for every kSettable field of Options::schema() and of the structs it nests
/// (for_each_field), bound to `options`: the field's path in kebab-case,
/// "--fixed-points.max-iters". `group_of(path)` gives the --help group of each. `deprecated` maps a
/// path to an old spelling of its flag, which --help lists under "Deprecated" and which warns when
/// used (deprecated_alias). Returns the flags by path.
template <typename Options>
std::map<std::string, CLI::Option*> add_schema_flags(
    CLI::App& cmd,
    Options& options,
    const std::function<std::string(const std::string& path)>& group_of,
    const std::map<std::string, std::string>& deprecated = {}) {
  std::map<std::string, CLI::Option*> flags;
  for_each_field(options, [&](const std::string& path, const auto& field, auto& value) {
    if (!field.is(kSettable)) return;
    const auto add = [&](const std::string& flag_name, const std::string& help) {
      CLI::Option* option = cmd.add_option(flag_name, value, help);
      if constexpr (std::is_same_v<std::decay_t<decltype(value)>, std::uint64_t>) {
        option->check(CLI::Validator(seed_error, ""));
      } else if (field.rule.checked) {
        option->check(rule_check(field.rule));
      }
      return option->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    };
    // --help shows the rule as the flag's type: INT:>= 1
    CLI::Option* flag =
        add(flag_of(path), std::string(field.help))->capture_default_str()->group(group_of(path));
    if (const auto old = deprecated.find(path); old != deprecated.end()) {
      deprecated_alias(add(old->second, ""), flag->get_name());
    }
    flags[path] = flag;
  });
  return flags;
}

/// The same with every flag in --help group `group`.
template <typename Options>
std::map<std::string, CLI::Option*> add_schema_flags(
    CLI::App& cmd,
    Options& options,
    const std::string& group,
    const std::map<std::string, std::string>& deprecated = {}) {
  return add_schema_flags(
      cmd, options, [&group](const std::string&) { return group; }, deprecated);
}

}  // namespace rnnatlas::cli
