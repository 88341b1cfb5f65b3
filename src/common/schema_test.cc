#include "rnnatlas/schema.h"

#include <gtest/gtest.h>

#include <array>
#include <limits>
#include <string>
#include <tuple>
#include <vector>

namespace rnnatlas {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

TEST(RuleTest, SaysWhatItChecks) {
  EXPECT_EQ(Rule::at_least(1).text(), ">= 1");
  EXPECT_EQ(Rule::greater_than(0).and_finite().text(), "> 0 and finite");
  EXPECT_EQ(Rule::in_closed_open(0, 1).text(), "in [0, 1)");
  EXPECT_EQ(Rule::in_open_closed(0, 0.5).text(), "in (0, 0.5]");
  EXPECT_EQ(Rule::number().noting("<= 0 disables").text(), "a number (<= 0 disables)");
  EXPECT_EQ(Rule::at_least(0).noting("0 = off").text(), ">= 0 (0 = off)");
  EXPECT_EQ(Rule::none().text(), "");
  EXPECT_EQ(Rule::in_closed_open(1e-7, 1).text(), "in [1e-7, 1)");
  EXPECT_EQ(Rule::at_least(1e20).text(), ">= 1e20");
}

TEST(RuleTest, ChecksEachEndAsWritten) {
  const Rule closed_open = Rule::in_closed_open(0, 1);
  EXPECT_TRUE(closed_open.holds(0));
  EXPECT_TRUE(closed_open.holds(0.999));
  EXPECT_FALSE(closed_open.holds(1));
  EXPECT_FALSE(closed_open.holds(-1e-300));
  const Rule open_closed = Rule::in_open_closed(0, 1);
  EXPECT_FALSE(open_closed.holds(0));
  EXPECT_TRUE(open_closed.holds(1));
  EXPECT_TRUE(Rule::greater_than(1).holds(kInf));
  EXPECT_FALSE(Rule::greater_than(1).and_finite().holds(kInf));
  EXPECT_FALSE(Rule::at_least(0).and_finite().holds(-kInf));
}

TEST(RuleTest, NaNKeepsNoRuleButNone) {
  for (const Rule& rule : {Rule::number(), Rule::at_least(0), Rule::greater_than(0),
                           Rule::in_closed_open(0, 1), Rule::number().and_finite()}) {
    EXPECT_FALSE(rule.holds(kNaN)) << rule.text();
  }
  EXPECT_TRUE(Rule::none().holds(kNaN));
  EXPECT_TRUE(Rule::number().holds(-kInf));
}

struct Example {
  int n = 3;
  double rate = 0.5;
  std::uint64_t seed = 7;
};

constexpr std::array<OptionField<Example>, 3> kExampleFields = {{
    {"n", &Example::n, Rule::at_least(1), "count"},
    {"rate", &Example::rate, Rule::in_open_closed(0, 1), "rate", kStored},
    {"seed", &Example::seed, Rule::none(), "seed", kSettable},
}};
constexpr Schema<Example> kExample{kExampleFields};

TEST(SchemaTest, ValidateNamesTheFirstFieldThatBreaksItsRule) {
  Example e;
  EXPECT_NO_THROW(kExample.validate(e));
  e.rate = 0;
  e.seed = ~0ULL;
  try {
    kExample.validate(e);
    FAIL() << "rate = 0 was accepted";
  } catch (const InvalidArgument& error) {
    EXPECT_EQ(error.field(), "rate");
    EXPECT_STREQ(error.what(), "rate = 0: must be in (0, 1]");
  }
  e.rate = 1;
  e.n = 0;
  try {
    kExample.validate(e);
    FAIL() << "n = 0 was accepted";
  } catch (const InvalidArgument& error) {
    EXPECT_EQ(error.message_for("--n"), "--n = 0: must be >= 1");
  }
}

TEST(SchemaTest, VisitsEachFieldWithItsType) {
  Example e;
  EXPECT_EQ(kExample.find("seed"), &kExampleFields[2]);
  EXPECT_EQ(kExample.find("missing"), nullptr);
  kExample.find("seed")->visit(e, [](auto& v) { v = static_cast<decltype(v + 0)>(v + 1); });
  EXPECT_EQ(e.seed, 8u);  // not rounded through a double
  EXPECT_TRUE(kExampleFields[1].is(kStored));
  EXPECT_FALSE(kExampleFields[1].is(kSettable));
}

TEST(SchemaTest, FlagsAreTheNamesInKebabCase) {
  EXPECT_EQ(flag_of("gradient_clip_norm"), "--gradient-clip-norm");
  EXPECT_EQ(flag_of("l2"), "--l2");
}

struct Inner {
  int steps = 3;
  bool enabled = true;
  static const Schema<Inner>& schema();
};
constexpr OptionField<Inner> kInnerFields[] = {
    {"steps", &Inner::steps, Rule::at_least(1), "steps"},
    {"enabled", &Inner::enabled, Rule::none(), "on", kStored},
};
const Schema<Inner>& Inner::schema() {
  static constexpr Schema<Inner> kSchema{kInnerFields};
  return kSchema;
}

struct Outer {
  double tol = 0.5;
  Inner first;
  Inner second;
  static const Schema<Outer>& schema();
  static constexpr auto nested() {
    return std::tuple{Nest<Outer, Inner>{"first", &Outer::first},
                      Nest<Outer, Inner>{"second", &Outer::second}};
  }
};
constexpr OptionField<Outer> kOuterFields[] = {
    {"tol", &Outer::tol, Rule::greater_than(0), "tolerance"},
};
const Schema<Outer>& Outer::schema() {
  static constexpr Schema<Outer> kSchema{kOuterFields};
  return kSchema;
}

TEST(SchemaTest, ForEachFieldWalksNestedStructsByPath) {
  Outer o;
  std::vector<std::string> paths;
  for_each_field(o, [&](const std::string& path, const auto& field, auto& value) {
    paths.push_back(path + (field.is(kSettable) ? "" : " (stored)"));
    if (path == "second.steps") value = 9;
  });
  EXPECT_EQ(paths, (std::vector<std::string>{"tol", "first.steps", "first.enabled (stored)",
                                             "second.steps", "second.enabled (stored)"}));
  EXPECT_EQ(o.second.steps, 9);  // the value is the member of the nested struct, not a copy
  EXPECT_EQ(o.first.steps, 3);
  EXPECT_EQ(flag_of("first.steps"), "--first.steps");
}

}  // namespace
}  // namespace rnnatlas
