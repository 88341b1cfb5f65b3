// rnnatlas error types.
//
// Four tiers (see docs/architecture.md):
//  - caller mistakes (bad shapes, invalid options, unknown names) throw InvalidArgument;
//    pybind11 turns it into ValueError, the CLI into exit code 2 or 1;
//  - numerical outcomes (NaN loss, no convergence) are not errors: they go in a Summary;
//  - environment failures (files, HDF5) throw IoError; Python sees OSError;
//  - broken internal invariants abort through RNNATLAS_ASSERT.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>

namespace rnnatlas {

/// A caller mistake: the message names the offending value and what is allowed.
///
/// When the mistake is one option's value, the error also carries that option as data: field()
/// is its path as a user names it (the Python keyword and TOML key: "n_iterations",
/// "fixed_points.newton.max_iters"), so that a caller can name it in its own terms (the CLI names
/// the flag, a config reader the key and line) without parsing the message. Thrown by
/// RNNATLAS_CHECK_FIELD.
class InvalidArgument : public std::invalid_argument {
 public:
  explicit InvalidArgument(const std::string& message) : std::invalid_argument(message) {}
  /// `field` = `value` breaks `rule`: what() is "<field> = <value>: must be <rule>".
  InvalidArgument(std::string field, std::string value, std::string rule);

  /// The path of the option at fault; empty when the error is not about one option.
  const std::string& field() const noexcept { return field_; }
  /// "<name> = <value>: must be <rule>": the message with `name` (a flag, a key) for the field.
  /// Requires a non-empty field().
  std::string message_for(std::string_view name) const;
  /// The same error about the option `parent`.field(): the field "max_iters" becomes
  /// "fixed_points.max_iters". An error without a field gets "<parent>: " before its message.
  InvalidArgument within(std::string_view parent) const;

 private:
  std::string field_;
  std::string value_;
  std::string rule_;
};

/// A failure of the environment: a missing, unreadable, corrupt or unwritable file.
class IoError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace internal {

/// The text of an option's value in messages: numbers as format_shortest() writes them, bools as
/// true/false, strings in single quotes, anything else as operator<< writes it.
std::string value_text(double value);
inline std::string value_text(bool value) { return value ? "true" : "false"; }
inline std::string value_text(const std::string& value) { return "'" + value + "'"; }
template <typename T>
std::string value_text(const T& value) {
  std::ostringstream ss;
  ss << value;
  return ss.str();
}

/// options.validate(), with the field of the error it throws placed inside `parent`
/// (InvalidArgument::within): for option structs nested in others.
template <typename Options>
void validate_within(std::string_view parent, const Options& options) {
  try {
    options.validate();
  } catch (const InvalidArgument& e) {
    throw e.within(parent);
  }
}

[[noreturn]] void assert_fail(const char* condition,
                              const char* file,
                              int line,
                              const std::string& message);
}  // namespace internal

}  // namespace rnnatlas

/// Throws rnnatlas::InvalidArgument with `message` (a stream expression) when `condition` is false.
#define RNNATLAS_CHECK_ARG(condition, message)                     \
  do {                                                             \
    if (!(condition)) {                                            \
      std::ostringstream rnnatlas_check_ss_;                       \
      rnnatlas_check_ss_ << message;                               \
      throw ::rnnatlas::InvalidArgument(rnnatlas_check_ss_.str()); \
    }                                                              \
  } while (false)

/// Throws rnnatlas::InvalidArgument about the option `field` (a member, or a path "newton.tol_q")
/// when `condition` is false: "<field> = <value>: must be <rule>", with field() == #field.
/// `rule` is a string ("> 0 and finite") that completes "must be".
#define RNNATLAS_CHECK_FIELD(field, condition, rule)                                            \
  do {                                                                                          \
    if (!(condition)) {                                                                         \
      throw ::rnnatlas::InvalidArgument(#field, ::rnnatlas::internal::value_text(field), rule); \
    }                                                                                           \
  } while (false)

/// Aborts with file and line when an internal invariant breaks. Never used for user input.
#define RNNATLAS_ASSERT(condition, message)                             \
  do {                                                                  \
    if (!(condition)) {                                                 \
      std::ostringstream rnnatlas_assert_ss_;                           \
      rnnatlas_assert_ss_ << message;                                   \
      ::rnnatlas::internal::assert_fail(#condition, __FILE__, __LINE__, \
                                        rnnatlas_assert_ss_.str());     \
    }                                                                   \
  } while (false)
