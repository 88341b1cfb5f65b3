#include "rnnatlas/types.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cctype>
#include <set>
#include <string>
#include <vector>

#include "rnnatlas/enum_names.h"
#include "rnnatlas/error.h"

namespace rnnatlas {
namespace {

using ::testing::HasSubstr;

const std::vector<CellKind> kCellKinds = {CellKind::kVanilla, CellKind::kUgrnn, CellKind::kGru,
                                          CellKind::kLstm};
const std::vector<Activation> kActivations = {Activation::kTanh, Activation::kRelu,
                                              Activation::kSoftplus, Activation::kLinear};
const std::vector<Termination> kTerminations = {Termination::kNotRun, Termination::kCompleted,
                                                Termination::kDiverged, Termination::kInterrupted};

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

template <typename Parse>
std::string parse_error(Parse parse, std::string_view name) {
  try {
    parse(name);
  } catch (const InvalidArgument& e) {
    return e.what();
  }
  ADD_FAILURE() << "'" << name << "' was accepted";
  return "";
}

TEST(Types, CellKindNamesRoundTrip) {
  std::set<std::string_view> names;
  for (const CellKind kind : kCellKinds) {
    names.insert(to_string(kind));
    EXPECT_EQ(parse_cell_kind(to_string(kind)), kind) << to_string(kind);
    EXPECT_EQ(parse_cell_kind(upper(to_string(kind))), kind) << to_string(kind);
  }
  EXPECT_EQ(names, (std::set<std::string_view>{"vanilla", "ugrnn", "gru", "lstm"}));
}

TEST(Types, ActivationNamesRoundTrip) {
  std::set<std::string_view> names;
  for (const Activation activation : kActivations) {
    names.insert(to_string(activation));
    EXPECT_EQ(parse_activation(to_string(activation)), activation) << to_string(activation);
    EXPECT_EQ(parse_activation(upper(to_string(activation))), activation);
  }
  EXPECT_EQ(names, (std::set<std::string_view>{"tanh", "relu", "softplus", "linear"}));
}

TEST(Types, TerminationNamesRoundTrip) {
  std::set<std::string_view> names;
  for (const Termination termination : kTerminations) {
    names.insert(to_string(termination));
    EXPECT_EQ(parse_termination(to_string(termination)), termination) << to_string(termination);
    EXPECT_EQ(parse_termination(upper(to_string(termination))), termination);
  }
  EXPECT_EQ(names, (std::set<std::string_view>{"not_run", "completed", "diverged", "interrupted"}));
}

TEST(Types, ParsingIsCaseInsensitiveAndAcceptsRnnForVanilla) {
  EXPECT_EQ(parse_cell_kind("rnn"), CellKind::kVanilla);
  EXPECT_EQ(parse_cell_kind("RNN"), CellKind::kVanilla);
  EXPECT_EQ(parse_cell_kind("Gru"), CellKind::kGru);
  EXPECT_EQ(parse_activation("ReLU"), Activation::kRelu);
  EXPECT_EQ(parse_termination("Not_Run"), Termination::kNotRun);
}

TEST(Types, UnknownNamesThrowListingTheAllowedNames) {
  const std::string cell = parse_error(parse_cell_kind, "transformer");
  EXPECT_THAT(cell, HasSubstr("transformer"));
  for (const CellKind kind : kCellKinds) EXPECT_THAT(cell, HasSubstr(std::string(to_string(kind))));

  const std::string activation = parse_error(parse_activation, "sigmoid");
  EXPECT_THAT(activation, HasSubstr("sigmoid"));
  for (const Activation a : kActivations) {
    EXPECT_THAT(activation, HasSubstr(std::string(to_string(a))));
  }

  const std::string termination = parse_error(parse_termination, "stopped");
  EXPECT_THAT(termination, HasSubstr("stopped"));
  for (const Termination t : kTerminations) {
    EXPECT_THAT(termination, HasSubstr(std::string(to_string(t))));
  }

  // Near misses are not accepted either.
  EXPECT_THROW(parse_cell_kind(""), InvalidArgument);
  EXPECT_THROW(parse_cell_kind(" gru"), InvalidArgument);
  EXPECT_THROW(parse_activation("tanh2"), InvalidArgument);
}

}  // namespace
}  // namespace rnnatlas

namespace rnnatlas {
namespace {

enum class Colour { kRed, kGreen, kBlue };
constexpr EnumName<Colour> kColours[] = {{Colour::kRed, "red"},
                                         {Colour::kGreen, "green", "the default"}};

TEST(EnumNames, OneTableGivesTheNameTheValueAndTheMessage) {
  EXPECT_EQ(enum_to_string<Colour>(kColours, Colour::kGreen), "green");
  EXPECT_EQ(enum_to_string<Colour>(kColours, Colour::kBlue), "unknown");  // not in the table
  EXPECT_EQ(parse_enum<Colour>(kColours, "GREEN", "colour"), Colour::kGreen);
  EXPECT_EQ(enum_list<Colour>(kColours), "red, green (the default)");
  try {
    parse_enum<Colour>(kColours, "gren", "colour");
    FAIL() << "'gren' was accepted";
  } catch (const InvalidArgument& e) {
    EXPECT_STREQ(e.what(), "unknown colour 'gren'; allowed: red, green (the default)");
  }
  EXPECT_THROW(parse_enum<Colour>(kColours, "re", "colour"), InvalidArgument);
  EXPECT_THROW(parse_enum<Colour>(kColours, "redd", "colour"), InvalidArgument);
}

}  // namespace
}  // namespace rnnatlas
