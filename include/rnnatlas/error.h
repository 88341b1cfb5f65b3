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

namespace rnnatlas {

/// A caller mistake: the message names the offending value and what is allowed.
class InvalidArgument : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

/// A failure of the environment: a missing, unreadable, corrupt or unwritable file.
class IoError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace internal {
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
