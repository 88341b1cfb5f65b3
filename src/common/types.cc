#include "rnnatlas/types.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>

#include "rnnatlas/error.h"

namespace rnnatlas {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

std::string_view to_string(CellKind kind) {
  switch (kind) {
    case CellKind::kVanilla:
      return "vanilla";
    case CellKind::kUgrnn:
      return "ugrnn";
    case CellKind::kGru:
      return "gru";
    case CellKind::kLstm:
      return "lstm";
  }
  return "unknown";
}

std::string_view to_string(Activation activation) {
  switch (activation) {
    case Activation::kTanh:
      return "tanh";
    case Activation::kRelu:
      return "relu";
    case Activation::kSoftplus:
      return "softplus";
    case Activation::kLinear:
      return "linear";
  }
  return "unknown";
}

std::string_view to_string(Termination termination) {
  switch (termination) {
    case Termination::kNotRun:
      return "not_run";
    case Termination::kCompleted:
      return "completed";
    case Termination::kDiverged:
      return "diverged";
    case Termination::kInterrupted:
      return "interrupted";
  }
  return "unknown";
}

CellKind parse_cell_kind(std::string_view name) {
  const std::string s = lower(name);
  if (s == "vanilla" || s == "rnn") return CellKind::kVanilla;
  if (s == "ugrnn") return CellKind::kUgrnn;
  if (s == "gru") return CellKind::kGru;
  if (s == "lstm") return CellKind::kLstm;
  RNNATLAS_CHECK_ARG(false,
                     "unknown architecture '" << name << "'; allowed: vanilla, ugrnn, gru, lstm");
}

Activation parse_activation(std::string_view name) {
  const std::string s = lower(name);
  if (s == "tanh") return Activation::kTanh;
  if (s == "relu") return Activation::kRelu;
  if (s == "softplus") return Activation::kSoftplus;
  if (s == "linear") return Activation::kLinear;
  RNNATLAS_CHECK_ARG(false,
                     "unknown activation '" << name << "'; allowed: tanh, relu, softplus, linear");
}

Termination parse_termination(std::string_view name) {
  const std::string s = lower(name);
  if (s == "not_run") return Termination::kNotRun;
  if (s == "completed") return Termination::kCompleted;
  if (s == "diverged") return Termination::kDiverged;
  if (s == "interrupted") return Termination::kInterrupted;
  RNNATLAS_CHECK_ARG(false, "unknown termination '"
                                << name << "'; allowed: not_run, completed, diverged, interrupted");
}

namespace internal {
void assert_fail(const char* condition, const char* file, int line, const std::string& message) {
  std::fprintf(stderr, "rnnatlas internal error at %s:%d: %s (%s)\n", file, line, message.c_str(),
               condition);
  std::abort();
}
}  // namespace internal

}  // namespace rnnatlas
