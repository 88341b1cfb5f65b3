// One way to name the values of an enum. Each enum has a table of (value, name) pairs beside its
// to_string() and parse_<enum>() functions, which are one line each over the table:
//
//   constexpr EnumName<CkaKernel> kCkaKernels[] = {{CkaKernel::kLinear, "linear"},
//                                                  {CkaKernel::kRbf, "rbf"}};
//   std::string_view to_string(CkaKernel k) { return enum_to_string<CkaKernel>(kCkaKernels, k); }
//   CkaKernel parse_cka_kernel(std::string_view name) {
//     return parse_enum<CkaKernel>(kCkaKernels, name, "CKA kernel");
//   }
//
// Names are lower_snake_case and are what files, flags, config keys and Python use. Parsing
// ignores case; an unknown name is an InvalidArgument "unknown CKA kernel 'x'; allowed: linear,
// rbf".
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "rnnatlas/error.h"

namespace rnnatlas {

template <typename Enum>
struct EnumName {
  Enum value;
  std::string_view name;
  std::string_view note = {};  ///< said after the name in the list of allowed names, if any
};

namespace internal {
bool equal_ignoring_case(std::string_view a, std::string_view b);
}  // namespace internal

/// The name of `value`; "unknown" for a value the table lacks (a corrupt enum).
template <typename Enum>
std::string_view enum_to_string(std::span<const EnumName<Enum>> names, Enum value) {
  for (const EnumName<Enum>& n : names) {
    if (n.value == value) return n.name;
  }
  return "unknown";
}

/// The names in the table's order ({"linear", "rbf"}): a flag's allowed values.
template <typename Enum>
std::vector<std::string> enum_names(std::span<const EnumName<Enum>> names) {
  std::vector<std::string> out;
  for (const EnumName<Enum>& n : names) out.emplace_back(n.name);
  return out;
}

/// "linear, rbf", or with notes "h (hidden state), hc (LSTM: [h; c])".
template <typename Enum>
std::string enum_list(std::span<const EnumName<Enum>> names) {
  std::string out;
  for (const EnumName<Enum>& n : names) {
    if (!out.empty()) out += ", ";
    out += n.name;
    if (!n.note.empty()) out += " (" + std::string(n.note) + ")";
  }
  return out;
}

/// The value called `name` (any case); throws InvalidArgument naming `what` and the allowed names.
template <typename Enum>
Enum parse_enum(std::span<const EnumName<Enum>> names,
                std::string_view name,
                std::string_view what) {
  for (const EnumName<Enum>& n : names) {
    if (internal::equal_ignoring_case(n.name, name)) return n.value;
  }
  throw InvalidArgument("unknown " + std::string(what) + " '" + std::string(name) +
                        "'; allowed: " + enum_list(names));
}

}  // namespace rnnatlas
