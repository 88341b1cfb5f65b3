#include "rnnatlas/schema.h"

#include <cmath>

#include "rnnatlas/format.h"

namespace rnnatlas {

bool Rule::holds(double value) const {
  if (!checked) return true;
  if (std::isnan(value)) return false;
  if (finite && !std::isfinite(value)) return false;
  if (lo_end == End::kClosed && !(value >= lo)) return false;
  if (lo_end == End::kOpen && !(value > lo)) return false;
  if (hi_end == End::kClosed && !(value <= hi)) return false;
  if (hi_end == End::kOpen && !(value < hi)) return false;
  return true;
}

std::string Rule::text() const {
  if (!checked) return "";
  std::string out;
  if (lo_end != End::kNone && hi_end != End::kNone) {
    out = std::string("in ") + (lo_end == End::kOpen ? "(" : "[") + format_shortest(lo) + ", " +
          format_shortest(hi) + (hi_end == End::kOpen ? ")" : "]");
  } else if (lo_end != End::kNone) {
    out = (lo_end == End::kOpen ? "> " : ">= ") + format_shortest(lo);
  } else if (hi_end != End::kNone) {
    out = (hi_end == End::kOpen ? "< " : "<= ") + format_shortest(hi);
  }
  if (finite) out = out.empty() ? "finite" : out + " and finite";
  if (out.empty()) out = "a number";
  if (!note.empty()) out += " (" + std::string(note) + ")";
  return out;
}

std::string flag_of(std::string_view name) {
  std::string flag = "--";
  for (const char c : name) flag += c == '_' ? '-' : c;
  return flag;
}

}  // namespace rnnatlas
