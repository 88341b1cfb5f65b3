#include "rnnatlas/schema.h"

#include <cmath>

#include "rnnatlas/format.h"

namespace rnnatlas {
namespace {

/// A bound as a rule says it: the shortest round-trip text, exponent without leading zeros
/// ("1e-7", not "1e-07").
std::string bound_text(double v) {
  std::string text = format_shortest(v);
  const std::size_t e = text.find('e');
  if (e != std::string::npos) {
    std::size_t digits = e + 1;
    if (digits < text.size() && (text[digits] == '-' || text[digits] == '+')) ++digits;
    while (digits + 1 < text.size() && text[digits] == '0') text.erase(digits, 1);
    if (text[e + 1] == '+') text.erase(e + 1, 1);
  }
  return text;
}

}  // namespace

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
    out = std::string("in ") + (lo_end == End::kOpen ? "(" : "[") + bound_text(lo) + ", " +
          bound_text(hi) + (hi_end == End::kOpen ? ")" : "]");
  } else if (lo_end != End::kNone) {
    out = (lo_end == End::kOpen ? "> " : ">= ") + bound_text(lo);
  } else if (hi_end != End::kNone) {
    out = (hi_end == End::kOpen ? "< " : "<= ") + bound_text(hi);
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
