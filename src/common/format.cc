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

std::string join(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += separator;
    out += items[i];
  }
  return out;
}

}  // namespace rnnatlas
