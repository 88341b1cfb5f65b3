// Command-line flags derived from an options schema (rnnatlas/schema.h): one per settable field,
// the field's name in kebab-case, its help the schema's, its rule and default shown beside its type
// ("--n-starts INT:>= 1=4"), and a value outside the rule refused while parsing ("--n-starts: must
// be >= 1, got 0").
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <map>
#include <string>
#include <type_traits>

#include "cli.h"
#include "rnnatlas/schema.h"

namespace rnnatlas::cli {

/// A CLI11 check of `rule` for a number ("must be >= 1, got 0").
CLI::Validator rule_check(const Rule& rule);

/// Adds a flag for every kSettable field of Options::schema(), bound to `options`, in --help group
/// `group`. `deprecated` maps a field to an old spelling of its flag, which --help lists under
/// "Deprecated" and which warns when used (deprecated_alias). Returns the flags by field name.
template <typename Options>
std::map<std::string, CLI::Option*> add_schema_flags(
    CLI::App& cmd,
    Options& options,
    const std::string& group,
    const std::map<std::string, std::string>& deprecated = {}) {
  std::map<std::string, CLI::Option*> flags;
  for (const OptionField<Options>& f : Options::schema().fields) {
    if (!f.is(kSettable)) continue;
    const std::string name(f.name);
    const std::string help(f.help);  // --help shows the rule as the flag's type: INT:>= 1
    const auto add = [&](const std::string& flag_name, const std::string& text) {
      return f.visit(options, [&](auto& value) {
        CLI::Option* option = cmd.add_option(flag_name, value, text);
        if constexpr (std::is_same_v<std::decay_t<decltype(value)>, std::uint64_t>) {
          option->check(CLI::Validator(seed_error, ""));
        } else if (f.rule.checked) {
          option->check(rule_check(f.rule));
        }
        return option->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
      });
    };
    CLI::Option* flag = add(flag_of(name), help)->capture_default_str()->group(group);
    if (const auto old = deprecated.find(name); old != deprecated.end()) {
      deprecated_alias(add(old->second, ""), flag->get_name());
    }
    flags[name] = flag;
  }
  return flags;
}

}  // namespace rnnatlas::cli
