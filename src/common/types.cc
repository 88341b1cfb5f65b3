#include "rnnatlas/types.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>

#include "rnnatlas/enum_names.h"
#include "rnnatlas/error.h"

namespace rnnatlas {
namespace {

constexpr EnumName<CellKind> kCellKinds[] = {{CellKind::kVanilla, "vanilla"},
                                             {CellKind::kUgrnn, "ugrnn"},
                                             {CellKind::kGru, "gru"},
                                             {CellKind::kLstm, "lstm"}};
constexpr EnumName<Activation> kActivations[] = {{Activation::kTanh, "tanh"},
                                                 {Activation::kRelu, "relu"},
                                                 {Activation::kSoftplus, "softplus"},
                                                 {Activation::kLinear, "linear"}};
constexpr EnumName<Termination> kTerminations[] = {{Termination::kNotRun, "not_run"},
                                                   {Termination::kCompleted, "completed"},
                                                   {Termination::kDiverged, "diverged"},
                                                   {Termination::kInterrupted, "interrupted"}};

}  // namespace

std::string_view to_string(CellKind kind) { return enum_to_string<CellKind>(kCellKinds, kind); }
std::string_view to_string(Activation activation) {
  return enum_to_string<Activation>(kActivations, activation);
}
std::string_view to_string(Termination termination) {
  return enum_to_string<Termination>(kTerminations, termination);
}

CellKind parse_cell_kind(std::string_view name) {
  if (internal::equal_ignoring_case(name, "rnn")) return CellKind::kVanilla;  // PyTorch's name
  return parse_enum<CellKind>(kCellKinds, name, "architecture");
}
Activation parse_activation(std::string_view name) {
  return parse_enum<Activation>(kActivations, name, "activation");
}
Termination parse_termination(std::string_view name) {
  return parse_enum<Termination>(kTerminations, name, "termination");
}

namespace internal {
bool equal_ignoring_case(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](unsigned char x, unsigned char y) {
    return std::tolower(x) == std::tolower(y);
  });
}

void assert_fail(const char* condition, const char* file, int line, const std::string& message) {
  std::fprintf(stderr, "rnnatlas internal error at %s:%d: %s (%s)\n", file, line, message.c_str(),
               condition);
  std::abort();
}
}  // namespace internal

}  // namespace rnnatlas
