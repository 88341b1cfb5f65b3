// The schema of an options struct: each field once, with its name, the rule its value keeps and
// its help. The struct's validate(), the config readers, the CLI flags, the stored /options block,
// the manifest columns and the Python keywords are derived from it (docs/options.md).
//
//   for (const OptionField<TrainOptions>& f : TrainOptions::schema().fields)
//     f.visit(options, [&](auto& value) { std::cout << f.name << " = " << value << "\n"; });
//
// An options struct that holds others (AnalysisOptions holds FixedPointOptions as fixed_points)
// lists them in a static nested() (see Nest); for_each_field() then walks the whole tree, naming
// each field by its path ("fixed_points.newton.max_iters").
#pragma once

#include <cmath>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <variant>

#include "rnnatlas/error.h"

namespace rnnatlas {

/// The values a numeric option accepts: an interval whose ends are each open, closed or absent,
/// optionally finite. NaN keeps no rule but Rule::none().
struct Rule {
  enum class End : unsigned char { kNone, kOpen, kClosed };

  End lo_end = End::kNone;
  double lo = 0;
  End hi_end = End::kNone;
  double hi = 0;
  bool finite = false;
  bool checked = true;    ///< false: every value is accepted (seeds)
  std::string_view note;  ///< said after the rule, in parentheses: "0 = only when stopped"

  /// Every value.
  static constexpr Rule none() {
    Rule r;
    r.checked = false;
    return r;
  }
  /// Every value but NaN.
  static constexpr Rule number() { return {}; }
  /// >= v
  static constexpr Rule at_least(double v) { return bounded(End::kClosed, v, End::kNone, 0); }
  /// > v
  static constexpr Rule greater_than(double v) { return bounded(End::kOpen, v, End::kNone, 0); }
  /// [lo, hi)
  static constexpr Rule in_closed_open(double lo, double hi) {
    return bounded(End::kClosed, lo, End::kOpen, hi);
  }
  /// (lo, hi]
  static constexpr Rule in_open_closed(double lo, double hi) {
    return bounded(End::kOpen, lo, End::kClosed, hi);
  }
  static constexpr Rule bounded(End lo_end, double lo, End hi_end, double hi) {
    Rule r;
    r.lo_end = lo_end;
    r.lo = lo;
    r.hi_end = hi_end;
    r.hi = hi;
    return r;
  }
  /// The same rule, refusing infinities too.
  constexpr Rule and_finite() const {
    Rule r = *this;
    r.finite = true;
    return r;
  }
  /// The same rule, with `text` said after it.
  constexpr Rule noting(std::string_view text) const {
    Rule r = *this;
    r.note = text;
    return r;
  }

  bool holds(double value) const;
  /// The rule as error messages and --help say it: ">= 1", "> 0 and finite", "in [0, 1)",
  /// "a number (<= 0 disables)"; empty for Rule::none().
  std::string text() const;
};

/// Where a field is used besides validate(): in the stored record of a result (network file,
/// `info`, pickling) and in the settings a user writes (config keys, CLI flags, keywords).
enum FieldUse : unsigned {
  kStored = 1u << 0,    ///< written with the result it produced; checked when a run resumes
  kSettable = 1u << 1,  ///< a config key and a CLI flag
};

/// One field of options struct `Options`.
template <typename Options>
struct OptionField {
  using Member =
      std::variant<int Options::*, double Options::*, std::uint64_t Options::*, bool Options::*>;

  std::string_view
      name;  ///< snake_case: the TOML key and the Python keyword; the flag in kebab-case
  Member member;
  Rule rule;
  std::string_view help;  ///< one line, without the rule and the default (a bool: Rule::none())
  unsigned uses = kStored | kSettable;

  /// Calls fn(value&) with the field of `options`, typed as declared.
  template <typename O, typename Fn>
  decltype(auto) visit(O& options, Fn&& fn) const {
    return std::visit([&](auto member) -> decltype(auto) { return fn(options.*member); }, member);
  }
  bool is(FieldUse use) const { return (uses & use) != 0; }
};

/// The fields of an options struct, in the order they are written and listed.
template <typename Options>
struct Schema {
  std::span<const OptionField<Options>> fields;

  /// The field called `name`, or nullptr.
  const OptionField<Options>* find(std::string_view name) const {
    for (const OptionField<Options>& f : fields) {
      if (f.name == name) return &f;
    }
    return nullptr;
  }

  /// Throws InvalidArgument (field, value, rule) for the first field whose value breaks its rule.
  void validate(const Options& options) const {
    for (const OptionField<Options>& f : fields) {
      f.visit(options, [&](const auto& value) {
        if (!f.rule.holds(static_cast<double>(value))) {
          throw InvalidArgument(std::string(f.name), internal::value_text(value), f.rule.text());
        }
      });
    }
  }
};

/// An options struct nested in `Options` as its member `member`, its fields named "name.field".
/// Options lists its nested structs as `static constexpr auto nested()` returning a std::tuple of
/// Nest; each nested struct has its own schema() (and may nest further).
template <typename Options, typename Inner>
struct Nest {
  std::string_view name;
  Inner Options::*member;
};

template <typename Options>
concept HasNestedOptions = requires {
  Options::nested();
};

/// Calls fn(path, field, value) for every field of `options` (Options may be const), then for the
/// fields of its nested structs, depth first: path is the field's name prefixed by the names of
/// the structs it is nested in, "fixed_points.newton.max_iters"; field the OptionField of the
/// struct that declares it; value the field of `options`.
template <typename O, typename Fn>
void for_each_field(O& options, Fn&& fn, const std::string& prefix = {}) {
  using Options = std::remove_const_t<O>;
  for (const OptionField<Options>& f : Options::schema().fields) {
    f.visit(options, [&](auto& value) { fn(prefix + std::string(f.name), f, value); });
  }
  if constexpr (HasNestedOptions<Options>) {
    std::apply(
        [&](const auto&... nest) {
          (for_each_field(options.*(nest.member), fn, prefix + std::string(nest.name) + "."), ...);
        },
        Options::nested());
  }
}

/// "n_iterations" -> "--n-iterations"; "fixed_points.max_iters" -> "--fixed-points.max-iters".
std::string flag_of(std::string_view name);

}  // namespace rnnatlas
