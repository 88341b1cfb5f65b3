#include "rnnatlas/format.h"

#include <charconv>
#include <cmath>

namespace rnnatlas {

std::string format_shortest(double value) {
  if (std::isnan(value)) return "nan";  // to_chars would print the sign bit of a NaN as "-nan"
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

}  // namespace rnnatlas
