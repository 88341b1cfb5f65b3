#include "rnnatlas/error.h"

#include <utility>

#include "rnnatlas/format.h"

namespace rnnatlas {

InvalidArgument::InvalidArgument(std::string field, std::string value, std::string rule)
    : std::invalid_argument(field + " = " + value + ": must be " + rule),
      field_(std::move(field)),
      value_(std::move(value)),
      rule_(std::move(rule)) {}

std::string InvalidArgument::message_for(std::string_view name) const {
  RNNATLAS_ASSERT(!field_.empty(), "message_for() of an error without a field: " << what());
  return std::string(name) + " = " + value_ + ": must be " + rule_;
}

InvalidArgument InvalidArgument::within(std::string_view parent) const {
  if (field_.empty()) return InvalidArgument(std::string(parent) + ": " + what());
  return {std::string(parent) + "." + field_, value_, rule_};
}

namespace internal {
std::string value_text(double value) { return format_shortest(value); }
}  // namespace internal

}  // namespace rnnatlas
