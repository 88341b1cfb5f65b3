// Command-line flags derived from an options schema (rnnatlas/schema.h): one per settable field,
// the field's name in kebab-case, its help the schema's, its rule and default shown beside its type
// ("--n-starts INT:>= 1=4"), and a value outside the rule refused while parsing ("--n-starts: must
// be >= 1, got 0").
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <type_traits>

#include "cli.h"
#include "rnnatlas/schema.h"

namespace rnnatlas::cli {

/// A CLI11 check of `rule` for a number, or for an integer ("must be >= 1, got 0", "must be an
/// integer >= 1, got 'two'").
CLI::Validator rule_check(const Rule& rule, bool integer);

/// The flag of a schema field and its deprecated old spelling, if any.
struct SchemaFlag {
  CLI::Option* flag = nullptr;
  CLI::Option* old = nullptr;
  /// Either spelling was given on the command line.
  bool given() const { return flag->count() > 0 || (old != nullptr && old->count() > 0); }
};

/// Adds a flag for every kSettable field of Options::schema() and of the structs it nests
/// (for_each_field), bound to `options`: the field's path in kebab-case,
/// "--fixed-points.max-iters"; a bool field is a flag without a value ("--cka.debiased").
/// `group_of(path)` gives the --help group of each, or nullopt for a field that gets no flag (one
/// the command sets itself). `deprecated` maps a path to an old spelling of its flag, which --help
/// lists under "Deprecated" and which warns when used (deprecated_alias). Returns the flags by
/// path.
template <typename Options>
std::map<std::string, SchemaFlag> add_schema_flags(
    CLI::App& cmd,
    Options& options,
    const std::function<std::optional<std::string>(const std::string& path)>& group_of,
    const std::map<std::string, std::string>& deprecated = {}) {
  std::map<std::string, SchemaFlag> flags;
  for_each_field(options, [&](const std::string& path, const auto& field, auto& value) {
    if (!field.is(kSettable)) return;
    const std::optional<std::string> group = group_of(path);
    if (!group) return;
    using Value = std::decay_t<decltype(value)>;
    const auto add = [&](const std::string& flag_name, const std::string& help) {
      if constexpr (std::is_same_v<Value, bool>) {
        return cmd.add_flag(flag_name, value, help);
      } else {
        CLI::Option* option = cmd.add_option(flag_name, value, help);
        if constexpr (std::is_same_v<Value, std::uint64_t>) {
          option->check(CLI::Validator(seed_error, ""));
        } else if (field.rule.checked) {
          option->check(rule_check(field.rule, std::is_integral_v<Value>));
        }
        return option->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
      }
    };
    // --help shows the rule as the flag's type: INT:>= 1
    SchemaFlag& added = flags[path];
    added.flag = add(flag_of(path), std::string(field.help))->capture_default_str()->group(*group);
    if (const auto old = deprecated.find(path); old != deprecated.end()) {
      added.old = deprecated_alias(add(old->second, ""), added.flag->get_name());
    }
  });
  return flags;
}

/// The same with every flag in --help group `group`.
template <typename Options>
std::map<std::string, SchemaFlag> add_schema_flags(
    CLI::App& cmd,
    Options& options,
    const std::string& group,
    const std::map<std::string, std::string>& deprecated = {}) {
  return add_schema_flags(
      cmd, options, [&group](const std::string&) { return group; }, deprecated);
}

}  // namespace rnnatlas::cli
